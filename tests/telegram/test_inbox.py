"""The durable inbox in process: idempotence, bounded retries, order and fairness, webhook answers.

The crash tests (a real bot process killed mid-burst) are in tests/test_inbox_crash.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.telegram.polling import Poller
from bot.telegram.webhook import WebhookServer
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.people import onboard, open_case, wait
from tests.telegram.steps import register

APOLOGY = "抱歉，处理您的消息时出了问题"


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait for a condition (polled), failing after `within` seconds."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - a condition on the database and the fake
            await asyncio.sleep(0.02)


async def hold_write_lock(bot: BotRunner) -> sqlite3.Connection:
    """Take the database's write lock from another connection, as another process would.

    In a thread: the bot may be committing, and waiting for it must not block its event loop.
    """
    blocker = sqlite3.connect(
        bot.settings.database_path, isolation_level=None, check_same_thread=False
    )
    await asyncio.to_thread(blocker.execute, "BEGIN EXCLUSIVE")
    return blocker


async def inbox_row(bot: BotRunner, update_id: int) -> dict[str, Any]:
    row = await bot.db.fetchone("SELECT * FROM inbox WHERE update_id = ?", (update_id,))
    assert row is not None, f"update {update_id} was not stored"
    return dict(row)


async def test_the_same_update_delivered_twice_is_relayed_once(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "仓库门口有人拦车，货运不出去")
    dispatch = api.on_update
    assert dispatch is not None
    seen: list[dict[str, Any]] = []

    async def twice(data: dict[str, Any]) -> None:  # Telegram re-sends after a timeout
        seen.append(data)
        await dispatch(data)
        await dispatch(data)

    api.on_update = twice
    await owner.send("车牌是皖D12345，请尽快")
    api.on_update = dispatch
    await bot.drained()  # (a send in flight at a crash may go twice: that is the outbox's)
    await bot.restart()  # and a restart reads the inbox again
    await owner.send("还有一件事")
    await wait(api, liaison, "还有一件事")
    await bot.drained()
    relayed = [m for m in liaison.inbox if "车牌是皖D12345" in m.plain]
    assert len(relayed) == 1
    assert number in relayed[0].plain
    events = await bot.db.fetchall(
        "SELECT text FROM case_events WHERE kind = 'message' AND text LIKE '%皖D12345%'"
    )
    assert len(events) == 1
    row = await inbox_row(bot, seen[0]["update_id"])
    assert (row["state"], row["effect"], row["attempts"]) == ("handled", 1, 1)


def fail_on(text: str, failures: list[int]) -> MessageHandler[Any, Any, Any]:
    """A handler before all others that raises for one text (a defect in some handler)."""

    async def explode(update: Update, _: Any) -> None:
        failures.append(update.update_id)
        raise RuntimeError("simulated defect")

    return MessageHandler(filters.Text([text]), explode)


async def test_a_failing_handler_is_retried_then_kept_as_failed_and_others_go_on(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    failures: list[int] = []
    bot.app.add_handler(fail_on("出错的消息", failures), group=-2)
    other = api.user(1002, first_name="李", language_code="zh-hans")
    await owner.send("出错的消息")
    (update_id,) = set(failures)
    row = await inbox_row(bot, update_id)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "simulated defect" in row["error"]
    assert not any(APOLOGY in m.plain for m in owner.inbox)  # a retry follows: silent

    await other.send("/help")  # another chat is not held up by the failing one
    assert other.last is not None

    for attempt in (2, 3):
        bot.clock.advance(seconds=60)
        bot.inbox.wake()

        async def tried(n: int = attempt) -> bool:
            row = await inbox_row(bot, update_id)
            return row["attempts"] == n and row["state"] != "handling"

        await until(tried)
    row = await inbox_row(bot, update_id)
    assert (row["state"], row["attempts"]) == ("failed", 3)
    assert failures == [update_id] * 3
    await until(lambda: _has(owner, APOLOGY))  # told once, at the last try
    assert sum(APOLOGY in m.plain for m in owner.inbox) == 1
    stats = await bot.app.bot_data["inbox"].store.stats()
    assert stats.failed == 1

    bot.clock.advance(seconds=600)  # kept as failed: not tried again
    bot.inbox.wake()
    await owner.send("/help")
    assert failures == [update_id] * 3


async def _has(user: FakeUser, text: str) -> bool:
    return any(text in m.plain for m in user.inbox)


async def test_one_chat_in_order_and_its_flood_does_not_hold_up_another(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    release = asyncio.Event()
    handled: list[tuple[int, str]] = []

    async def slow(update: Update, _: Any) -> None:
        assert update.effective_user is not None
        assert update.message is not None
        if update.effective_user.id == owner.id:
            await release.wait()  # the flooding chat's handler is slow
        handled.append((update.effective_user.id, update.message.text or ""))
        raise ApplicationHandlerStop

    bot.app.add_handler(MessageHandler(filters.Regex(r"^flood"), slow), group=-2)
    flood = [asyncio.create_task(owner.send(f"flood {n}")) for n in range(10)]
    await asyncio.sleep(0.05)
    other = api.user(1002, first_name="李", language_code="zh-hans")
    async with asyncio.timeout(5):
        await other.send("flood from another chat")  # handled while the flood waits
    assert handled == [(1002, "flood from another chat")]
    waiting = await bot.db.fetchall(
        "SELECT state FROM inbox WHERE chat_key = ? ORDER BY update_id", (owner.id,)
    )
    assert [r[0] for r in waiting] == ["handling"] + ["pending"] * 9  # one at a time
    release.set()
    async with asyncio.timeout(10):
        await asyncio.gather(*flood)
    assert handled[1:] == [(owner.id, f"flood {n}") for n in range(10)]


async def test_the_webhook_answers_200_only_once_stored_and_500_when_it_cannot_store(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    server = WebhookServer(bot.app.bot, bot.inbox, "s3cret-token")
    await server.start("127.0.0.1", 0, "https://bot.example.org/telegram")
    try:
        api.webhook_forward = lambda url: f"http://127.0.0.1:{server.port}/telegram"
        api.on_update = None  # updates now go to the webhook, as Telegram sends them
        await owner.send("/help")
        await until(lambda: _has(owner, "/ask"))
        assert api.webhook_pusher.answers == [200]

        # Another process holds the write lock: the update cannot be stored.
        blocker = await hold_write_lock(bot)
        try:
            before = len(owner.inbox)
            await owner.send("/privacy")

            async def refused() -> bool:
                return 500 in api.webhook_pusher.answers

            await until(refused, within=20)
            assert len(owner.inbox) == before  # not stored, not handled, not confirmed
            assert len(api.pending_updates) == 1  # Telegram keeps it and retries
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()

        async def delivered() -> bool:
            return not api.pending_updates and len(owner.inbox) > before

        await until(delivered, within=20)
        assert api.webhook_pusher.answers[-1] == 200
    finally:
        await api.webhook_pusher.stop()
        await server.stop()


async def test_the_webhook_refuses_a_request_without_the_secret_token(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    import aiohttp

    server = WebhookServer(bot.app.bot, bot.inbox, "s3cret-token")
    await server.start("127.0.0.1", 0, "https://bot.example.org/telegram")
    try:
        update = {
            "update_id": 777,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": owner.id, "type": "private"},
                "from": {"id": owner.id, "is_bot": False, "first_name": "x"},
                "text": "/help",
            },
        }
        url = f"http://127.0.0.1:{server.port}/telegram"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as answer:
                assert answer.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with session.post(url, data="not json", headers=headers) as answer:
                assert answer.status == 400
        assert await bot.db.fetchone("SELECT 1 FROM inbox WHERE update_id = 777") is None
    finally:
        await server.stop()


async def test_handled_updates_are_pruned_after_the_retention_and_failed_ones_kept(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    failures: list[int] = []
    bot.app.add_handler(fail_on("出错的消息", failures), group=-2)
    await owner.send("/help")
    await owner.send("出错的消息")

    async def kept_as_failed() -> bool:  # time passes until its last try
        bot.clock.advance(seconds=60)
        bot.inbox.wake()
        row = await bot.db.fetchone("SELECT 1 FROM inbox WHERE state = 'failed'")
        return row is not None

    await until(kept_as_failed)
    bot.clock.advance(days=bot.settings.inbox.retention_days, hours=2)
    bot.inbox.wake()

    async def pruned() -> bool:
        rows = await bot.db.fetchall("SELECT state FROM inbox")
        return [r[0] for r in rows] == ["failed"]

    await until(pruned)


async def test_polling_confirms_a_batch_only_once_it_is_stored(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    poller = Poller(bot.app.bot, bot.inbox, timeout=1)
    api.on_update = None  # updates wait at Telegram for getUpdates, as in production
    blocker = await hold_write_lock(bot)  # another process holds the write lock
    await poller.start()
    try:
        await owner.send("/help")

        async def fetched() -> bool:
            return api.calls["getUpdates"] >= 1 and poller.offset is None

        await until(fetched)
        await asyncio.sleep(0.5)
        assert poller.offset is None  # not stored: not confirmed
        assert len(api.pending_updates) == 1
        assert not owner.inbox
        blocker.execute("ROLLBACK")

        async def answered() -> bool:
            return bool(owner.inbox) and poller.offset is not None

        await until(answered, within=30)
    finally:
        blocker.close()
        await poller.stop()
    assert not api.pending_updates  # confirmed once stored (and by the stop's last call)


async def test_admins_see_how_many_updates_failed_in_their_figures(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await admin.send("/stats")
    assert any("处理失败的消息：0 条" in m.plain for m in admin.inbox)
    failures: list[int] = []
    bot.app.add_handler(fail_on("出错的消息", failures), group=-2)
    await owner.send("出错的消息")

    async def kept_as_failed() -> bool:
        bot.clock.advance(seconds=60)
        bot.inbox.wake()
        return await bot.db.fetchone("SELECT 1 FROM inbox WHERE state = 'failed'") is not None

    await until(kept_as_failed)
    await admin.send("/stats")
    texts = [m.plain for m in admin.inbox if "处理失败的消息" in m.plain]
    assert "处理失败的消息：1 条" in texts[-1]
    assert "legal-aid-bot db inbox" in texts[-1]
