"""The outbox store on real SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.outbox import Outgoing
from bot.storage.common import iso
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore, enqueue

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "outbox.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def store(db: Database) -> OutboxStore:
    return OutboxStore(db)


def case(chat_id: int, n: int = 0) -> Outgoing:
    return Outgoing(chat_id, "cases/away", {"n": n})


async def put(db: Database, *messages: Outgoing, at: datetime = T0) -> None:
    async with db.transaction() as tx:
        await enqueue(tx, messages, at)


async def scalar(db: Database, sql: str, params: tuple[object, ...] = ()) -> object:
    row = await db.fetchone(sql, params)
    assert row is not None
    return row[0]


async def test_every_time_is_the_callers(db: Database, store: OutboxStore) -> None:
    await db.write(
        "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (1, 'x', 'x')"
    )
    await put(db, case(1))
    assert await store.claim(T0 - timedelta(milliseconds=1), 16, set()) == []
    [row] = await store.claim(T0, 16, set())
    held = T0 + timedelta(seconds=5)
    await store.retry(row, held, "502 Bad Gateway", uncertain=True)
    assert await store.claim(held - timedelta(milliseconds=1), 16, set()) == []
    [row] = await store.claim(held, 16, set())
    await store.failed(row, "403 blocked", blocked=True, at=held)
    stored = await db.fetchone("SELECT created_at, not_before, sent_at FROM outbox")
    assert tuple(stored or ()) == (iso(T0), iso(held), None)
    account = await db.fetchone("SELECT active, updated_at FROM accounts")
    assert tuple(account or ()) == (0, iso(held))
    await put(db, case(1, 2), at=held)
    [row] = await store.claim(held, 16, set())
    await store.sent(row, 5, held + timedelta(seconds=1))
    sent_at = await scalar(db, "SELECT sent_at FROM outbox WHERE id = ?", (row.id,))
    assert sent_at == iso(held + timedelta(seconds=1))
