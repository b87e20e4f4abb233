"""FAQ queries kept for "ask a counsel" and for admins: all their SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.common import iso
from bot.storage.database import Database


@dataclass(frozen=True, slots=True)
class StoredQuery:
    """A kept free-text question."""

    id: int
    language: str
    text: str
    best_entry: str | None
    helpful: bool | None


class FaqQueryStore:
    """The faq_queries table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, at: datetime, language: str, text: str, best: str | None, score: float | None
    ) -> int:
        """Keep a question; returns its id (a log: the answer, not this, handles the update)."""
        async with self.db.transaction(effect=False) as tx:
            cursor = await tx.execute(
                "INSERT INTO faq_queries (at, language, text, best_entry, score) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (iso(at), language, text, best, score),
            )
            row = await cursor.fetchone()
            assert row is not None
            return int(row[0])

    async def get(self, query_id: int) -> StoredQuery | None:
        """A kept question by id."""
        row = await self.db.fetchone("SELECT * FROM faq_queries WHERE id = ?", (query_id,))
        if row is None:
            return None
        helpful = None if row["helpful"] is None else bool(row["helpful"])
        return StoredQuery(row["id"], row["language"], row["text"], row["best_entry"], helpful)

    async def rate(self, query_id: int, helpful: bool) -> None:
        """Record whether the answer helped."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE faq_queries SET helpful = ? WHERE id = ?", (int(helpful), query_id)
            )

    async def unanswered(self, limit: int = 50) -> list[StoredQuery]:
        """Questions nothing matched, or whose answer did not help, newest first (§5.4)."""
        rows = await self.db.fetchall(
            "SELECT * FROM faq_queries WHERE best_entry IS NULL OR helpful = 0 "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            StoredQuery(
                r["id"],
                r["language"],
                r["text"],
                r["best_entry"],
                None if r["helpful"] is None else bool(r["helpful"]),
            )
            for r in rows
        ]
