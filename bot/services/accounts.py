"""Accounts: who a user is (role, staff or owner record) and which language they read.

`seen` runs once for every update, before any handler (PTB's TypeHandler in group -1): it
records every user the bot meets, remembers their client's language, and marks an account
active again when a user who had blocked the bot writes to it, so replies reach them again.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.cases import Actor
from bot.domain.models import STAFF_ROLES, Account, Language, Registration, Role, Staff
from bot.domain.ports import AccountStore, RegistrationStore, StaffDirectory


class AccountService:
    """Accounts, roles and languages."""

    def __init__(
        self,
        accounts: AccountStore,
        registrations: RegistrationStore,
        staff: StaffDirectory,
        admins: Sequence[int],
        default_language: Language,
    ) -> None:
        self._accounts = accounts
        self._registrations = registrations
        self._staff = staff
        self._admins = frozenset(admins)
        self.default_language = default_language

    async def seen(self, telegram_id: int, client_code: str | None) -> Account:
        """Record that the user wrote; return their account (written only when it changed)."""
        client = Language.from_client(client_code, self.default_language) if client_code else None
        account = await self._accounts.account(telegram_id)
        if (
            account is None
            or not account.active
            or (client is not None and client is not account.client_language)
        ):
            await self._accounts.record_seen(telegram_id, client)
            account = await self._accounts.account(telegram_id)
            assert account is not None  # written just above
        return account

    def language(self, account: Account | None, client_code: str | None = None) -> Language:
        """Chosen with /language, else the client's, else the configured default."""
        if account is not None and account.language is not None:
            return account.language
        if client_code:
            return Language.from_client(client_code, self.default_language)
        if account is not None and account.client_language is not None:
            return account.client_language
        return self.default_language

    async def language_of(self, telegram_id: int) -> Language:
        """The language to write to a user in, when they did not just write (the outbox)."""
        return self.language(await self._accounts.account(telegram_id))

    async def set_language(self, telegram_id: int, language: Language) -> None:
        """Remember the language the user chose."""
        await self._accounts.set_language(telegram_id, language)

    def role(self, telegram_id: int, account: Account | None) -> Role:
        """Configured admins, else the stored role if its staff record is active, else owner.

        A staff role whose record is deactivated (or missing) is DEACTIVATED: every staff power
        ends on the next update.
        """
        if telegram_id in self._admins:
            return Role.ADMIN
        if account is None or account.role is None:
            return Role.OWNER
        if account.role in STAFF_ROLES and account.staff_active is not True:
            return Role.DEACTIVATED
        return account.role

    async def role_of(self, telegram_id: int) -> Role:
        """The user's role, read now."""
        return self.role(telegram_id, await self._accounts.account(telegram_id))

    async def actor(self, telegram_id: int) -> Actor:
        """Who the user is: role, staff record or owner registration (re-read every time)."""
        role = await self.role_of(telegram_id)
        if role is Role.OWNER:
            registration = await self._registrations.registration_of(telegram_id)
            if registration is not None and not registration.active:
                return Actor(telegram_id, role, joining=registration)
            return Actor(telegram_id, role, registration=registration)
        return Actor(telegram_id, role, staff=await self._staff.by_telegram(telegram_id))

    async def registration_of(self, telegram_id: int) -> Registration | None:
        """The user's registration, if they are a registered owner."""
        return await self._registrations.registration_of(telegram_id)

    async def staff_of(self, telegram_id: int) -> Staff | None:
        """The user's staff record, if any."""
        return await self._staff.by_telegram(telegram_id)
