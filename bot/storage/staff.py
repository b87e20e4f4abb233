"""Staff, invites and enterprise assignments: all their SQL."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain.models import AuditAction, AuditEntry, Invite, Role, Staff
from bot.domain.ports import Clock
from bot.domain.routing import Candidate
from bot.storage.common import OPEN_SQL, audit, ensure_account, iso, parse
from bot.storage.database import Database


def staff_from_row(row: sqlite3.Row, specialties: tuple[str, ...]) -> Staff:
    """A Staff record from a staff row and its specialties."""
    return Staff(
        id=row["id"],
        telegram_id=row["telegram_id"],
        role=Role(row["role"]),
        display_name=row["display_name"],
        title=row["title"],
        district=row["district"],
        specialties=specialties,
        available=bool(row["available"]),
        active=bool(row["active"]),
        phone=row["phone"],
        telegram_username=row["telegram_username"],
    )


class _Taken(Exception):
    """The imported record an invite is for is bound or deactivated: roll the redeem back."""


class StaffRepository:
    """Staff records, their invites, availability and enterprise assignments."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    async def create_invite(
        self, code: str, role: Role, created_by: int, expires_at: datetime
    ) -> None:
        """Store a new invite code."""
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO invites (code, role, created_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (code, role.value, created_by, at, iso(expires_at)),
            )
            await audit(tx, AuditEntry(created_by, AuditAction.INVITE, role.value), at)

    async def invite(self, code: str) -> Invite | None:
        """Look up an invite by its code."""
        row = await self.db.fetchone("SELECT * FROM invites WHERE code = ?", (code,))
        if row is None:
            return None
        expires = parse(row["expires_at"])
        assert expires is not None
        return Invite(
            row["code"],
            Role(row["role"]),
            expires,
            row["used_by"] is not None,
            revoked=row["revoked_at"] is not None,
            staff_id=row["staff_id"],
        )

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
    ) -> Staff | None:
        """Bind the account to a new staff record, or to the imported record the invite is
        for; None if the invite is used or expired (or that record is taken or deactivated)."""
        stamp = iso(at)
        try:
            async with self.db.transaction() as tx:
                cursor = await tx.execute(
                    "UPDATE invites SET used_by = ?, used_at = ? "
                    "WHERE code = ? AND used_by IS NULL AND revoked_at IS NULL AND expires_at > ? "
                    "RETURNING role, staff_id",
                    (telegram_id, stamp, code, stamp),
                )
                row = await cursor.fetchone()
                if row is None:
                    return None
                role = row["role"]
                await ensure_account(tx, telegram_id, stamp, role=role)
                staff_id = row["staff_id"]
                if staff_id is None:
                    cursor = await tx.execute(
                        "INSERT INTO staff (telegram_id, role, display_name, title, district, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (telegram_id, role, display_name, title, district, stamp, stamp),
                    )
                    staff_row = await cursor.fetchone()
                    assert staff_row is not None
                    staff_id = staff_row["id"]
                else:
                    cursor = await tx.execute(
                        "UPDATE staff SET telegram_id = ?, display_name = ?, title = ?, "
                        "district = ?, updated_at = ? "
                        "WHERE id = ? AND telegram_id IS NULL AND active = 1",
                        (telegram_id, display_name, title, district, stamp, staff_id),
                    )
                    if cursor.rowcount == 0:
                        raise _Taken
                    await tx.execute(
                        "DELETE FROM staff_specialties WHERE staff_id = ?", (staff_id,)
                    )
                await tx.executemany(
                    "INSERT INTO staff_specialties (staff_id, specialty) VALUES (?, ?)",
                    [(staff_id, s) for s in specialties],
                )
                entry = AuditEntry(
                    telegram_id, AuditAction.JOIN_STAFF, role, {"staff_id": staff_id}
                )
                await audit(tx, entry, stamp)
        except _Taken:
            return None  # rolled back: the invite stays unused
        return await self.by_id(staff_id)

    async def _specialties(self, staff_id: int | None = None) -> dict[int, tuple[str, ...]]:
        where, params = ("WHERE staff_id = ? ", (staff_id,)) if staff_id is not None else ("", ())
        rows = await self.db.fetchall(
            f"SELECT staff_id, specialty FROM staff_specialties {where}ORDER BY specialty",
            params,
        )
        found: dict[int, list[str]] = {}
        for r in rows:
            found.setdefault(r["staff_id"], []).append(r["specialty"])
        return {k: tuple(v) for k, v in found.items()}

    async def by_id(self, staff_id: int) -> Staff | None:
        """A staff member by id."""
        return await self._one("s.id = ?", staff_id)

    async def by_telegram(self, telegram_id: int) -> Staff | None:
        """The active or inactive staff record bound to a Telegram account."""
        return await self._one("s.telegram_id = ?", telegram_id)

    async def _one(self, condition: str, value: int) -> Staff | None:
        # One read: the specialties come along as a list (no specialty holds a newline).
        row = await self.db.fetchone(
            "SELECT s.*, (SELECT GROUP_CONCAT(specialty, char(10)) FROM "
            "(SELECT specialty FROM staff_specialties WHERE staff_id = s.id ORDER BY specialty)) "
            f"AS specialty_list FROM staff s WHERE {condition}",
            (value,),
        )
        if row is None:
            return None
        listed = row["specialty_list"]
        return staff_from_row(row, tuple(listed.split("\n")) if listed else ())

    async def loads(self) -> list[Candidate]:
        """Every staff member with their number of open cases, by id."""
        rows = await self.db.fetchall(
            "SELECT s.*, (SELECT COUNT(*) FROM cases c WHERE c.assignee_id = s.id "
            f"AND c.status IN {OPEN_SQL}) AS open_cases FROM staff s ORDER BY s.id"
        )
        specialties = await self._specialties()
        return [
            Candidate(staff_from_row(r, specialties.get(r["id"], ())), r["open_cases"])
            for r in rows
        ]

    async def set_available(self, staff_id: int, available: bool) -> None:
        """Mark a staff member away or back."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE staff SET available = ?, updated_at = ? WHERE id = ?",
                (int(available), iso(self._clock.now()), staff_id),
            )

    async def cursors(self) -> dict[str, int]:
        """Round-robin cursors of every routing pool."""
        rows = await self.db.fetchall("SELECT pool, last_staff FROM routing_cursors")
        return {r["pool"]: r["last_staff"] for r in rows}

    async def assign(
        self, credit_code: str, liaison_id: int, deputy_id: int | None, actor: int
    ) -> bool:
        """Set an enterprise's liaison (and deputy); False if no such enterprise."""
        at = iso(self._clock.now())
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE enterprises SET liaison_id = ?, deputy_liaison_id = ?, updated_at = ? "
                "WHERE credit_code = ?",
                (liaison_id, deputy_id, at, credit_code),
            )
            if cursor.rowcount == 0:
                return False
            details = {"liaison": liaison_id, "deputy": deputy_id}
            await audit(tx, AuditEntry(actor, AuditAction.ASSIGN, credit_code, details), at)
        return True
