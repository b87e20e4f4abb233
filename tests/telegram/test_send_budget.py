"""One send budget (issue 11 item 5): direct replies and the outbox sender share Telegram's one
overall limit; replies go first, the sender takes what is left."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.domain.outbox import Outgoing
from bot.storage.outbox import enqueue
from fake_telegram import FakeBotAPI
from fake_telegram.ratelimit import RateLimits
from tests.conftest import BotRunner, FakeClock, make_settings
from tests.telegram.bulk_seed import limited

__all__ = ["limited"]  # the fixture, imported for pytest


async def test_replies_and_the_sender_together_stay_within_the_overall_limit(
    limited: BotRunner, api: FakeBotAPI
) -> None:
    # 150 queued messages to 150 chats: the sender alone could use all of Telegram's 30/s.
    recipients = [api.user(50_000 + n) for n in range(150)]
    async with limited.db.transaction() as tx:
        await enqueue(tx, [Outgoing(u.id, "privacy") for u in recipients], limited.clock.now())
    limited.app.bot_data["sender"].wake()
    await asyncio.sleep(1.0)  # the sender is at full speed
    # Meanwhile 60 people each ask something: 60 direct replies within two seconds.
    askers = [api.user(60_000 + n, language_code="en") for n in range(60)]
    started = time.monotonic()
    waits: list[float] = []

    async def ask(n: int) -> None:
        await asyncio.sleep(n / 30)
        sent = time.monotonic()
        await askers[n].send("/privacy")
        waits.append(time.monotonic() - sent)

    await asyncio.gather(*(ask(n) for n in range(60)))
    await limited.drained(within=30)
    elapsed = time.monotonic() - started

    assert all(any("personal data" in m.plain for m in a.inbox) for a in askers)
    assert all(len(u.inbox) == 1 for u in recipients)
    # Two budgets of 30/s each would have gone over Telegram's one 30/s: the fake answers 429.
    assert [r for r in api.refusals if r.status == 429] == []
    budget = limited.app.bot_data["budget"]
    assert budget.spent_by_replies >= 60
    assert budget.spent_by_sender >= 150
    # Replies first: none waited behind the queue (150 sends at 30/s take 5 s).
    assert max(waits) < 1.5, sorted(waits)[-5:]
    assert elapsed < 15


async def test_a_lower_limit_is_one_limit_for_both(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock
) -> None:
    """At 10/s for the whole bot (the fake enforcing it too), replies and sends still fit."""
    api.rate_limits_enabled = True
    api.rate_limits = RateLimits(global_per_second=10.0)
    settings = make_settings(tmp_path, LEGAL_AID_TELEGRAM_MAX_MESSAGES_PER_SECOND="10")
    runner = BotRunner(api, settings, clock)
    await runner.start()
    try:
        recipients = [api.user(50_000 + n) for n in range(40)]
        async with runner.db.transaction() as tx:
            await enqueue(tx, [Outgoing(u.id, "privacy") for u in recipients], clock.now())
        runner.app.bot_data["sender"].wake()
        askers = [api.user(60_000 + n, language_code="en") for n in range(15)]
        await asyncio.gather(*(a.send("/privacy") for a in askers))
        await runner.drained(within=30)
        assert [r for r in api.refusals if r.status == 429] == []
        assert all(len(u.inbox) == 1 for u in recipients)
        assert all(a.inbox for a in askers)
    finally:
        await runner.stop()
