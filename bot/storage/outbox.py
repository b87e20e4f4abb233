"""The outbox table: write messages in the caller's transaction, claim due ones in lane and
per-chat order, record outcomes. Every timestamp is the caller's (the sender's clock)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.domain.outbox import BulkProgress, Lane, OutboxRow, OutboxStats, Outgoing
from bot.storage.common import iso
from bot.storage.database import Database

_INSERT = (
    "INSERT INTO outbox (chat_id, kind, lane, bulk_id, edit_of, photo, payload, case_id, "
    "not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def enqueue(tx: aiosqlite.Connection, messages: Sequence[Outgoing], at: datetime) -> None:
    """Write messages to the outbox inside the caller's transaction, due from at.

    An edit of a message that already has an edit waiting (not yet claimed) replaces that
    edit's content instead of queueing another: a burst of twenty counted confirmations is a
    few edits, the latest text winning, not twenty.
    """
    stamp = iso(at)
    await _check_edits(tx, messages)
    await _store_photos(tx, messages, stamp)
    rows = []
    for m in messages:
        if m.edit_of is not None:
            cursor = await tx.execute(
                "UPDATE outbox SET payload = ? WHERE edit_of = ? AND status = 'pending'",
                (m.to_json(), m.edit_of),
            )
            if cursor.rowcount:
                continue
        rows.append(_values(m, stamp))
    await tx.executemany(_INSERT, rows)


async def enqueue_one(tx: aiosqlite.Connection, message: Outgoing, at: datetime) -> int:
    """Write one message as enqueue does; return its outbox id (what a later edit names)."""
    stamp = iso(at)
    await _check_edits(tx, [message])
    await _store_photos(tx, [message], stamp)
    async with tx.execute(_INSERT + " RETURNING id", _values(message, stamp)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def _values(m: Outgoing, stamp: str) -> tuple[object, ...]:
    photo = _digest(m.photo) if m.photo is not None else None
    return (
        m.chat_id,
        m.kind.value,
        int(m.lane),
        m.bulk_id,
        m.edit_of,
        photo,
        m.to_json(),
        m.case_id,
        stamp,
        stamp,
    )


async def _check_edits(tx: aiosqlite.Connection, messages: Sequence[Outgoing]) -> None:
    """An edit names a message of its own chat and travels in its lane, right behind it.

    Lane order is id order, so the edit cannot overtake the send it edits; in another lane it
    could, and in a more urgent one it would wait for a send that waits for it.
    """
    edits = [m for m in messages if m.edit_of is not None]
    if not edits:
        return
    marks = ",".join("?" * len(edits))
    async with tx.execute(
        f"SELECT id, chat_id, lane FROM outbox WHERE id IN ({marks})", [m.edit_of for m in edits]
    ) as cursor:
        targets = {r["id"]: (r["chat_id"], r["lane"]) for r in await cursor.fetchall()}
    for m in edits:
        if targets.get(m.edit_of) != (m.chat_id, int(m.lane)):
            raise ValueError(
                f"an edit of outbox message {m.edit_of} must be to its chat and in its lane"
            )


async def _store_photos(tx: aiosqlite.Connection, messages: Sequence[Outgoing], stamp: str) -> None:
    photos = {_digest(m.photo): m.photo for m in messages if m.photo is not None}
    if photos:
        await tx.executemany(
            "INSERT INTO outbox_photos (sha256, content, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (sha256) DO NOTHING",
            [(digest, content, stamp) for digest, content in photos.items()],
        )


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _row(r: sqlite3.Row) -> OutboxRow:
    outgoing = Outgoing.from_json(
        r["chat_id"],
        r["case_id"],
        r["payload"],
        lane=Lane(r["lane"]),
        bulk_id=r["bulk_id"],
        edit_of=r["edit_of"],
        photo=r["photo_content"],
    )
    return OutboxRow(r["id"], outgoing, r["attempts"], r["target_message_id"])


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
        """Take up to limit due messages, lower lanes first, then oldest; one per idle chat.

        A chat's candidate is the oldest unfinished message of its lowest lane that has one, and
        only while nothing of the chat is in flight: within a chat, case traffic overtakes bulk
        queued earlier and each lane keeps its order (so an edit, in the lane of what it edits,
        comes after that send was recorded). One statement selects and marks them, so a row is
        never claimed twice. The sender (the only one that claims) wakes far more often than it
        finds work: an UPDATE that matches nothing costs about what a read would.
        """
        if limit <= 0:
            return []
        skip = ",".join("?" * len(busy))
        rows = await self.db.write(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN ("
            "  SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.not_before <= ?"
            + (f" AND o.chat_id NOT IN ({skip})" if busy else "")
            # Each status test below repeats the partial indexes' conditions word for word:
            # SQLite uses a partial index only for a query that names its WHERE clause.
            + "  AND o.id = (SELECT MIN(i.id) FROM outbox i"
            "    WHERE i.status IN ('pending', 'sending') AND i.chat_id = o.chat_id"
            "    AND i.lane = o.lane)"
            "  AND NOT EXISTS (SELECT 1 FROM outbox u"
            "    WHERE u.status IN ('pending', 'sending') AND u.chat_id = o.chat_id"
            "    AND (u.status = 'sending' OR u.lane < o.lane))"
            "  ORDER BY o.lane, o.id LIMIT ?) "
            "RETURNING id, chat_id, case_id, lane, bulk_id, edit_of, payload, attempts,"
            " (SELECT t.message_id FROM outbox t WHERE t.id = outbox.edit_of) AS target_message_id,"
            " (SELECT p.content FROM outbox_photos p WHERE p.sha256 = outbox.photo)"
            " AS photo_content",
            (iso(at), *busy, limit),
        )
        return [_row(r) for r in sorted(rows, key=lambda r: (r["lane"], r["id"]))]

    async def sent(self, row: OutboxRow, message_id: int | None, at: datetime) -> None:
        """Record a delivered message (a trigger links it to its case for replies)."""
        await self.db.write(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ? WHERE id = ?",
            (message_id, iso(at), row.id),
        )

    async def link_also(self, row: OutboxRow, message_ids: Sequence[int]) -> None:
        """Link more messages one send made (an album's copies) to the row's case, so that a
        Telegram reply to any of them reaches it (the trigger links the first)."""
        case_id = row.outgoing.case_id
        if case_id is None or not message_ids:
            return
        chat = row.outgoing.chat_id
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT OR IGNORE INTO relay_links (chat_id, message_id, case_id) VALUES (?, ?, ?)",
                [(chat, m, case_id) for m in message_ids],
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
                "UPDATE outbox SET status = 'failed', last_error = ?, blocked = ? WHERE id = ?",
                (error[:500], int(blocked), row.id),
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

    async def bulk_progress(self, bulk_id: int) -> BulkProgress:
        """How many messages of one bulk send were sent, failed, blocked, or are still to go."""
        rows = await self.db.fetchall(
            "SELECT status, blocked, COUNT(*) AS n, SUM(uncertain) AS u FROM outbox "
            "WHERE bulk_id = ? "
            "GROUP BY status, blocked",
            (bulk_id,),
        )
        sent = failed = blocked = pending = uncertain = 0
        for r in rows:
            if r["status"] == "sent":
                sent += r["n"]
                uncertain += r["u"] or 0
            elif r["status"] == "failed" and r["blocked"]:
                blocked += r["n"]
            elif r["status"] == "failed":
                failed += r["n"]
            else:
                pending += r["n"]
        return BulkProgress(
            sent=sent, failed=failed, blocked=blocked, pending=pending, uncertain=uncertain
        )
