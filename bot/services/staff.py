"""Staff onboarding and administration (PRODUCT §5.1): invites, availability, assignments."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.credit_code import CreditCodeError, validate
from bot.domain.models import Invite, Role, Staff
from bot.domain.ports import Clock, StaffStore
from bot.domain.registration import clean_name
from bot.domain.routing import Candidate

INVITE_ROLES = (Role.LIAISON, Role.COUNSEL, Role.ADMIN)
# People per /staff page: one message, its buttons readable on a phone.
ROSTER_PAGE = 10


class AssignProblem(enum.StrEnum):
    """Why /assign did nothing."""

    USAGE = "usage"
    ENTERPRISE = "enterprise"  # a bad credit code, or no enterprise has it
    STAFF = "staff"  # no staff member by that id or name
    ROLE = "role"  # not a liaison
    INACTIVE = "inactive"  # deactivated
    SAME = "same"  # the same person as liaison and deputy


@dataclass(frozen=True, slots=True)
class Assigned:
    """What /assign did (problem None) or why not."""

    problem: AssignProblem | None
    code: str = ""
    name: str = ""
    liaison: str = ""
    deputy: str = ""


@dataclass(frozen=True, slots=True)
class RosterPage:
    """One page of /staff: the people on it (with their loads) and where it is."""

    people: list[Candidate]
    page: int
    pages: int
    total: int
    query: str = ""


def new_invite_code() -> str:
    """A fresh invite code: the payload of a t.me/<bot>?start= deep link (64 characters max)."""
    return "inv-" + secrets.token_urlsafe(12)


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

    def __init__(self, store: StaffStore, clock: Clock, invite_hours: int) -> None:
        self._store = store
        self._clock = clock
        self._invite_hours = invite_hours

    async def create_invite(self, role: Role, admin_telegram_id: int) -> NewInvite:
        """A single-use invite code that expires after the configured hours."""
        code = new_invite_code()
        expires = self._clock.now() + timedelta(hours=self._invite_hours)
        await self._store.create_invite(code, role, admin_telegram_id, expires)
        return NewInvite(code, role, self._invite_hours)

    async def check_invite(self, code: str) -> Role:
        """The role an invite grants; raises InviteProblem when it cannot be used."""
        return (await self.valid_invite(code)).role

    async def valid_invite(self, code: str) -> Invite:
        """The invite, if it can be used; raises InviteProblem when it cannot."""
        invite = await self._store.invite(code)
        if (
            invite is None
            or invite.used
            or invite.revoked
            or invite.expires_at <= self._clock.now()
        ):
            raise InviteProblem(code)
        return invite

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

    async def roster_page(self, page: int = 0, query: str = "") -> RosterPage:
        """A page of ROSTER_PAGE people, by id; with a query, those whose name contains it."""
        everyone = await self._store.loads()
        wanted = query.strip().casefold()
        if wanted:
            everyone = [c for c in everyone if wanted in c.staff.display_name.casefold()]
        pages = max(1, -(-len(everyone) // ROSTER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = everyone[page * ROSTER_PAGE : (page + 1) * ROSTER_PAGE]
        return RosterPage(shown, page, pages, len(everyone), query.strip())

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

    async def assign(self, references: Sequence[str], admin_telegram_id: int) -> Assigned:
        """/assign <credit code> <liaison> [deputy]: give an enterprise its liaison (and deputy).

        Returns what was done, or the first problem: usage, a bad code, an unknown staff
        reference, someone who is not a liaison or is deactivated, the same person twice, or no
        enterprise with the code.
        """
        if len(references) not in (2, 3):
            return Assigned(AssignProblem.USAGE)
        try:
            code = validate(references[0])
        except CreditCodeError:
            return Assigned(AssignProblem.ENTERPRISE, code=references[0])
        people: list[Staff] = []
        for ref in references[1:]:
            found = await self.find(ref)
            if found is None:
                return Assigned(AssignProblem.STAFF, code=code, name=ref)
            if found.role is not Role.LIAISON:
                return Assigned(AssignProblem.ROLE, code=code, name=found.display_name)
            if not found.active:
                return Assigned(AssignProblem.INACTIVE, code=code, name=found.display_name)
            if any(p.id == found.id for p in people):
                return Assigned(AssignProblem.SAME, code=code, name=found.display_name)
            people.append(found)
        liaison, deputy = people[0], people[1] if len(people) > 1 else None
        done = await self._store.assign(
            code, liaison.id, deputy.id if deputy else None, admin_telegram_id
        )
        return Assigned(
            None if done else AssignProblem.ENTERPRISE,
            code=code,
            liaison=liaison.display_name,
            deputy=deputy.display_name if deputy else "",
        )
