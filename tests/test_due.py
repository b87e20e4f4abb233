"""The due-work seam: a job only wakes DueRunner; tests call it with a moved clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.services.due import DueRunner
from bot.telegram.due_jobs import SAFETY_SECONDS
from tests.conftest import BotRunner, FakeClock


class Recorder:
    """A hand-written fake at the DueWork port: records when it was asked."""

    def __init__(self, result: int = 1) -> None:
        self.calls: list[datetime] = []
        self.result = result

    async def run_due(self, now: datetime) -> int:
        self.calls.append(now)
        return self.result


class Broken:
    async def run_due(self, now: datetime) -> int:
        raise RuntimeError("database is locked")


async def test_runner_passes_the_moved_clock_and_survives_a_failing_work(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    first, last = Recorder(2), Recorder(3)
    runner = DueRunner([first, Broken(), last])
    start = clock.now()
    assert await runner.run_due(clock.now()) == 5
    clock.advance(hours=25)
    assert await runner.run_due(clock.now()) == 5
    assert first.calls == last.calls == [start, clock.now()]
    assert "Broken failed" in caplog.text


async def test_with_nothing_due_the_job_sleeps_until_the_safety_replan(
    bot: BotRunner, clock: FakeClock
) -> None:
    """No polling: one job, planned an hour ahead when no row is due (near-zero idle CPU)."""
    assert bot.app.job_queue is not None
    scheduler = bot.app.bot_data["due_scheduler"]
    async with asyncio.timeout(5):
        while True:
            if scheduler.planned_at is not None and scheduler.runs > 0:
                break
            await asyncio.sleep(0.01)
    assert scheduler.planned_at == clock.now() + timedelta(seconds=SAFETY_SECONDS)
    jobs = bot.app.job_queue.get_jobs_by_name("due-work")
    assert len(jobs) == 1
    assert isinstance(bot.app.bot_data["due"], DueRunner)


async def test_the_runner_runs_works_appended_after_it_was_built(clock: FakeClock) -> None:
    works: list[Any] = []
    runner = DueRunner(works)
    works.append(Recorder(4))
    assert await runner.run_due(clock.now()) == 4
