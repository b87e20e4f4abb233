"""The due-work seam (PRODUCT §6): every piece of timed work is a `run_due(now)` over rows.

The truth of what is due lives in the database; APScheduler (PTB's JobQueue) only wakes
`DueRunner.run_due` with the injected clock's time, at `next_due` (bot/telegram/due_jobs.py),
and tests call it directly with a moved FakeClock instead of sleeping. The case timers (SLA
reminders, escalations, follow-ups, auto-close) are registered in `bot/app.py`
(`build_services`: `Wiring.due_works`, a list the notices, broadcasts and daily report append
to); `legal-aid-bot schedule list` shows what every registered work has coming.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.domain.ports import DueWork
from bot.domain.schedule import Upcoming

_LOGGER = logging.getLogger(__name__)


class DueRunner:
    """Runs every registered piece of due work; one failing does not stop the others."""

    def __init__(self, works: Sequence[DueWork] = ()) -> None:
        # The list itself (not a copy): works appended after construction are run too.
        self._works = works if isinstance(works, list) else list(works)
        self._running = asyncio.Lock()  # one run at a time (the job, a test, the CLI)

    @property
    def works(self) -> Sequence[DueWork]:
        """The registered works, in the order they run."""
        return self._works

    async def run_due(self, now: datetime) -> int:
        """Run each piece of work for `now`; return how many items were done in all."""
        done = 0
        async with self._running:
            for work in self._works:
                try:
                    done += await work.run_due(now)
                except Exception:  # logged; the next wake tries again (the work is idempotent)
                    _LOGGER.exception("Due work %s failed", type(work).__name__)
        return done

    async def upcoming(self, now: datetime) -> list[Upcoming]:
        """Every registered work's upcoming items, soonest first."""
        items: list[Upcoming] = []
        for work in self._works:
            items.extend(await work.upcoming(now))
        return sorted(items, key=lambda item: (item.at, item.kind, item.subject))

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest time any registered work falls due; None when nothing is."""
        times = [t for work in self._works if (t := await work.next_due(now)) is not None]
        return min(times, default=None)
