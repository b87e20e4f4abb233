"""Albums being received (issue 16): their items kept as they arrive, until relayed whole."""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain.cases import Album, AlbumKey, Attachment
from bot.storage.common import iso, parse
from bot.storage.database import Database


class AlbumRepository:
    """The albums and album_items tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: AlbumKey) -> Album | None:
        """An album with the items received so far, in message order."""
        row = await self.db.fetchone(
            "SELECT * FROM albums WHERE chat_id = ? AND media_group_id = ?",
            (key.chat_id, key.group),
        )
        if row is None:
            return None
        items = await self.db.fetchall(
            "SELECT attachment FROM album_items WHERE chat_id = ? AND media_group_id = ? "
            "ORDER BY message_id",
            (key.chat_id, key.group),
        )
        last_at = parse(row["last_at"])
        assert last_at is not None
        return Album(
            key,
            row["user_id"],
            row["mode"] == "relay",
            row["case_id"],
            last_at,
            row["done_at"] is not None,
            tuple(Attachment.from_dict(json.loads(r["attachment"])) for r in items),
        )

    async def begin(self, key: AlbumKey, user_id: int, case_id: int | None, at: datetime) -> bool:
        """Record an album's first item's way (a case to collect for, or none: follow); False
        when the album was known already."""
        rows = await self.db.write(
            "INSERT INTO albums (chat_id, media_group_id, user_id, mode, case_id, last_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, media_group_id) DO NOTHING "
            "RETURNING chat_id",
            (key.chat_id, key.group, user_id, "relay" if case_id else "follow", case_id, iso(at)),
        )
        return bool(rows)

    async def add(self, key: AlbumKey, item: Attachment, at: datetime) -> bool:
        """Keep an item of an album being collected (again after a redelivery: kept once);
        False when the album was relayed already."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE albums SET last_at = ? "
                "WHERE chat_id = ? AND media_group_id = ? AND done_at IS NULL",
                (iso(at), key.chat_id, key.group),
            )
            if not cursor.rowcount:
                return False
            await tx.execute(
                "INSERT INTO album_items (chat_id, media_group_id, message_id, attachment) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    key.chat_id,
                    key.group,
                    item.message_id,
                    json.dumps(item.to_dict(), ensure_ascii=False),
                ),
            )
            return True

    async def quiet_since(self, before: datetime) -> list[AlbumKey]:
        """Albums being collected whose latest item arrived before `before`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT chat_id, media_group_id FROM albums "
            "WHERE done_at IS NULL AND mode = 'relay' AND last_at < ? ORDER BY last_at",
            (iso(before),),
        )
        return [AlbumKey(r["chat_id"], r["media_group_id"]) for r in rows]

    async def next_quiet(self) -> datetime | None:
        """When the album collected longest ago got its latest item (None: none collected)."""
        row = await self.db.fetchone(
            "SELECT MIN(last_at) FROM albums WHERE done_at IS NULL AND mode = 'relay'"
        )
        return parse(row[0]) if row else None

    async def close(self, key: AlbumKey, at: datetime) -> None:
        """Mark an album done without a relay (its case could not take it)."""
        await self.db.write(
            "UPDATE albums SET done_at = ? WHERE chat_id = ? AND media_group_id = ?",
            (iso(at), key.chat_id, key.group),
        )
