"""Cases, their history, relay links and routing cursors: all their SQL.

Every change is one transaction that also writes the outbox messages it causes (§10).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.cases import AlbumRelayed, CaseCommit, Deactivation, LastAck
from bot.domain.models import (
    AuditAction,
    AuditEntry,
    Case,
    CaseEvent,
    CaseStatus,
    NewCase,
    NewEvent,
    Urgency,
)
from bot.domain.outbox import Outgoing
from bot.domain.timers import TimerChange
from bot.storage.common import OPEN_SQL, audit, iso, parse
from bot.storage.database import Database
from bot.storage.outbox import enqueue


def _case(row: sqlite3.Row) -> Case:
    created = parse(row["created_at"])
    due = parse(row["sla_due_at"])
    assert created is not None
    assert due is not None
    return Case(
        id=row["id"],
        number=row["number"],
        enterprise_id=row["enterprise_id"],
        opened_by=row["opened_by"],
        category=row["category"],
        urgency=Urgency(row["urgency"]),
        description=row["description"],
        status=CaseStatus(row["status"]),
        assignee_id=row["assignee_id"],
        sla_due_at=due,
        first_response_at=parse(row["first_response_at"]),
        resolved_at=parse(row["resolved_at"]),
        created_at=created,
        rating=row["rating"],
    )


class CaseRepository:
    """Cases and everything that happens to them."""

    def __init__(self, db: Database, number_prefix: str) -> None:
        self.db = db
        self.prefix = number_prefix

    async def open_case(
        self,
        new: NewCase,
        events: Sequence[NewEvent],
        outgoing: Callable[[Case], Sequence[Outgoing]],
        cursor: tuple[str, int] | None,
        timers: Callable[[Case], Sequence[TimerChange]] | None = None,
    ) -> Case:
        """Store a new case, its first events, its timers and the messages it causes,
        atomically."""
        stamp = iso(new.at)
        async with self.db.transaction() as tx:
            row_cursor = await tx.execute(
                "INSERT INTO cases (number, enterprise_id, opened_by, category, urgency, "
                "description, status, assignee_id, sla_due_at, created_at, updated_at) "
                "VALUES ('', ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING id",
                (
                    new.enterprise_id,
                    new.opened_by,
                    new.category,
                    new.urgency.value,
                    new.description,
                    new.assignee_id,
                    iso(new.sla_due_at),
                    stamp,
                    stamp,
                ),
            )
            row = await row_cursor.fetchone()
            assert row is not None
            case_id = int(row["id"])
            number = f"{self.prefix}-{case_id:06d}"
            await tx.execute("UPDATE cases SET number = ? WHERE id = ?", (number, case_id))
            await _add_events(tx, case_id, stamp, events)
            if new.dialog is not None:
                await tx.execute(
                    "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?",
                    new.dialog,
                )
            if cursor is not None:
                await _set_cursor(tx, *cursor)
            row_cursor = await tx.execute("SELECT * FROM cases WHERE id = ?", (case_id,))
            stored = await row_cursor.fetchone()
            assert stored is not None
            case = _case(stored)
            if timers is not None:
                await apply_timers(tx, timers(case))
            await enqueue(tx, list(outgoing(case)), new.at)
        return case

    async def commit(self, commit: CaseCommit) -> None:
        """Apply case changes, history, timers, outbox messages, cursors, a deactivation and
        audit entries in one transaction."""
        async with self.db.transaction() as tx:
            await apply_commit(tx, commit)

    async def by_id(self, case_id: int) -> Case | None:
        """A case by id."""
        row = await self.db.fetchone("SELECT * FROM cases WHERE id = ?", (case_id,))
        return _case(row) if row else None

    async def by_number(self, number: str) -> Case | None:
        """A case by its number (e.g. HN-000123), case-insensitive."""
        row = await self.db.fetchone(
            "SELECT * FROM cases WHERE number = ? COLLATE NOCASE", (number.strip(),)
        )
        return _case(row) if row else None

    async def of_enterprise(self, enterprise_id: int, open_only: bool = False) -> list[Case]:
        """An enterprise's cases, newest first."""
        condition = f" AND status IN {OPEN_SQL}" if open_only else ""
        rows = await self.db.fetchall(
            f"SELECT * FROM cases WHERE enterprise_id = ?{condition} ORDER BY id DESC LIMIT 50",
            (enterprise_id,),
        )
        return [_case(r) for r in rows]

    async def open_cases(
        self, assignee_id: int | None = None, *, everyone: bool = False
    ) -> list[Case]:
        """Open cases of one assignee, or unassigned ones, or (everyone) all; overdue first."""
        params: tuple[int, ...] = ()
        if everyone:
            where = ""
        elif assignee_id is None:
            where = " AND assignee_id IS NULL"
        else:
            where, params = " AND assignee_id = ?", (assignee_id,)
        rows = await self.db.fetchall(
            f"SELECT * FROM cases WHERE status IN {OPEN_SQL}{where} "
            "ORDER BY sla_due_at, id LIMIT 100",
            params,
        )
        return [_case(r) for r in rows]

    async def unclosed_of(self, assignee_id: int) -> list[Case]:
        """Every case of an assignee that is not closed (resolved ones can come back)."""
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE assignee_id = ? AND status != ? ORDER BY id",
            (assignee_id, CaseStatus.CLOSED.value),
        )
        return [_case(r) for r in rows]

    async def handled_by(self, case_id: int, staff_id: int) -> bool:
        """Whether the staff member is or was assigned the case."""
        row = await self.db.fetchone(
            "SELECT 1 FROM cases WHERE id = ? AND assignee_id = ? UNION ALL "
            "SELECT 1 FROM case_events WHERE case_id = ? AND kind = 'assigned' "
            "AND json_extract(details, '$.staff_id') = ? LIMIT 1",
            (case_id, staff_id, case_id, staff_id),
        )
        return row is not None

    async def history(self, case_id: int) -> list[CaseEvent]:
        """A case's history, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
        )
        result = []
        for r in rows:
            at = parse(r["at"])
            assert at is not None
            result.append(
                CaseEvent(
                    id=r["id"],
                    case_id=r["case_id"],
                    at=at,
                    actor_kind=r["actor_kind"],
                    actor_id=r["actor_id"],
                    kind=r["kind"],
                    text=r["text"],
                    file_kind=r["file_kind"],
                    file_id=r["file_id"],
                    file_name=r["file_name"],
                    details=json.loads(r["details"]),
                )
            )
        return result

    async def last_ack(
        self, case_id: int, actor_kind: str, actor_id: int | None, chat_id: int, template: str
    ) -> LastAck | None:
        """The confirmation this actor last got for messages to this case: when, how many of
        their messages it covers now, and its outbox row (to edit it)."""
        row = await self.db.fetchone(
            "SELECT e.id, e.at, (SELECT COUNT(*) FROM case_events m WHERE m.case_id = e.case_id "
            "  AND m.actor_kind = e.actor_kind AND m.actor_id IS e.actor_id AND m.id >= e.id "
            "  AND m.kind IN ('message', 'attachment')) AS since, "
            "(SELECT MAX(o.id) FROM outbox o WHERE o.chat_id = ? AND o.case_id = e.case_id "
            "  AND json_extract(o.payload, '$.template') = ?) AS outbox_id "
            "FROM case_events e WHERE e.case_id = ? AND e.actor_kind = ? AND e.actor_id IS ? "
            "AND json_extract(e.details, '$.acked') = 1 ORDER BY e.id DESC LIMIT 1",
            (chat_id, template, case_id, actor_kind, actor_id),
        )
        if row is None:
            return None
        at = parse(row["at"])
        assert at is not None
        return LastAck(at, int(row["since"]), row["outbox_id"])

    async def case_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The case a message the bot showed in a chat belongs to, if any."""
        row = await self.db.fetchone(
            "SELECT case_id FROM relay_links WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(row["case_id"]) if row else None


async def _add_events(tx: Any, case_id: int, stamp: str, events: Sequence[NewEvent]) -> None:
    await tx.executemany(
        "INSERT INTO case_events (case_id, at, actor_kind, actor_id, kind, text, file_kind, "
        "file_id, file_name, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                case_id,
                stamp,
                e.actor_kind,
                e.actor_id,
                e.kind,
                e.text,
                e.file_kind,
                e.file_id,
                e.file_name,
                json.dumps(e.details, ensure_ascii=False),
            )
            for e in events
        ],
    )


