"""The inbox table: store received updates in one transaction per batch, claim the next update
of each chat, record outcomes. Every timestamp is the caller's (the inbox pump's clock).

How a write marks the update it handles: `InboxStore.handling(update_id, at)` sets a context
variable for the handler's task; Database.transaction adds the marking to every write
transaction that is an effect (bot/storage/database.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime

from bot.domain.inbox import Handling, InboxRow, InboxState, InboxStats, Incoming
from bot.storage.common import iso, parse
from bot.storage.database import HANDLING, Database

# The first open update of each chat, if it is waiting and due: one chat's updates one at a
# time and in order, every chat's first in the order they came (no flood goes first). On
# PostgreSQL the same claim is `... FOR UPDATE OF i SKIP LOCKED` (docs/architecture.md).
_CLAIM = (
    "SELECT i.update_id, i.chat_key, i.payload, i.attempts FROM inbox i JOIN ("
    "SELECT chat_key, MIN(update_id) AS first FROM inbox "
    "WHERE state IN ('pending', 'handling') GROUP BY chat_key"
    ") f ON i.update_id = f.first "
    "WHERE i.state = 'pending' AND (i.not_before IS NULL OR i.not_before <= ?) "
    "ORDER BY i.update_id LIMIT ?"
)


class InboxStore:
    """Received updates, durable before Telegram is told they arrived."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextlib.contextmanager
    def handling(self, update_id: int, at: datetime) -> Iterator[Handling]:
        """While the block runs (in this task), effect writes mark the update handled."""
        mark = Handling(update_id, iso(at))
        token = HANDLING.set(mark)
        try:
            yield mark
        finally:
            HANDLING.reset(token)

    async def store(self, updates: Sequence[Incoming], at: datetime) -> list[int]:
        """Store a batch in one transaction; an update stored before is ignored.

        Returns the ids of the updates that were new.
        """
        if not updates:
            return []
        ids = [u.update_id for u in updates]
        async with self.db.transaction(effect=False) as tx:
            marks = ", ".join("?" * len(ids))
            async with tx.execute(
                f"SELECT update_id FROM inbox WHERE update_id IN ({marks})", ids
            ) as cursor:
                known = {int(r[0]) for r in await cursor.fetchall()}
            fresh = {u.update_id: u for u in updates if u.update_id not in known}
            await tx.executemany(
                "INSERT INTO inbox (update_id, chat_key, payload, received_at) VALUES (?, ?, ?, ?)",
                [(u.update_id, u.chat_key, u.payload, iso(at)) for u in fresh.values()],
            )
            return list(fresh)

    async def recover(self, max_attempts: int, at: datetime) -> int:
        """Put handlings a crash interrupted back as pending (or failed, if out of tries)."""
        async with self.db.transaction(effect=False) as tx:
            await tx.execute(
                "UPDATE inbox SET state = 'failed', handled_at = ?, "
                "error = COALESCE(error, 'interrupted by a crash at every try') "
                "WHERE state = 'handling' AND attempts >= ?",
                (iso(at), max_attempts),
            )
            cursor = await tx.execute(
                "UPDATE inbox SET state = 'pending', repeats = repeats + 1 WHERE state = 'handling'"
            )
            return cursor.rowcount

    async def cycle(self, done: Sequence[int], at: datetime, limit: int) -> list[InboxRow]:
        """Mark finished updates handled and claim up to limit next ones, in one transaction."""
        stamp = iso(at)
        async with self.db.transaction(effect=False) as tx:
            if done:
                await tx.executemany(
                    "UPDATE inbox SET state = 'handled', handled_at = ? "
                    "WHERE update_id = ? AND state = 'handling'",
                    [(stamp, update_id) for update_id in done],
                )
            if limit <= 0:
                return []
            async with tx.execute(_CLAIM, (stamp, limit)) as cursor:
                rows = [InboxRow(r[0], r[1], r[2], r[3] + 1) for r in await cursor.fetchall()]
            if rows:
                await tx.executemany(
                    "UPDATE inbox SET state = 'handling', attempts = attempts + 1 "
                    "WHERE update_id = ?",
                    [(row.update_id,) for row in rows],
                )
            return rows

    async def failed(
        self, update_id: int, error: str, at: datetime, retry_at: datetime | None
    ) -> InboxState:
        """Record a failed try: pending again from retry_at, or failed for good (None)."""
        async with self.db.transaction(effect=False) as tx:
            if retry_at is None:
                cursor = await tx.execute(
                    "UPDATE inbox SET state = 'failed', error = ?, handled_at = ? "
                    "WHERE update_id = ? AND state = 'handling'",
                    (error, iso(at), update_id),
                )
            else:
                cursor = await tx.execute(
                    "UPDATE inbox SET state = 'pending', error = ?, not_before = ? "
                    "WHERE update_id = ? AND state = 'handling'",
                    (error, iso(retry_at), update_id),
                )
            if cursor.rowcount:
                return InboxState.FAILED if retry_at is None else InboxState.PENDING
        # Its effects were written (and marked it handled) before the handler failed: a try
        # more would repeat them, so it stays handled; the error is in the log.
        return InboxState.HANDLED

    async def next_retry(self, after: datetime) -> datetime | None:
        """When the earliest update waiting for a retry is due."""
        row = await self.db.fetchone(
            "SELECT MIN(not_before) FROM inbox WHERE state = 'pending' AND not_before > ?",
            (iso(after),),
        )
        return parse(row[0]) if row else None

    async def prune(self, before: datetime) -> int:
        """Forget handled updates handled before a time; return how many."""
        rows = await self.db.write(
            "DELETE FROM inbox WHERE state = 'handled' AND handled_at < ? RETURNING update_id",
            (iso(before),),
        )
        return len(rows)

    async def retry_failed(self) -> int:
        """Put every failed update back as pending, with fresh tries (an operator's call)."""
        rows = await self.db.write(
            "UPDATE inbox SET state = 'pending', attempts = 0, not_before = NULL "
            "WHERE state = 'failed' RETURNING update_id"
        )
        return len(rows)

    async def stats(self) -> InboxStats:
        """Counts by state, and the handlings a crash interrupted that were done again."""
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM inbox GROUP BY state")
        counts = {r[0]: int(r[1]) for r in rows}
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM inbox WHERE state = 'handled' AND repeats > 0 AND effect = 0"
        )
        return InboxStats(
            pending=counts.get("pending", 0),
            handling=counts.get("handling", 0),
            handled=counts.get("handled", 0),
            failed=counts.get("failed", 0),
            repeated=int(row[0]) if row else 0,
        )

    async def failures(self, limit: int = 20) -> list[tuple[int, int, str]]:
        """The most recent failed updates: (update id, tries, error)."""
        rows = await self.db.fetchall(
            "SELECT update_id, attempts, error FROM inbox WHERE state = 'failed' "
            "ORDER BY handled_at DESC, update_id DESC LIMIT ?",
            (limit,),
        )
        return [(int(r[0]), int(r[1]), str(r[2] or "")) for r in rows]
