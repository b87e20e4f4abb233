"""Bulk sends: the audience query, batches written to the outbox with their cursor, progress,
cancel and finish. Every timestamp is the caller's (the injected clock)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

import aiosqlite

from bot.domain.bulk import Audience, BulkKind, BulkSend, BulkStatus, NewBulk
from bot.domain.models import AuditEntry
from bot.domain.outbox import BulkProgress, Lane, Outgoing
from bot.storage.common import OPEN_SQL, audit, iso, parse
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore, enqueue, enqueue_one

_COLUMNS = (
    "id, kind, status, message, audience, urgent, created_by, created_at, due_at, written, "
    "progress_id, progress_at, notice_id"
)


def _bulk(r: sqlite3.Row) -> BulkSend:
    created, due = parse(r["created_at"]), parse(r["due_at"])
    assert created is not None
    assert due is not None
    return BulkSend(
        id=r["id"],
        kind=BulkKind(r["kind"]),
        status=BulkStatus(r["status"]),
        message=Outgoing.from_json(0, None, r["message"], lane=Lane.BULK, bulk_id=r["id"]),
        audience=Audience.from_json(r["audience"]),
        urgent=bool(r["urgent"]),
        created_by=r["created_by"],
        created_at=created,
        due_at=due,
        written=r["written"],
        progress_id=r["progress_id"],
        progress_at=parse(r["progress_at"]),
        notice_id=r["notice_id"],
    )


def _recipients(audience: Audience, urgent: bool) -> tuple[str, list[object]]:
    """FROM and WHERE of an audience's recipients (active owners reachable by the bot)."""
    sql = (
        " FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id"
        " JOIN accounts a ON a.telegram_id = c.telegram_id"
        " WHERE c.status = 'active' AND c.erased_at IS NULL AND a.active = 1"
    )
    params: list[object] = []
    if not urgent:
        sql += " AND a.muted = 0"
    if audience.districts:
        sql += f" AND e.district IN ({','.join('?' * len(audience.districts))})"
        params += audience.districts
    if audience.industries:
        sql += f" AND e.industry IN ({','.join('?' * len(audience.industries))})"
        params += audience.industries
    if audience.open_cases:
        sql += (
            " AND EXISTS (SELECT 1 FROM cases k WHERE k.enterprise_id = e.id"
            f" AND k.status IN {OPEN_SQL})"
        )
    return sql, params


