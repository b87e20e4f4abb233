"""Each kind of outbox message through the real sender and the fake Bot API, on the bot's clock."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.domain.outbox import BulkProgress, Button, Lane, Outgoing
from bot.storage.common import iso
from bot.storage.outbox import enqueue, enqueue_one
from fake_telegram import TINY_PNG, FakeBotAPI, Message
from tests.conftest import BotRunner

AWAY = "已暂停"  # templates/zh-hans/cases/away.html, away=True
BACK = "欢迎回来"  # the same, away=False


def away(chat_id: int, on: bool, **fields: object) -> Outgoing:
    return Outgoing(chat_id, "cases/away", {"away": on}, **fields)  # type: ignore[arg-type]


async def put(bot: BotRunner, *messages: Outgoing) -> None:
    async with bot.db.transaction() as tx:
        await enqueue(tx, messages, bot.clock.now())
    bot.app.bot_data["sender"].wake()


async def put_one(bot: BotRunner, message: Outgoing) -> int:
    async with bot.db.transaction() as tx:
        outbox_id = await enqueue_one(tx, message, bot.clock.now())
    bot.app.bot_data["sender"].wake()
    return outbox_id


async def settled(bot: BotRunner, outbox_id: int, within: float = 5.0) -> tuple[str, str | None]:
    """Wait until the sender finished with a message; its status and last error."""
    deadline = time.monotonic() + within
    while True:
        row = await bot.db.fetchone(
            "SELECT status, last_error FROM outbox WHERE id = ?", (outbox_id,)
        )
        assert row is not None
        if row["status"] in ("sent", "failed"):
            return row["status"], row["last_error"]
        assert time.monotonic() < deadline, f"outbox message {outbox_id} still {row['status']}"
        await asyncio.sleep(0.01)


async def held(bot: BotRunner, outbox_id: int, within: float = 5.0) -> str:
    """Wait until the sender put a message back for a retry; when it is due again."""
    deadline = time.monotonic() + within
    while True:
        row = await bot.db.fetchone(
            "SELECT not_before FROM outbox WHERE id = ? AND status = 'pending' "
            "AND last_error IS NOT NULL",
            (outbox_id,),
        )
        if row is not None:
            return str(row[0])
        assert time.monotonic() < deadline, f"outbox message {outbox_id} was not held"
        await asyncio.sleep(0.01)


def only_message(api: FakeBotAPI, chat_id: int) -> Message:
    [message] = api.sent_to(chat_id)
    return message


async def test_a_message_is_edited_in_place_text_and_buttons(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(3001)
    progress = await put_one(bot, away(admin.id, True))
    assert await settled(bot, progress) == ("sent", None)
    buttons = ((Button("back", ("noop",)),),)
    edit = await put_one(bot, away(admin.id, False, buttons=buttons, edit_of=progress))
    assert await settled(bot, edit) == ("sent", None)
    message = only_message(api, admin.id)
    assert BACK in message.plain
    assert len(message.edits) == 1
    assert AWAY in (message.edits[0] or "")
    assert len(message.button_labels) == 1
    stored = await bot.db.fetchone("SELECT message_id FROM outbox WHERE id = ?", (edit,))
    assert stored is not None
    assert stored[0] == message.message_id


async def test_an_edit_that_changes_nothing_counts_as_delivered(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(3001)
    progress = await put_one(bot, away(admin.id, True))
    await settled(bot, progress)
    same = await put_one(bot, away(admin.id, True, edit_of=progress))
    assert await settled(bot, same) == ("sent", None)
    assert api.calls["editMessageText"] == 1  # Telegram answered 400 "message is not modified"
    assert only_message(api, admin.id).edits == []


async def test_an_edit_queued_with_its_send_arrives_after_it(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(3001)
    async with bot.db.transaction() as tx:
        now = bot.clock.now()
        progress = await enqueue_one(tx, away(admin.id, True, lane=Lane.BULK), now)
        edit = await enqueue_one(tx, away(admin.id, False, lane=Lane.BULK, edit_of=progress), now)
    bot.app.bot_data["sender"].wake()
    assert await settled(bot, edit) == ("sent", None)
    assert BACK in only_message(api, admin.id).plain


async def test_an_edit_of_a_message_never_sent_is_given_up_without_calling_telegram(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(3001)
    api.fail_next("sendMessage", status=400)
    progress = await put_one(bot, away(admin.id, True))
    assert (await settled(bot, progress))[0] == "failed"
    edit = await put_one(bot, away(admin.id, False, edit_of=progress))
    status, error = await settled(bot, edit)
    assert status == "failed"
    assert error == f"outbox message {progress} to edit was never sent"
    assert api.calls["editMessageText"] == 0


async def test_a_photo_from_bytes_is_uploaded_with_its_caption(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(3001)
    chart = await put_one(
        bot,
        Outgoing(
            admin.id,
            "cases/attachment_caption",
            {"number": "周报", "caption": "图表"},
            photo=TINY_PNG,
        ),
    )
    assert await settled(bot, chart) == ("sent", None)
    photo = only_message(api, admin.id)
    assert photo.kind == "photo"
    assert photo.plain == "📎 周报：图表"
    assert photo.file_id is not None
    assert api.file_bytes(photo.file_id) == TINY_PNG


async def test_a_bulk_send_counts_its_progress(bot: BotRunner, api: FakeBotAPI) -> None:
    owners = [api.user(4000 + i) for i in range(3)]
    owners[1].block()
    await put(bot, *(away(o.id, True, lane=Lane.BULK, bulk_id=42) for o in owners))
    outbox = bot.outbox
    deadline = time.monotonic() + 5
    while (progress := await outbox.bulk_progress(42)).pending:
        assert time.monotonic() < deadline, progress
        await asyncio.sleep(0.01)
    assert progress == BulkProgress(sent=2, failed=0, blocked=1, pending=0)
    assert [len(api.sent_to(o.id)) for o in owners] == [1, 0, 1]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, "NetworkError: Internal Server Error"), (429, "429 retry after 1.0s")],
)
async def test_a_retry_falls_due_on_the_bots_clock(
    bot: BotRunner, api: FakeBotAPI, status: int, error: str
) -> None:
    owner = api.user(3001)
    api.fail_next("sendMessage", status=status)
    outbox_id = await put_one(bot, away(owner.id, True))
    # A 5xx waits [outbox] retry_base_seconds (1 s), a 429 its retry_after (1 s): clock time.
    assert await held(bot, outbox_id) == iso(bot.clock.now() + timedelta(seconds=1))
    bot.clock.advance(seconds=1)
    bot.app.bot_data["sender"].wake()
    assert await settled(bot, outbox_id) == ("sent", error)
    assert AWAY in only_message(api, owner.id).plain
    sent_at = await bot.db.fetchone("SELECT sent_at FROM outbox WHERE id = ?", (outbox_id,))
    assert sent_at is not None
    assert sent_at[0] == iso(bot.clock.now())