async def apply_commit(tx: Any, commit: CaseCommit) -> None:
    """Write everything one case action changes, inside the caller's transaction."""
    stamp = iso(commit.at)
    for change in commit.changes:
        values = {**change.values(), "updated_at": stamp}
        # Column names come from CaseChange's fields, never from input.
        assignments = ", ".join(f"{column} = ?" for column in values)
        await tx.execute(
            f"UPDATE cases SET {assignments} WHERE id = ?",
            (*(_stored(v) for v in values.values()), change.case_id),
        )
    for case_id, event in commit.events:
        await _add_events(tx, case_id, stamp, [event])
    for pool, staff_id in commit.cursors:
        await _set_cursor(tx, pool, staff_id)
    if commit.deactivate is not None:
        await _deactivate(tx, commit.deactivate, stamp)
    for entry in commit.audit:
        await audit(tx, entry, stamp)
    await apply_timers(tx, commit.timers)
    if commit.album is not None:
        cursor = await tx.execute(
            "UPDATE albums SET done_at = ? "
            "WHERE chat_id = ? AND media_group_id = ? AND done_at IS NULL",
            (stamp, commit.album.chat_id, commit.album.group),
        )
        if not cursor.rowcount:  # relayed already: this relay must not happen
            raise AlbumRelayed(commit.album)
    await enqueue(tx, list(commit.outgoing), commit.at)