class BulkStore:
    """Bulk sends and the outbox rows they write."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def count(self, audience: Audience, urgent: bool) -> int:
        """How many owners the audience reaches now."""
        sql, params = _recipients(audience, urgent)
        row = await self.db.fetchone(f"SELECT COUNT(DISTINCT c.telegram_id){sql}", params)
        return int(row[0]) if row else 0

    async def create(
        self,
        new: NewBulk,
        at: datetime,
        *,
        status: BulkStatus,
        progress: Callable[[int], Outgoing] | None = None,
        audit_entry: AuditEntry | None = None,
        dialog: tuple[str, int, int] | None = None,
        last_at: datetime | None = None,
    ) -> int | None:
        """Store a bulk send (and its progress message, audit line, finished dialog) at once.

        A notice's occurrence is stored once: a second create for it returns None, and
        last_at records it as handled in the same transaction.
        """
        stamp = iso(at)
        async with self.db.transaction() as tx:
            async with tx.execute(
                "INSERT INTO bulk_sends (kind, status, message, audience, urgent, created_by, "
                "created_at, due_at, notice_id, occurrence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING RETURNING id",
                (
                    new.kind.value,
                    status.value,
                    new.message.to_json(),
                    new.audience.to_json(),
                    int(new.urgent),
                    new.created_by,
                    stamp,
                    iso(new.due_at),
                    new.notice_id,
                    iso(new.occurrence) if new.occurrence else None,
                ),
            ) as cursor:
                row = await cursor.fetchone()
            if new.notice_id is not None and last_at is not None:
                await _set_notice_state(tx, new.notice_id, last_at)
            if row is None:
                return None
            bulk_id = int(row[0])
            if progress is not None:
                await self._attach_progress(tx, bulk_id, progress(bulk_id), at)
            if audit_entry is not None:
                await audit(tx, _with_id(audit_entry, bulk_id), stamp)
            if dialog is not None:
                await tx.execute(
                    "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?", dialog
                )
            return bulk_id

    @staticmethod
    async def _attach_progress(
        tx: aiosqlite.Connection, bulk_id: int, progress: Outgoing, at: datetime
    ) -> None:
        outbox_id = await enqueue_one(tx, progress, at)
        await tx.execute(
            "UPDATE bulk_sends SET progress_id = ?, progress_at = ? WHERE id = ?",
            (outbox_id, iso(at), bulk_id),
        )

    async def start_due(
        self, at: datetime, progress: dict[int, Outgoing], entries: dict[int, AuditEntry]
    ) -> list[int]:
        """Scheduled bulk sends whose time came start writing (with their progress message)."""
        started = []
        async with self.db.transaction() as tx:
            async with tx.execute(
                "UPDATE bulk_sends SET status = 'writing' "
                "WHERE status = 'scheduled' AND due_at <= ? RETURNING id",
                (iso(at),),
            ) as cursor:
                started = [int(r[0]) for r in await cursor.fetchall()]
            for bulk_id in started:
                if bulk_id in progress:
                    await self._attach_progress(tx, bulk_id, progress[bulk_id], at)
                if bulk_id in entries:
                    await audit(tx, entries[bulk_id], iso(at))
        return started

    async def bulk(self, bulk_id: int) -> BulkSend | None:
        """One bulk send."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM bulk_sends WHERE id = ?", (bulk_id,))
        return _bulk(row) if row else None

    async def with_status(self, statuses: Sequence[BulkStatus]) -> list[BulkSend]:
        """Bulk sends in any of these states, soonest first."""
        marks = ",".join("?" * len(statuses))
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM bulk_sends WHERE status IN ({marks}) ORDER BY due_at, id",
            [s.value for s in statuses],
        )
        return [_bulk(r) for r in rows]

    async def write_batch(self, bulk_id: int, at: datetime, size: int) -> int | None:
        """Write the next batch of recipients to the outbox and move the cursor, atomically.

        Returns how many rows were written; None when the bulk send is not being written (any
        more). A batch shorter than size was the last: the bulk send moves on to sending.
        """
        async with self.db.transaction() as tx:
            async with tx.execute(
                "SELECT message, audience, urgent, cursor FROM bulk_sends "
                "WHERE id = ? AND status = 'writing'",
                (bulk_id,),
            ) as cursor:
                bulk = await cursor.fetchone()
            if bulk is None:
                return None
            sql, params = _recipients(Audience.from_json(bulk["audience"]), bool(bulk["urgent"]))
            async with tx.execute(
                f"SELECT DISTINCT c.telegram_id{sql} AND c.telegram_id > ? "
                "ORDER BY c.telegram_id LIMIT ?",
                [*params, bulk["cursor"], size],
            ) as cursor:
                chats = [int(r[0]) for r in await cursor.fetchall()]
            await enqueue(
                tx,
                [
                    Outgoing.from_json(chat, None, bulk["message"], lane=Lane.BULK, bulk_id=bulk_id)
                    for chat in chats
                ],
                at,
            )
            await tx.execute(
                "UPDATE bulk_sends SET cursor = ?, written = written + ?, "
                "status = CASE WHEN ? < ? THEN 'sending' ELSE status END WHERE id = ?",
                (chats[-1] if chats else bulk["cursor"], len(chats), len(chats), size, bulk_id),
            )
            return len(chats)

    async def progressed(
        self, bulk_id: int, at: datetime, outgoing: Sequence[Outgoing], *, done: bool
    ) -> bool:
        """Record a progress edit (and when done, finish with its report); False if it ended."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE bulk_sends SET progress_at = ?, "
                "status = CASE WHEN ? THEN 'done' ELSE status END, "
                "finished_at = CASE WHEN ? THEN ? ELSE finished_at END "
                "WHERE id = ? AND status = 'sending'",
                (iso(at), int(done), int(done), iso(at), bulk_id),
            )
            if not cursor.rowcount:
                return False
            await enqueue(tx, outgoing, at)
            return True

    async def cancel(
        self, bulk_id: int, at: datetime, outgoing: Sequence[Outgoing], audit_entry: AuditEntry
    ) -> int | None:
        """Stop a bulk send: drop its unsent rows; None if it had ended. Returns rows dropped."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE bulk_sends SET status = 'cancelled', finished_at = ? "
                "WHERE id = ? AND status IN ('scheduled', 'writing', 'sending')",
                (iso(at), bulk_id),
            )
            if not cursor.rowcount:
                return None
            dropped = await tx.execute(
                "DELETE FROM outbox WHERE bulk_id = ? AND status = 'pending'", (bulk_id,)
            )
            await enqueue(tx, outgoing, at)
            await audit(tx, audit_entry, iso(at))
            return dropped.rowcount

    async def bulk_progress(self, bulk_id: int) -> BulkProgress:
        """Count one bulk send's messages (the outbox's figures)."""
        return await OutboxStore(self.db).bulk_progress(bulk_id)

    async def set_muted(self, telegram_id: int, muted: bool, at: datetime) -> None:
        """/notices: mute or unmute non-urgent notices and broadcasts."""
        await self.db.write(
            "UPDATE accounts SET muted = ?, updated_at = ? WHERE telegram_id = ?",
            (int(muted), iso(at), telegram_id),
        )

    async def muted(self, telegram_id: int) -> bool:
        """Whether the owner muted non-urgent notices."""
        row = await self.db.fetchone(
            "SELECT muted FROM accounts WHERE telegram_id = ?", (telegram_id,)
        )
        return bool(row and row[0])

    async def notice_state(self) -> dict[str, datetime]:
        """The last handled occurrence of each recurring notice."""
        rows = await self.db.fetchall("SELECT notice_id, last_at FROM notice_state")
        return {r["notice_id"]: d for r in rows if (d := parse(r["last_at"])) is not None}

    async def first_seen(self, notice_ids: Sequence[str], at: datetime) -> None:
        """Notices never handled count from now (a new notice sends nothing for the past)."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO notice_state (notice_id, last_at) VALUES (?, ?) "
                "ON CONFLICT (notice_id) DO NOTHING",
                [(n, iso(at)) for n in notice_ids],
            )


async def _set_notice_state(tx: aiosqlite.Connection, notice_id: str, last_at: datetime) -> None:
    await tx.execute(
        "INSERT INTO notice_state (notice_id, last_at) VALUES (?, ?) "
        "ON CONFLICT (notice_id) DO UPDATE SET last_at = excluded.last_at",
        (notice_id, iso(last_at)),
    )


def _with_id(entry: AuditEntry, bulk_id: int) -> AuditEntry:
    return AuditEntry(
        entry.actor, entry.action, f"broadcast {bulk_id}", {**entry.details, "bulk_id": bulk_id}
    )
