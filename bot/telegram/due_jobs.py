"""Wakes the due-work runner at the next due time, through PTB's JobQueue (APScheduler).

The scheduler holds no truth: one "due-work" job is planned at `DueRunner.next_due(now)`
(what the rows say), re-planned after every run and whenever something that may add a due
row rang the doorbell. Nothing polls while nothing is due: the only other wake is a safety
re-plan after SAFETY_SECONDS. The job is added with no misfire grace: APScheduler's default
of 1 s skips a run that wakes late on a busy event loop, and a skipped run would be a lost
reminder until the next wake (docs/schedule.md).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Job, JobQueue

from bot.domain.ports import Clock
from bot.services.due import DueRunner

_LOGGER = logging.getLogger(__name__)
JOB_NAME = "due-work"
# Re-plan at least this often even when no row says so (a clock jump, a row written by hand).
SAFETY_SECONDS = 3600.0
# After a run that did nothing although something was due (its work keeps failing, e.g. a
# message that cannot be built), the next run waits this long instead of looping at once.
IDLE_RETRY_SECONDS = 5.0


class DueScheduler:
    """Plans one JobQueue job at the runner's next due time; a Waker for the doorbell."""

    def __init__(self, job_queue: JobQueue[Any], runner: DueRunner, clock: Clock) -> None:
        self._queue = job_queue
        self._runner = runner
        self._clock = clock
        self._job: Job[Any] | None = None
        self._target: datetime | None = None  # the clock time the job is planned for
        self._planning: asyncio.Task[None] | None = None
        self._again = False
        self._fruitless = False  # the last run was due but did nothing
        self.runs = 0  # how many times the job has run (for tests and the benchmark)

    @property
    def planned_at(self) -> datetime | None:
        """The clock time the job is planned for (None while it runs or before a plan)."""
        return self._target

    def start(self) -> None:
        """Plan the first wake at once: what fell due while the bot was down is done now."""
        self._schedule(self._clock.now(), self._clock.now())

    def wake(self) -> None:
        """Something may have written a due row: re-plan (coalesced; one plan at a time)."""
        if self._planning is not None and not self._planning.done():
            self._again = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # rung outside the loop (a CLI): nothing to plan
            return
        self._planning = loop.create_task(self._plan(), name="due-work-plan")

    async def _plan(self) -> None:
        while True:
            self._again = False
            now = self._clock.now()
            try:
                due = await self._runner.next_due(now)
            except Exception:  # a failed read must not leave the runner asleep for ever
                _LOGGER.exception("Planning due work failed; trying again in a minute")
                self._schedule(now, now + timedelta(seconds=60))
                return
            target = now + timedelta(seconds=SAFETY_SECONDS)
            if due is not None:
                if due <= now and self._fruitless:  # still due after a run that did nothing
                    due = now + timedelta(seconds=IDLE_RETRY_SECONDS)
                target = min(target, max(due, now))
            if self._job is None or target != self._target:
                self._schedule(now, target)
            if not self._again:
                return

    def _schedule(self, now: datetime, target: datetime) -> None:
        if self._job is not None and not self._job.removed:
            self._job.schedule_removal()
        self._target = target
        self._job = self._queue.run_once(
            self._fire,
            target - now,
            name=JOB_NAME,
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def _fire(self, _: Any) -> None:
        self._job = None
        self._target = None
        done = 0
        try:
            done = await self._runner.run_due(self._clock.now())
        finally:
            self._fruitless = done == 0
            self.runs += 1
            self.wake()
