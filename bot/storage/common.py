"""Helpers every repository shares: timestamps, accounts, the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiosqlite

from bot.domain.cases import OPEN_STATUSES
from bot.domain.models import AuditEntry

# The statuses of cases still being worked on, as an SQL list: "('accepted', 'open')".
OPEN_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)) + ")"


def iso(moment: datetime) -> str:
    """A timestamp as stored: UTC ISO 8601 with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse(value: str | None) -> datetime | None:
    """A stored timestamp back as an aware datetime."""
    return datetime.fromisoformat(value) if value else None


async def ensure_account(
    tx: aiosqlite.Connection, telegram_id: int, at: str, role: str | None = None
) -> None:
    """Create the account row if missing; set its role when given."""
    await tx.execute(
        "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (telegram_id) DO NOTHING",
        (telegram_id, at, at),
    )
    if role is not None:
        await tx.execute(
            "UPDATE accounts SET role = ?, updated_at = ? WHERE telegram_id = ?",
            (role, at, telegram_id),
        )


async def audit(tx: aiosqlite.Connection, entry: AuditEntry, at: str) -> None:
    """Record an admin or system action, in the transaction of the action."""
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        (
            at,
            entry.actor,
            entry.action.value,
            entry.subject,
            json.dumps(dict(entry.details), ensure_ascii=False),
        ),
    )
