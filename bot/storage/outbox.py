"""The outbox table: write messages in the caller's transaction, claim due ones in per-chat
order, record outcomes. Every timestamp is the caller's (the sender's clock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.domain.outbox import OutboxRow, OutboxStats, Outgoing
from bot.storage.common import iso
from bot.storage.database import Database


async def enqueue(tx: aiosqlite.Connection, messages: Sequence[Outgoing], at: datetime) -> None:
    """Write messages to the outbox inside the caller's transaction, due from at."""
    stamp = iso(at)
    await tx.executemany(
        "INSERT INTO outbox (chat_id, kind, payload, case_id, not_before, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (m.chat_id, "copy" if m.copy_from else "message", m.to_json(), m.case_id, stamp, stamp)
            for m in messages
        ],
    )


class OutboxStore:
    """Durable queue of messages that must arrive."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def recover(self) -> int:
        """After a crash: sends in flight may or may not have arrived; send them again, counted."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE outbox SET status = 'pending', uncertain = 1 WHERE status = 'sending'"
            )
            return cursor.rowcount

    async def claim(self, at: datetime, limit: int, busy: set[int]) -> list[OutboxRow]:
        """Take the oldest due message of each idle chat (per-chat order), up to limit.

        One statement selects and marks them, so a row is never claimed twice. The sender (the
        only one that claims) wakes far more often than it finds work: an UPDATE that matches
        nothing costs about what a read would.
        """
        if limit <= 0:
            return []
        skip = ",".join("?" * len(busy))
        rows = await self.db.write(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN ("
            "  SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.not_before <= ?"
            + (f" AND o.chat_id NOT IN ({skip})" if busy else "")
            + "  AND o.id = (SELECT MIN(id) FROM outbox i WHERE i.chat_id = o.chat_id"
            "                AND i.status IN ('pending', 'sending'))"
            "  ORDER BY o.id LIMIT ?) "
            "RETURNING id, chat_id, case_id, payload, attempts",
            (iso(at), *busy, limit),
        )
        return [
            OutboxRow(
                r["id"], Outgoing.from_json(r["chat_id"], r["case_id"], r["payload"]), r["attempts"]
            )
            for r in sorted(rows, key=lambda r: r["id"])
        ]

    async def sent(self, row: OutboxRow, message_id: int | None, at: datetime) -> None:
        """Record a delivered message (a trigger links it to its case for replies)."""
        await self.db.write(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ? WHERE id = ?",
            (message_id, iso(at), row.id),
        )

    async def retry(
        self, row: OutboxRow, not_before: datetime, error: str, uncertain: bool
    ) -> None:
        """Put a message back for a later try."""
        await self.db.write(
            "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?, "
            "uncertain = MAX(uncertain, ?) WHERE id = ?",
            (iso(not_before), error[:500], int(uncertain), row.id),
        )

    async def defer_chat(self, chat_id: int, not_before: datetime) -> None:
        """Hold every pending message of a chat until not_before (Telegram's retry_after)."""
        await self.db.write(
            "UPDATE outbox SET not_before = MAX(not_before, ?) "
            "WHERE chat_id = ? AND status = 'pending'",
            (iso(not_before), chat_id),
        )

    async def failed(self, row: OutboxRow, error: str, *, blocked: bool, at: datetime) -> None:
        """Give up on a message Telegram refused; a blocked user's account becomes inactive."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (error[:500], row.id),
            )
            if blocked:
                await tx.execute(
                    "UPDATE accounts SET active = 0, updated_at = ? WHERE telegram_id = ?",
                    (iso(at), row.outgoing.chat_id),
                )

    async def stats(self) -> OutboxStats:
        """How many messages are in each state, and how many sends were uncertain."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n, SUM(uncertain) AS u FROM outbox GROUP BY status"
        )
        counts = {r["status"]: r["n"] for r in rows}
        return OutboxStats(
            pending=counts.get("pending", 0),
            sending=counts.get("sending", 0),
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            uncertain=sum(r["u"] or 0 for r in rows),
        )
