"""The audit log as admins read and export it, and entries recorded on their own.

Entries of actions that write something else are recorded in that action's transaction
(`bot.storage.common.audit`); migration 0011 makes the table append-only.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.domain.models import AuditEntry, AuditRecord
from bot.storage.common import audit, iso, parse
from bot.storage.database import Database


def audit_record(row: sqlite3.Row) -> AuditRecord:
    """An audit_log row as a record."""
    at = parse(row["at"])
    assert at is not None
    return AuditRecord(
        row["id"], at, row["actor"], row["action"], row["subject"] or "", json.loads(row["details"])
    )


class AuditStore:
    """The audit_log table: append and read, never change."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, entry: AuditEntry, at: datetime) -> None:
        """Append one entry in a transaction of its own."""
        async with self.db.transaction() as tx:
            await audit(tx, entry, iso(at))

    async def recent(self, offset: int, limit: int) -> tuple[list[AuditRecord], int]:
        """The newest entries first, from offset, and how many there are in all."""
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        total = await self.db.fetchone("SELECT COUNT(*) FROM audit_log")
        return [audit_record(r) for r in rows], int(total[0]) if total else 0
