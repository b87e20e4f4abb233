"""Roster imports (PRODUCT §5.2): all their SQL.

A real run reads what it compares with and writes the good rows in one transaction, so that no
registration or /assign slips in between the comparison and the write; a dry run reads the
same from the reader connection and writes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.models import AuditEntry, Enterprise, Staff
from bot.domain.ports import Clock
from bot.domain.roster_plan import EnterpriseChange, Plan, StaffChange, StaffInvite
from bot.storage.common import audit, iso, parse
from bot.storage.database import Database
from bot.storage.enterprises import enterprise_from_row
from bot.storage.staff import staff_from_row

# Codes per look-up: well under every database's limit of bound parameters.
_BATCH = 500
# invites.created_by of invites made by the command line (no Telegram account).
COMMAND_LINE = 0

Read = Callable[[str, Sequence[Any]], Awaitable[list[sqlite3.Row]]]


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


class ImportRepository:
    """Reads what an import compares with; writes its plan, invites and audit entry."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    @asynccontextmanager
    async def _session(
        self, write: bool
    ) -> AsyncIterator[tuple[Read, aiosqlite.Connection | None]]:
        """(read, tx): the writer's transaction for a real run; the reader for a dry run."""
        if not write:

            async def from_reader(sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
                return await self.db.fetchall(sql, params)

            yield from_reader, None
            return
        async with self.db.transaction() as tx:

            async def from_writer(sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
                cursor = await tx.execute(sql, tuple(params))
                return list(await cursor.fetchall())

            yield from_writer, tx

    async def import_enterprises(
        self,
        codes: Sequence[str],
        plan: Callable[[Mapping[str, Enterprise], Sequence[Staff]], Plan[EnterpriseChange]],
        audit_entry: Callable[[Plan[EnterpriseChange]], AuditEntry],
        *,
        write: bool,
    ) -> Plan[EnterpriseChange]:
        """Plan against the stored enterprises of these codes and the staff; write it."""
        at = iso(self._clock.now())
        async with self._session(write) as (read, tx):
            stored: dict[str, Enterprise] = {}
            for batch in _batches(codes):
                marks = ", ".join("?" for _ in batch)
                for row in await read(
                    f"SELECT * FROM enterprises WHERE credit_code IN ({marks})", batch
                ):
                    stored[row["credit_code"]] = enterprise_from_row(row)
            result = plan(stored, await _staff(read))
            if tx is not None:
                await _write_enterprises(tx, result, at)
                await audit(tx, audit_entry(result), at)
        return result

    async def import_staff(
        self,
        plan: Callable[[Sequence[Staff]], Plan[StaffChange]],
        audit_entry: Callable[[Plan[StaffChange], Sequence[StaffInvite]], AuditEntry],
        new_code: Callable[[], str],
        expires_at: datetime,
        *,
        write: bool,
    ) -> tuple[Plan[StaffChange], list[StaffInvite]]:
        """Plan against the stored staff; write it; give every imported person who has not
        joined yet a valid invite bound to their record (a new one only when none is left)."""
        now = self._clock.now()
        at = iso(now)
        async with self._session(write) as (read, tx):
            result = plan(await _staff(read))
            lines: list[tuple[int, int | None]] = [(line, sid) for line, sid in result.unchanged]
            if tx is not None:
                for change in result.added:
                    lines.append((change.line, await _insert_staff(tx, change, at)))
                for change in result.updated:
                    await _update_staff(tx, change, at)
                    lines.append((change.line, change.id))
            else:
                lines += [(c.line, None) for c in result.added]
                lines += [(c.line, c.id) for c in result.updated]
            invites = [
                await _invite(read, tx, line, sid, at, new_code, expires_at)
                for line, sid in sorted(lines)
            ]
            if tx is not None:
                await audit(tx, audit_entry(result, invites), at)
        return result, invites


async def _staff(read: Read) -> list[Staff]:
    specialties: dict[int, list[str]] = {}
    for row in await read(
        "SELECT staff_id, specialty FROM staff_specialties ORDER BY specialty", ()
    ):
        specialties.setdefault(row["staff_id"], []).append(row["specialty"])
    return [
        staff_from_row(row, tuple(specialties.get(row["id"], ())))
        for row in await read("SELECT * FROM staff ORDER BY id", ())
    ]


async def _write_enterprises(
    tx: aiosqlite.Connection, plan: Plan[EnterpriseChange], at: str
) -> None:
    await tx.executemany(
        "INSERT INTO enterprises (credit_code, name, district, industry, source, liaison_id, "
        "deputy_liaison_id, phone, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'import', ?, ?, ?, ?, ?)",
        [
            (c.credit_code, c.name, c.district, c.industry, c.liaison_id, c.deputy_id, c.phone,
             at, at)
            for c in plan.added
        ],
    )  # fmt: skip
    await tx.executemany(
        "UPDATE enterprises SET name = ?, district = ?, industry = ?, source = 'import', "
        "liaison_id = ?, deputy_liaison_id = ?, phone = ?, updated_at = ? WHERE id = ?",
        [
            (c.name, c.district, c.industry, c.liaison_id, c.deputy_id, c.phone, at, c.id)
            for c in plan.updated
        ],
    )


async def _insert_staff(tx: aiosqlite.Connection, change: StaffChange, at: str) -> int:
    cursor = await tx.execute(
        "INSERT INTO staff (role, display_name, title, district, phone, telegram_username, "
        "source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?) RETURNING id",
        (change.role.value, change.name, change.title, change.district, change.phone,
         change.username, at, at),
    )  # fmt: skip
    row = await cursor.fetchone()
    assert row is not None
    await _specialties(tx, row["id"], change.specialties)
    return int(row["id"])


async def _update_staff(tx: aiosqlite.Connection, change: StaffChange, at: str) -> None:
    await tx.execute(
        "UPDATE staff SET display_name = ?, title = ?, district = ?, phone = ?, "
        "telegram_username = ?, updated_at = ? WHERE id = ?",
        (change.name, change.title, change.district, change.phone, change.username, at,
         change.id),
    )  # fmt: skip
    await tx.execute("DELETE FROM staff_specialties WHERE staff_id = ?", (change.id,))
    await _specialties(tx, change.id, change.specialties)


async def _specialties(
    tx: aiosqlite.Connection, staff_id: int | None, names: Sequence[str]
) -> None:
    await tx.executemany(
        "INSERT INTO staff_specialties (staff_id, specialty) VALUES (?, ?)",
        [(staff_id, s) for s in names],
    )


async def _invite(
    read: Read,
    tx: aiosqlite.Connection | None,
    line: int,
    staff_id: int | None,
    at: str,
    new_code: Callable[[], str],
    expires_at: datetime,
) -> StaffInvite:
    """The person's invite: joined already, a valid one, or a new one (none on a dry run)."""
    if staff_id is None:  # a dry run's new person: a link is made on the real run
        return StaffInvite(line, None)
    rows = await read(
        "SELECT s.telegram_id, s.role, i.code, i.expires_at FROM staff s LEFT JOIN invites i "
        "ON i.staff_id = s.id AND i.used_by IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? "
        "WHERE s.id = ? ORDER BY i.expires_at DESC LIMIT 1",
        (at, staff_id),
    )
    row = rows[0]
    if row["telegram_id"] is not None:
        return StaffInvite(line, staff_id, joined=True)
    if row["code"] is not None:
        return StaffInvite(line, staff_id, row["code"], parse(row["expires_at"]))
    if tx is None:
        return StaffInvite(line, staff_id)
    code = new_code()
    await tx.execute(
        "INSERT INTO invites (code, role, created_by, created_at, expires_at, staff_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (code, row["role"], COMMAND_LINE, at, iso(expires_at), staff_id),
    )
    return StaffInvite(line, staff_id, code, expires_at, new=True)
