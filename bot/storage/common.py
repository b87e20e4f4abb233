"""Helpers every repository shares: timestamps, accounts, the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import aiosqlite


def iso(moment: datetime) -> str:
    """A timestamp as stored: UTC ISO 8601 with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse(value: str | None) -> datetime | None:
    """A stored timestamp back as an aware datetime."""
    return datetime.fromisoformat(value) if value else None


def now() -> str:
    """The current time as stored."""
    return iso(datetime.now(UTC))


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


async def audit(
    tx: aiosqlite.Connection, actor: int | None, action: str, subject: str, **details: Any
) -> None:
    """Record an admin or system action."""
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        (now(), actor, action, subject, json.dumps(details, ensure_ascii=False)),
    )
