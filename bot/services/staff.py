"""Staff onboarding and administration (PRODUCT §5.1): invites, availability, assignments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.models import Invite, Role, Staff
from bot.domain.ports import Clock
from bot.domain.registration import clean_name
from bot.domain.routing import Candidate

INVITE_ROLES = (Role.LIAISON, Role.COUNSEL, Role.ADMIN)


class StaffStorePort(Protocol):
    """What staff administration needs from storage."""

    async def create_invite(
        self, code: str, role: Role, created_by: int, expires_at: datetime
    ) -> None: ...
    async def invite(self, code: str) -> Invite | None: ...
    async def redeem_invite(
        self,
        code: str,
        telegram_id: int,
        at: datetime,
        *,
        display_name: str,
        title: str,
        district: str | None,
        specialties: tuple[str, ...],
    ) -> Staff | None: ...
    async def by_id(self, staff_id: int) -> Staff | None: ...
    async def by_telegram(self, telegram_id: int) -> Staff | None: ...
    async def loads(self) -> list[Candidate]: ...
    async def set_available(self, staff_id: int, available: bool) -> None: ...
    async def assign(
        self, credit_code: str, liaison_id: int, deputy_id: int | None, actor: int
    ) -> bool: ...


class InviteProblem(ValueError):
    """An invite that cannot be used: unknown, used or expired."""


@dataclass(frozen=True, slots=True)
class NewInvite:
    """A created invite: its code and when it expires."""

    code: str
    role: Role
    hours: int


class StaffService:
    """Invites, onboarding, availability, enterprise assignments."""

    def __init__(self, store: StaffStorePort, clock: Clock, invite_hours: int) -> None:
        self._store = store
        self._clock = clock
        self._invite_hours = invite_hours

    async def create_invite(self, role: Role, admin_telegram_id: int) -> NewInvite:
        """A single-use invite code that expires after the configured hours."""
        code = "inv-" + secrets.token_urlsafe(12)
        expires = self._clock.now() + timedelta(hours=self._invite_hours)
        await self._store.create_invite(code, role, admin_telegram_id, expires)
        return NewInvite(code, role, self._invite_hours)

    async def check_invite(self, code: str) -> Role:
        """The role an invite grants; raises InviteProblem when it cannot be used."""
        invite = await self._store.invite(code)
        if invite is None or invite.used or invite.expires_at <= self._clock.now():
            raise InviteProblem(code)
        return invite.role

    async def join(
        self,
        code: str,
        telegram_id: int,
        *,
        display_name: str,
        title: str,
        district: str | None,
        specialties: tuple[str, ...],
    ) -> Staff:
        """Bind the account to a new staff record; raises InviteProblem if no longer valid."""
        staff = await self._store.redeem_invite(
            code,
            telegram_id,
            self._clock.now(),
            display_name=clean_name(display_name, 50),
            title=clean_name(title, 50),
            district=district,
            specialties=specialties,
        )
        if staff is None:
            raise InviteProblem(code)
        return staff

    async def staff_of(self, telegram_id: int) -> Staff | None:
        """The staff record of an account, if any."""
        return await self._store.by_telegram(telegram_id)

    async def by_id(self, staff_id: int) -> Staff | None:
        """A staff record by id."""
        return await self._store.by_id(staff_id)

    async def roster(self) -> list[Candidate]:
        """Everyone with their open-case load."""
        return await self._store.loads()

    async def set_available(self, staff: Staff, available: bool) -> None:
        """/away and /back."""
        await self._store.set_available(staff.id, available)

    async def find(self, reference: str) -> Staff | None:
        """A staff member by id ("12", "#12") or exact display name."""
        ref = reference.strip().lstrip("#")
        for candidate in await self._store.loads():
            staff = candidate.staff
            if (ref.isdigit() and staff.id == int(ref)) or staff.display_name == reference.strip():
                return staff
        return None

    async def assign(
        self, credit_code: str, liaison: Staff, deputy: Staff | None, admin_telegram_id: int
    ) -> bool:
        """Set an enterprise's liaison and deputy; False when no enterprise has the code."""
        return await self._store.assign(
            credit_code, liaison.id, deputy.id if deputy else None, admin_telegram_id
        )
