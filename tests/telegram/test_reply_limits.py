"""Direct replies: one chat's flood or 429 does not hold up another chat (issue #10.10)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.telegram.ratelimit import ReplyRateLimiter
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner

# How long another user may wait for an answer while someone floods the bot. An answer takes a
# few milliseconds here; AIORateLimiter held every chat for each 429 (about 1 s, every time).
BOUND = 0.3


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for a condition on the fake API's records (polled: they have no event of their own)."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


async def answered_within(
    api: FakeBotAPI, user: FakeUser, text: str, pending: list[asyncio.Task[Any]]
) -> float:
    """Send text; return how long its answer took to reach the user."""
    # Not the time user.send takes: the test runner returns from it once the update queue
    # is empty, so behind a flood it waits for the flooder's updates too.
    latest = max((m.message_id for m in api.sent_to(user.id)), default=0)
    start = time.monotonic()
    sent = asyncio.create_task(user.send(text))
    await api.wait_for_message(user.id, after_message_id=latest, timeout=10)
    elapsed = time.monotonic() - start
    pending.append(sent)
    return elapsed


async def test_one_users_flood_does_not_delay_another_users_answers(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    api.rate_limits_enabled = True  # Telegram's limits: 30/s, and 1/s per chat after 3
    flooder = api.user(7001, first_name="Flood")
    other = api.user(7002, first_name="Calm")
    flood: list[asyncio.Task[Any]] = [asyncio.create_task(flooder.send("/help")) for _ in range(6)]
    await until(lambda: len(api.sent_to(flooder.id)) >= 3)  # its burst is spent
    delays = []
    for _ in range(3):
        delays.append(await answered_within(api, other, "/help", flood))
        await asyncio.sleep(0.25)
    assert max(delays) < BOUND, delays
    assert len(api.sent_to(other.id)) == 3
    async with asyncio.timeout(30):
        await asyncio.gather(*flood)
    assert len(api.sent_to(flooder.id)) == 6  # the flooder's answers come, at its chat's pace


async def test_a_429_for_one_chat_does_not_hold_another(bot: BotRunner, api: FakeBotAPI) -> None:
    held = api.user(7003, first_name="Held")
    other = api.user(7004, first_name="Other")
    before = api.calls["sendMessage"]
    api.fail_next("sendMessage", status=429)  # "retry after 1", for the next answer: held's
    start = time.monotonic()
    answer: list[asyncio.Task[Any]] = [asyncio.create_task(held.send("/help"))]
    await until(lambda: api.calls["sendMessage"] > before)
    assert await answered_within(api, other, "/help", answer) < BOUND
    assert len(api.sent_to(held.id)) == 0  # held's answer waits for its retry_after...
    async with asyncio.timeout(10):
        await asyncio.gather(*answer)
    assert time.monotonic() - start >= 0.9
    assert len(api.sent_to(held.id)) == 1  # ...and then arrives, once


class _Telegram:
    """The request coroutine PTB hands the limiter: answers 429 a given number of times."""

    def __init__(self, refusals: int, retry_after: float = 0.0) -> None:
        self.refusals = refusals
        self.retry_after = retry_after
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        if self.calls <= self.refusals:
            raise RetryAfter(timedelta(seconds=self.retry_after))
        return True


async def send(limiter: ReplyRateLimiter, telegram: _Telegram, chat_id: int) -> object:
    return await limiter.process_request(
        telegram, (), {}, "sendMessage", {"chat_id": chat_id}, None
    )


async def test_a_429_is_retried_a_bounded_number_of_times() -> None:
    limiter = ReplyRateLimiter(30, max_retries=3)
    assert await send(limiter, _Telegram(refusals=3), 1) is True  # three holds, then sent
    telegram = _Telegram(refusals=10)
    with pytest.raises(RetryAfter):
        await send(limiter, telegram, 2)
    assert telegram.calls == 4  # the first try and three retries


async def test_a_retry_after_longer_than_the_longest_hold_is_not_waited_for() -> None:
    limiter = ReplyRateLimiter(30, max_hold=5)
    telegram = _Telegram(refusals=1, retry_after=600)
    with pytest.raises(RetryAfter):
        await send(limiter, telegram, 1)
    assert telegram.calls == 1


async def test_a_hold_is_for_its_chat_only() -> None:
    limiter = ReplyRateLimiter(30)
    held = asyncio.create_task(send(limiter, _Telegram(refusals=1, retry_after=1), 1))
    await until(lambda: limiter.held_until(1) > 0)
    start = time.monotonic()
    assert await send(limiter, _Telegram(refusals=0), 2) is True
    assert time.monotonic() - start < 0.05
    assert not held.done()
    held.cancel()


async def test_a_chat_is_paced_after_a_429_and_only_that_chat() -> None:
    limiter = ReplyRateLimiter(100, per_chat_per_second=20, chat_burst=3)
    start = time.monotonic()
    for _ in range(5):  # never refused: a burst goes through at once
        await send(limiter, _Telegram(refusals=0), 2)
    assert time.monotonic() - start < 0.04
    await send(limiter, _Telegram(refusals=1), 1)  # refused once, held 0 s, then sent
    start = time.monotonic()
    for _ in range(3):
        await send(limiter, _Telegram(refusals=0), 1)
    assert time.monotonic() - start >= 3 / 20 - 0.01  # from the 429 on: 20/s, no burst
