"""The accounts table: every Telegram user the bot has met, their role and languages."""

from __future__ import annotations

import sqlite3

from bot.domain.models import Account, Language, Role
from bot.domain.ports import Clock
from bot.storage.common import ensure_account, iso
from bot.storage.database import Database


def _account(row: sqlite3.Row) -> Account:
    return Account(
        telegram_id=row["telegram_id"],
        role=Role(row["role"]) if row["role"] else None,
        language=Language(row["language"]) if row["language"] else None,
        client_language=Language(row["client_language"]) if row["client_language"] else None,
        active=bool(row["active"]),
        staff_active=None if row["staff_active"] is None else bool(row["staff_active"]),
    )


class AccountRepository:
    """Accounts: read once per update, written only when something changed."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    async def account(self, telegram_id: int) -> Account | None:
        """The stored account, if the bot has met the user."""
        row = await self.db.fetchone(
            "SELECT a.telegram_id, a.role, a.language, a.client_language, a.active, "
            "s.active AS staff_active FROM accounts a "
            "LEFT JOIN staff s ON s.telegram_id = a.telegram_id WHERE a.telegram_id = ?",
            (telegram_id,),
        )
        return _account(row) if row else None

    async def record_seen(self, telegram_id: int, client_language: Language | None) -> None:
        """The user wrote: the account exists, is active, and knows the client's language."""
        at = iso(self._clock.now())
        async with self.db.transaction(effect=False) as tx:  # every update does it
            await ensure_account(tx, telegram_id, at)
            await tx.execute(
                "UPDATE accounts SET active = 1, "
                "client_language = COALESCE(?, client_language), updated_at = ? "
                "WHERE telegram_id = ?",
                (client_language.value if client_language else None, at, telegram_id),
            )

    async def languages_of(self, telegram_id: int) -> tuple[Language | None, Language | None]:
        """The user's chosen language and their client's last known one."""
        account = await self.account(telegram_id)
        if account is None:
            return None, None
        return account.language, account.client_language

    async def set_language(self, telegram_id: int, language: Language) -> None:
        """Remember the user's chosen language."""
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            await ensure_account(tx, telegram_id, at)
            await tx.execute(
                "UPDATE accounts SET language = ?, updated_at = ? WHERE telegram_id = ?",
                (language.value, at, telegram_id),
            )

    async def role_of(self, telegram_id: int) -> Role | None:
        """The stored role of an account, if the bot has met it."""
        account = await self.account(telegram_id)
        return account.role if account else None

    async def active_chat(self, telegram_id: int) -> bool:
        """Whether the user can be written to (has not blocked the bot as far as we know)."""
        account = await self.account(telegram_id)
        return account is None or account.active
