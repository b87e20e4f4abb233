"""Enterprises and contacts: all their SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.domain.models import (
    AuditAction,
    AuditEntry,
    Contact,
    ContactStatus,
    Enterprise,
    EnterpriseSource,
    Registration,
)
from bot.domain.outbox import Outgoing
from bot.domain.ports import Clock
from bot.storage.common import audit, ensure_account, iso, parse
from bot.storage.database import Database
from bot.storage.outbox import enqueue


def enterprise_from_row(row: sqlite3.Row) -> Enterprise:
    """An Enterprise record from an enterprises row."""
    return Enterprise(
        id=row["id"],
        credit_code=row["credit_code"],
        name=row["name"],
        district=row["district"],
        industry=row["industry"],
        source=EnterpriseSource(row["source"]),
        liaison_id=row["liaison_id"],
        deputy_liaison_id=row["deputy_liaison_id"],
        phone=row["phone"],
    )


def _contact(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        enterprise_id=row["enterprise_id"],
        telegram_id=row["telegram_id"],
        name=row["name"],
        phone=row["phone"],
        consented_at=parse(row["consented_at"]),
        status=ContactStatus(row["status"]),
        requested_at=parse(row["requested_at"]),
    )


_REGISTRATION = (
    "SELECT c.id AS c_id, c.enterprise_id, c.telegram_id, c.name AS c_name, "
    "c.phone AS c_phone, c.consented_at, c.status AS c_status, c.requested_at, e.* "
    "FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id "
)


def _registration(row: sqlite3.Row) -> Registration:
    contact = Contact(
        id=row["c_id"],
        enterprise_id=row["enterprise_id"],
        telegram_id=row["telegram_id"],
        name=row["c_name"],
        phone=row["c_phone"],
        consented_at=parse(row["consented_at"]),
        status=ContactStatus(row["c_status"]),
        requested_at=parse(row["requested_at"]),
    )
    return Registration(contact, enterprise_from_row(row))


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
        return enterprise_from_row(row) if row else None

    async def registration_of(self, telegram_id: int) -> Registration | None:
        """Return the user's contact record (any status) and its enterprise, if any."""
        row = await self.db.fetchone(_REGISTRATION + "WHERE c.telegram_id = ?", (telegram_id,))
        return _registration(row) if row else None

    async def contact(self, contact_id: int) -> Registration | None:
        """A contact record (any status) with its enterprise, by id."""
        row = await self.db.fetchone(_REGISTRATION + "WHERE c.id = ?", (contact_id,))
        return _registration(row) if row else None

    async def everyone_of(self, enterprise_id: int) -> list[Contact]:
        """Every contact record of the enterprise that is not erased, whatever its status."""
        rows = await self.db.fetchall(
            "SELECT * FROM contacts WHERE enterprise_id = ? AND erased_at IS NULL ORDER BY id",
            (enterprise_id,),
        )
        return [_contact(r) for r in rows]

    async def decide_contact(
        self,
        contact_id: int,
        status: ContactStatus,
        *,
        by: int,
        at: datetime,
        audit_entry: AuditEntry,
        outgoing: Sequence[Outgoing],
    ) -> bool:
        """Set a contact's status (approve, refuse, remove) with its audit entry and messages;
        False if it changed meanwhile (approve and refuse need a pending request)."""
        stamp = iso(at)
        wanted = ContactStatus.ACTIVE if status is ContactStatus.REMOVED else ContactStatus.PENDING
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE contacts SET status = ?, decided_by = ?, decided_at = ?, updated_at = ? "
                "WHERE id = ? AND status = ?",
                (status.value, by, stamp, stamp, contact_id, wanted.value),
            )
            if cursor.rowcount == 0:
                return False
            await audit(tx, audit_entry, stamp)
            await enqueue(tx, list(outgoing), at)
        return True

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        """An enterprise by id."""
        row = await self.db.fetchone("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return enterprise_from_row(row) if row else None

    async def contacts_of(self, enterprise_id: int) -> list[Contact]:
        """The enterprise's active contact persons (approved, not erased)."""
        rows = await self.db.fetchall(
            "SELECT * FROM contacts WHERE enterprise_id = ? AND erased_at IS NULL "
            "AND status = 'active' ORDER BY id",
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
        status: ContactStatus = ContactStatus.ACTIVE,
        request: Callable[[int], Sequence[Outgoing]] | None = None,
    ) -> Registration:
        """Create or update the enterprise and the user's contact, and drop the dialog.

        A PENDING status is a new join request: it is stamped, audited, and `request(contact
        id)` gives the messages that ask for approval, written in the same transaction.
        """
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
            requested = at if status is ContactStatus.PENDING else None
            await tx.execute(
                "INSERT INTO contacts (enterprise_id, telegram_id, name, phone, consented_at, "
                "status, requested_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (telegram_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, "
                "name = excluded.name, phone = excluded.phone, status = excluded.status, "
                "requested_at = COALESCE(excluded.requested_at, contacts.requested_at), "
                "updated_at = excluded.updated_at",
                (
                    enterprise_id,
                    telegram_id,
                    contact_name,
                    phone,
                    iso(consented_at),
                    status.value,
                    requested,
                    at,
                    at,
                ),
            )
            await tx.execute(
                "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?", dialog
            )
            await audit(tx, AuditEntry(telegram_id, AuditAction.REGISTER, credit_code), at)
            cursor = await tx.execute(_REGISTRATION + "WHERE c.telegram_id = ?", (telegram_id,))
            row = await cursor.fetchone()
            assert row is not None  # written just above
            registration = _registration(row)
            if request is not None and requested is not None:
                entry = AuditEntry(
                    telegram_id, AuditAction.REQUEST_CONTACT, f"contact:{registration.contact.id}"
                )
                await audit(tx, entry, at)
                await enqueue(tx, list(request(registration.contact.id)), self._clock.now())
        return registration

    async def erase_contact(self, telegram_id: int) -> bool:
        """Remove the user's name, phone and Telegram link; keep the anonymous row.

        The account stays: its chosen language is a setting, not personal data, and the next
        update would record the same Telegram id again anyway.
        """
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE contacts SET name = NULL, phone = NULL, telegram_id = NULL, "
                "erased_at = ?, updated_at = ? WHERE telegram_id = ?",
                (at, at, telegram_id),
            )
            erased = cursor.rowcount > 0
            await tx.execute("DELETE FROM dialogs WHERE user_id = ?", (telegram_id,))
            if erased:
                await audit(tx, AuditEntry(None, AuditAction.ERASE_CONTACT, "contact"), at)
        return erased
