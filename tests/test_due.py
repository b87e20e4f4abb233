"""The due-work seam: a job only wakes DueRunner; tests call it with a moved clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services.due import DueRunner
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


async def test_the_application_wakes_due_work_on_a_repeating_job(bot: BotRunner) -> None:
    assert bot.app.job_queue is not None
    jobs = bot.app.job_queue.get_jobs_by_name("due-work")
    assert len(jobs) == 1
    assert isinstance(bot.app.bot_data["due"], DueRunner)
