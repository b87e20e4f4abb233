"""The cases' timers (migration 0009): due ones read, completed with their commit at once.

Arming, moving and cancelling happen in the case's own transaction (`cases.apply_timers`);
this store reads what is due and completes it: the timer marked done and the messages and
changes it causes written in ONE transaction, conditional on the timer still being pending
at the time it was read for, so nothing is done twice (docs/schedule.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.domain.cases import CaseCommit
from bot.domain.timers import DueTimer, TimerKind
from bot.storage.cases import apply_commit
from bot.storage.common import iso, parse
from bot.storage.database import Database

_SELECT = (
    "SELECT t.case_id, t.kind, t.due_at, c.number FROM case_timers t "
    "JOIN cases c ON c.id = t.case_id WHERE t.state = 'pending' "
)


def _timer(row: sqlite3.Row) -> DueTimer:
    at = parse(row["due_at"])
    assert at is not None
    return DueTimer(row["case_id"], TimerKind(row["kind"]), at, row["number"])


class CaseTimerStore:
    """Reads and completes the cases' timers."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        """Pending timers due at now, earliest first."""
        rows = await self.db.fetchall(
            _SELECT + "AND t.due_at <= ? ORDER BY t.due_at, t.case_id, t.kind LIMIT ?",
            (iso(now), limit),
        )
        return [_timer(r) for r in rows]

    async def pending_after(self, now: datetime) -> list[DueTimer]:
        """Pending timers due after now."""
        rows = await self.db.fetchall(
            _SELECT + "AND t.due_at > ? ORDER BY t.due_at, t.case_id", (iso(now),)
        )
        return [_timer(r) for r in rows]

    async def next_due(self) -> datetime | None:
        """When the earliest pending timer falls due."""
        row = await self.db.fetchone("SELECT MIN(due_at) FROM case_timers WHERE state = 'pending'")
        return parse(row[0]) if row else None

    async def complete(self, done: Sequence[tuple[DueTimer, str, CaseCommit]], at: datetime) -> int:
        """Mark timers done and write their commits in one transaction; skip moved ones."""
        completed = 0
        async with self.db.transaction() as tx:
            for timer, outcome, commit in done:
                cursor = await tx.execute(
                    "UPDATE case_timers SET state = 'done', done_at = ?, outcome = ? "
                    "WHERE case_id = ? AND kind = ? AND state = 'pending' AND due_at = ?",
                    (iso(at), outcome, timer.case_id, timer.kind.value, iso(timer.at)),
                )
                if cursor.rowcount:
                    await apply_commit(tx, commit)
                    completed += 1
        return completed