async def apply_timers(tx: Any, changes: Sequence[TimerChange]) -> None:
    """Arm, move or cancel case timers (docs/schedule.md): one row per case and kind."""
    for change in changes:
        if change.at is None:
            await tx.execute(
                "UPDATE case_timers SET state = 'cancelled' "
                "WHERE case_id = ? AND kind = ? AND state = 'pending'",
                (change.case_id, change.kind.value),
            )
        else:
            await tx.execute(
                "INSERT INTO case_timers (case_id, kind, due_at) VALUES (?, ?, ?) "
                "ON CONFLICT (case_id, kind) DO UPDATE SET due_at = excluded.due_at, "
                "state = 'pending', done_at = NULL, outcome = NULL",
                (change.case_id, change.kind.value, iso(change.at)),
            )


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


async def _set_cursor(tx: Any, pool: str, staff_id: int) -> None:
    await tx.execute(
        "INSERT INTO routing_cursors (pool, last_staff) VALUES (?, ?) "
        "ON CONFLICT (pool) DO UPDATE SET last_staff = excluded.last_staff",
        (pool, staff_id),
    )


async def _deactivate(tx: Any, deactivation: Deactivation, stamp: str) -> None:
    """The staff record inactive, and the invites it made that nobody used revoked."""
    await tx.execute(
        "UPDATE staff SET active = 0, updated_at = ? WHERE id = ?",
        (stamp, deactivation.staff_id),
    )
    cursor = await tx.execute(
        "UPDATE invites SET revoked_at = ? WHERE used_by IS NULL AND revoked_at IS NULL "
        "AND created_by = (SELECT telegram_id FROM staff WHERE id = ?)",
        (stamp, deactivation.staff_id),
    )
    if cursor.rowcount:
        entry = AuditEntry(
            deactivation.by,
            AuditAction.REVOKE_INVITES,
            f"staff:{deactivation.staff_id}",
            {"count": cursor.rowcount},
        )
        await audit(tx, entry, stamp)
