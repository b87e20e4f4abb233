"""Enterprises and contacts: all their SQL."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain.models import (
    AuditAction,
    AuditEntry,
    Contact,
    Enterprise,
    EnterpriseSource,
    Registration,
)
from bot.domain.ports import Clock
from bot.storage.common import audit, ensure_account, iso, parse
from bot.storage.database import Database


def _enterprise(row: sqlite3.Row) -> Enterprise:
    return Enterprise(
        id=row["id"],
        credit_code=row["credit_code"],
        name=row["name"],
        district=row["district"],
        industry=row["industry"],
        source=EnterpriseSource(row["source"]),
        liaison_id=row["liaison_id"],
        deputy_liaison_id=row["deputy_liaison_id"],
    )


def _contact(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        enterprise_id=row["enterprise_id"],
        telegram_id=row["telegram_id"],
        name=row["name"],
        phone=row["phone"],
        consented_at=parse(row["consented_at"]),
    )


class EnterpriseRepository:
    """Enterprises and their contact persons (registration, erasure, look-ups)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """Return the enterprise with this credit code, if any."""
        row = await self.db.fetchone(
            "SELECT * FROM enterprises WHERE credit_code = ?", (credit_code,)
        )
        return _enterprise(row) if row else None

    async def registration_of(self, telegram_id: int) -> Registration | None:
        """Return the user's contact record and its enterprise, if registered."""
        row = await self.db.fetchone(
            "SELECT c.id AS c_id, c.enterprise_id, c.telegram_id, c.name AS c_name, c.phone, "
            "c.consented_at, e.* FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id "
            "WHERE c.telegram_id = ?",
            (telegram_id,),
        )
        if row is None:
            return None
        contact = Contact(
            id=row["c_id"],
            enterprise_id=row["enterprise_id"],
            telegram_id=row["telegram_id"],
            name=row["c_name"],
            phone=row["phone"],
            consented_at=parse(row["consented_at"]),
        )
        return Registration(contact, _enterprise(row))

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        """An enterprise by id."""
        row = await self.db.fetchone("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return _enterprise(row) if row else None

    async def contacts_of(self, enterprise_id: int) -> list[Contact]:
        """Return the enterprise's contact persons who have not been erased."""
        rows = await self.db.fetchall(
            "SELECT * FROM contacts WHERE enterprise_id = ? AND erased_at IS NULL ORDER BY id",
            (enterprise_id,),
        )
        return [_contact(r) for r in rows]

    async def save_registration(
        self,
        *,
        telegram_id: int,
        credit_code: str,
        enterprise_name: str,
        district: str,
        industry: str,
        contact_name: str,
        phone: str,
        consented_at: datetime,
        source: EnterpriseSource,
        dialog: tuple[str, int, int],
    ) -> Registration:
        """Create or update the enterprise and the user's contact, and drop the dialog."""
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            await ensure_account(tx, telegram_id, at)
            cursor = await tx.execute(
                "SELECT id, source FROM enterprises WHERE credit_code = ?", (credit_code,)
            )
            existing = await cursor.fetchone()
            if existing is None:
                cursor = await tx.execute(
                    "INSERT INTO enterprises (credit_code, name, district, industry, source, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (credit_code, enterprise_name, district, industry, source.value, at, at),
                )
                enterprise_id = cursor.lastrowid
            else:
                enterprise_id = existing["id"]
                # Imported records are the programme's: only admins change them.
                if existing["source"] == EnterpriseSource.REGISTRATION.value:
                    await tx.execute(
                        "UPDATE enterprises SET name = ?, district = ?, industry = ?, "
                        "updated_at = ? WHERE id = ?",
                        (enterprise_name, district, industry, at, enterprise_id),
                    )
            await tx.execute(
                "INSERT INTO contacts (enterprise_id, telegram_id, name, phone, consented_at, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (telegram_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, "
                "name = excluded.name, phone = excluded.phone, updated_at = excluded.updated_at",
                (enterprise_id, telegram_id, contact_name, phone, iso(consented_at), at, at),
            )
            await tx.execute(
                "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?", dialog
            )
            await audit(tx, AuditEntry(telegram_id, AuditAction.REGISTER, credit_code), at)
        registration = await self.registration_of(telegram_id)
        assert registration is not None  # written in the transaction above
        return registration

    async def erase_contact(self, telegram_id: int) -> bool:
        """Remove the user's name, phone, Telegram link and account; keep the anonymous row."""
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE contacts SET name = NULL, phone = NULL, telegram_id = NULL, "
                "erased_at = ?, updated_at = ? WHERE telegram_id = ?",
                (at, at, telegram_id),
            )
            erased = cursor.rowcount > 0
            await tx.execute("DELETE FROM dialogs WHERE user_id = ?", (telegram_id,))
            await tx.execute(
                "DELETE FROM accounts WHERE telegram_id = ? AND role = 'owner'", (telegram_id,)
            )
            if erased:
                await audit(tx, AuditEntry(None, AuditAction.ERASE_CONTACT, "contact"), at)
        return erased
