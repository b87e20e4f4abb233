"""The outbox store on real SQLite: lanes, per-chat order, kinds, progress, the caller's time."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.outbox import BulkProgress, Button, Kind, Lane, OutboxRow, Outgoing
from bot.storage.common import iso
from bot.storage.database import Database, migrations
from bot.storage.outbox import OutboxStore, enqueue, enqueue_one
from fake_telegram import TINY_PNG

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


def bulk(chat_id: int, n: int = 0, bulk_id: int | None = None) -> Outgoing:
    return Outgoing(chat_id, "cases/away", {"n": n}, lane=Lane.BULK, bulk_id=bulk_id)


async def put(db: Database, *messages: Outgoing, at: datetime = T0) -> None:
    async with db.transaction() as tx:
        await enqueue(tx, messages, at)


async def put_one(db: Database, message: Outgoing, at: datetime = T0) -> int:
    async with db.transaction() as tx:
        return await enqueue_one(tx, message, at)


async def scalar(db: Database, sql: str, params: tuple[object, ...] = ()) -> object:
    row = await db.fetchone(sql, params)
    assert row is not None
    return row[0]


async def drain(store: OutboxStore) -> list[tuple[int, int]]:
    """Claim and mark sent until nothing is left; (chat, n) in the order they were claimed."""
    order: list[tuple[int, int]] = []
    while rows := await store.claim(T0, 16, set()):
        for row in rows:
            order.append((row.outgoing.chat_id, row.outgoing.context["n"]))
            await store.sent(row, 1000 + row.id, T0)
    return order


async def test_a_case_message_is_claimed_before_2000_bulk_rows_queued_earlier(
    db: Database, store: OutboxStore
) -> None:
    await put(db, *(bulk(chat, bulk_id=1) for chat in range(1, 2001)))
    await put(db, case(5000))
    first = await store.claim(T0, 1, set())
    assert [(r.outgoing.chat_id, r.outgoing.lane) for r in first] == [(5000, Lane.CASE)]
    then = await store.claim(T0, 16, set())  # then bulk, oldest first, one per chat
    assert [r.outgoing.chat_id for r in then] == list(range(1, 17))


async def test_in_a_chat_case_traffic_overtakes_bulk_and_each_lane_keeps_its_order(
    db: Database, store: OutboxStore
) -> None:
    await put(db, bulk(1, 1), bulk(1, 2), case(2, 1))
    await put(db, case(1, 3), bulk(2, 2), case(1, 4))
    order = await drain(store)
    assert [n for chat, n in order if chat == 1] == [3, 4, 1, 2]
    assert [n for chat, n in order if chat == 2] == [1, 2]
    assert order[:2] == [(2, 1), (1, 3)]  # across chats too: every case message first


async def test_a_chat_has_one_message_in_flight_whatever_its_lane(
    db: Database, store: OutboxStore
) -> None:
    await put(db, bulk(1, 1))
    [in_flight] = await store.claim(T0, 16, set())
    await put(db, case(1, 2))  # more urgent, but the chat's bulk message is on its way
    assert await store.claim(T0, 16, set()) == []
    await store.sent(in_flight, 1, T0)
    assert await drain(store) == [(1, 2)]


async def test_bulk_waits_while_its_chats_case_message_is_held(
    db: Database, store: OutboxStore
) -> None:
    await put(db, case(1, 1), bulk(1, 2), bulk(2, 3))
    [row] = await store.claim(T0, 1, set())
    await store.retry(row, T0 + timedelta(seconds=30), "502", uncertain=True)
    claimed = await store.claim(T0, 16, set())
    assert [r.outgoing.chat_id for r in claimed] == [2]  # chat 1 waits for its case message
    assert await store.claim(T0 + timedelta(seconds=30), 16, set()) != []


async def test_an_edit_comes_after_the_send_it_edits_and_knows_its_message_id(
    db: Database, store: OutboxStore
) -> None:
    async with db.transaction() as tx:
        progress = await enqueue_one(tx, case(1, 1), T0)
        await enqueue(tx, [Outgoing(1, "cases/away", {"n": 2}, edit_of=progress)], T0)
    [send] = await store.claim(T0, 16, set())
    assert send.id == progress
    assert await store.claim(T0, 16, set()) == []
    await store.sent(send, 77, T0)
    [edit] = await store.claim(T0, 16, set())
    assert edit.outgoing.kind is Kind.EDIT
    assert edit.outgoing.edit_of == progress
    assert edit.target_message_id == 77


async def test_an_edit_of_a_send_given_up_has_no_message_to_change(
    db: Database, store: OutboxStore
) -> None:
    progress = await put_one(db, bulk(1, 1))
    await put(db, Outgoing(1, "cases/away", {"n": 2}, lane=Lane.BULK, edit_of=progress))
    [send] = await store.claim(T0, 16, set())
    await store.failed(send, "400 chat not found", blocked=False, at=T0)
    [edit] = await store.claim(T0, 16, set())
    assert edit.target_message_id is None


@pytest.mark.parametrize(
    "edit",
    [
        Outgoing(2, "cases/away", edit_of=1),  # another chat
        Outgoing(1, "cases/away", edit_of=1, lane=Lane.BULK),  # another lane
        Outgoing(1, "cases/away", edit_of=99),  # no such message
    ],
    ids=["chat", "lane", "missing"],
)
async def test_an_edit_names_a_message_of_its_chat_and_lane(db: Database, edit: Outgoing) -> None:
    assert await put_one(db, case(1)) == 1
    with pytest.raises(ValueError, match="must be to its chat and in its lane"):
        await put(db, edit)
    assert await scalar(db, "SELECT COUNT(*) FROM outbox") == 1  # the caller's tx rolled back


async def test_bulk_progress_counts_one_bulk_send(db: Database, store: OutboxStore) -> None:
    await put(db, *(bulk(chat, bulk_id=7) for chat in range(1, 6)), bulk(9, bulk_id=8), case(10))
    rows = {r.outgoing.chat_id: r for r in await store.claim(T0, 16, set())}
    await store.sent(rows[1], 11, T0)
    await store.sent(rows[2], 12, T0)
    await store.failed(rows[3], "403 blocked", blocked=True, at=T0)
    await store.failed(rows[4], "400 chat not found", blocked=False, at=T0)
    assert await store.bulk_progress(7) == BulkProgress(sent=2, failed=1, blocked=1, pending=1)
    assert (await store.bulk_progress(7)).total == 5
    assert await store.bulk_progress(8) == BulkProgress(sent=0, failed=0, blocked=0, pending=1)
    assert await store.bulk_progress(6) == BulkProgress(sent=0, failed=0, blocked=0, pending=0)


async def test_a_photo_is_stored_with_its_rows_once_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "photo.db"
    db = await Database.open(path)
    chart = Outgoing(1, "cases/attachment_caption", {"number": "HN-1"}, photo=TINY_PNG)
    await put(db, chart, replace(chart, chat_id=2))
    assert await scalar(db, "SELECT COUNT(*) FROM outbox_photos") == 1
    await db.close()
    db = await Database.open(path)
    try:
        rows = await OutboxStore(db).claim(T0, 16, set())
        assert [r.outgoing for r in rows] == [chart, replace(chart, chat_id=2)]
        assert rows[0].outgoing.kind is Kind.PHOTO
        assert rows[0].outgoing.photo == TINY_PNG
    finally:
        await db.close()


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


async def test_rows_written_before_lanes_read_as_before(tmp_path: Path) -> None:
    """A database at migration 0004 with messages in it: after 0005 they are sent as they were."""
    path = tmp_path / "old.db"
    message = Outgoing(
        1, "cases/from_staff", {"text": "您好"}, ((Button("reply", ("r", "5")),),), case_id=None
    )
    copy = Outgoing(2, "cases/attachment_caption", {"number": "HN-1"}, copy_from=(3, 4))
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, name, sql in migrations():
            if version <= 4:
                conn.executescript(sql)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'x')", (version, name))
        conn.executemany(  # the insert as storage/common.enqueue wrote it until now
            "INSERT INTO outbox (chat_id, kind, payload, case_id, not_before, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "message", message.to_json(), None, iso(T0), iso(T0)),
                (2, "copy", copy.to_json(), None, iso(T0), iso(T0)),
            ],
        )
    db = await Database.open(path)
    try:
        rows = await OutboxStore(db).claim(T0, 16, set())
        assert [r.outgoing for r in rows] == [message, copy]
        assert [(r.outgoing.kind, r.outgoing.lane) for r in rows] == [
            (Kind.MESSAGE, Lane.CASE),
            (Kind.COPY, Lane.CASE),
        ]
        assert rows[0] == OutboxRow(1, message, 1)
    finally:
        await db.close()


async def test_an_edit_waiting_for_its_turn_takes_the_newer_text(db: Database) -> None:
    async with db.transaction() as tx:
        sent = await enqueue_one(tx, Outgoing(5, "cases/ack_owner", {"messages": 1}), T0)
        await enqueue(tx, [Outgoing(5, "cases/ack_owner", {"messages": 2}, edit_of=sent)], T0)
        await enqueue(tx, [Outgoing(5, "cases/ack_owner", {"messages": 3}, edit_of=sent)], T0)
    rows = await db.fetchall("SELECT payload FROM outbox WHERE edit_of = ?", (sent,))
    assert len(rows) == 1  # one edit, not two
    assert '"messages": 3' in rows[0][0]
