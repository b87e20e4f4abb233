"""Case timers in storage: completing one is one transaction with what it writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.cases import CaseCommit
from bot.domain.models import NewEvent
from bot.domain.outbox import Outgoing
from bot.storage.cases import CaseRepository
from bot.storage.common import iso
from bot.storage.timers import CaseTimerStore
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner, FakeClock
from tests.telegram.people import open_case
from tests.telegram.steps import register


async def test_a_failed_completion_leaves_the_timer_pending_and_writes_nothing(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser, clock: FakeClock
) -> None:
    await register(owner)
    await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    store = CaseTimerStore(bot.db)
    clock.advance(hours=2)
    [reminder] = await store.due(clock.now(), 10)
    await bot.drained()
    outbox_before = await bot.outbox.stats()
    broken = CaseCommit(
        at=clock.now(),
        events=[(reminder.case_id, NewEvent("system", None, "reminded"))],
        outgoing=[Outgoing(1, "cases/sla_reminder", edit_of=999_999)],  # refused mid-way
    )
    with pytest.raises(ValueError, match="999999"):
        await store.complete([(reminder, "sent", broken)], clock.now())
    assert await store.due(clock.now(), 10) == [reminder]
    assert await bot.outbox.stats() == outbox_before
    kinds = [e.kind for e in await CaseRepository(bot.db, "HN").history(reminder.case_id)]
    assert "reminded" not in kinds


async def test_a_timer_moved_after_it_was_read_is_not_completed(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser, clock: FakeClock
) -> None:
    await register(owner)
    await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    store = CaseTimerStore(bot.db)
    clock.advance(hours=2)
    [reminder] = await store.due(clock.now(), 10)
    await bot.drained()
    await bot.db.write(
        "UPDATE case_timers SET due_at = ? WHERE kind = 'reminder'",
        (iso(clock.now() + timedelta(hours=1)),),
    )
    commit = CaseCommit(at=clock.now(), outgoing=[Outgoing(1, "cases/sla_reminder")])
    assert await store.complete([(reminder, "sent", commit)], clock.now()) == 0
    assert (await bot.outbox.stats()).pending == 0  # nothing was written for it
