"""The daily report (PRODUCT §6, issue 11 item 6): the figures since the previous report, to
every admin at `[schedule] daily_report_at` local time.

A piece of due work: what was reported lives in `daily_reports` rows. A report covers the time
since the previous one ended, so a day missed while the bot was down is covered once, by the
next report; marking it done and writing its outbox rows is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.figures import Period
from bot.domain.outbox import Outgoing
from bot.domain.ports import FigureSource
from bot.domain.schedule import Upcoming
from bot.services.figures import FiguresService

TEMPLATE = "oversight/daily_report"
KIND = "daily_report"


class DailyReport:
    """The daily report as due work (run_due, upcoming, next_due)."""

    def __init__(
        self,
        figures: FiguresService,
        store: FigureSource,
        admins: Sequence[int],
        at: time | None,
        timezone: str,
    ) -> None:
        self._figures = figures
        self._store = store
        self._admins = tuple(admins)
        self._at = at
        self._zone = ZoneInfo(timezone)

    def _slot(self, day: datetime) -> datetime:
        assert self._at is not None
        local = datetime.combine(day.date(), self._at, tzinfo=self._zone)
        return local.astimezone(UTC)

    def last_slot(self, now: datetime) -> datetime:
        """The latest report time at or before now."""
        local = now.astimezone(self._zone)
        slot = self._slot(local)
        return slot if slot <= now else self._slot(local - timedelta(days=1))

    def next_slot(self, now: datetime) -> datetime:
        """The first report time after now."""
        local = now.astimezone(self._zone)
        slot = self._slot(local)
        return slot if slot > now else self._slot(local + timedelta(days=1))

    async def run_due(self, now: datetime) -> int:
        """Send the report if a report time passed since the last one; return 1 if sent."""
        if self._at is None:
            return 0
        last = await self._store.last_report_end()
        if last is None:  # the first run: the first report covers the time from now
            await self._store.mark_first_run(now)
            return 0
        slot = self.last_slot(now)
        if slot <= last:
            return 0
        period = Period(last, now)
        figures = await self._figures.figures(period, now)
        context = {"figures": figures.context()}
        chats = await self._store.admin_chats(self._admins)
        outgoing = [Outgoing(chat, TEMPLATE, context) for chat in chats]
        return int(await self._store.record_report(slot, period, outgoing, now))

    async def upcoming(self, now: datetime) -> Sequence[Upcoming]:
        """The next report."""
        if self._at is None:
            return []
        return [Upcoming(KIND, self.next_slot(now), "daily report")]

    async def next_due(self, now: datetime) -> datetime | None:
        """A report time not yet reported (overdue), else the next one; None when off."""
        if self._at is None:
            return None
        last = await self._store.last_report_end()
        slot = self.last_slot(now)
        if last is not None and slot > last:
            return slot
        return self.next_slot(now)
