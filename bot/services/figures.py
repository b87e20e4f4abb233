"""The one place the programme's figures are computed: /stats, its charts and the daily report
all read them here (PRODUCT §5.4, §6)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.figures import (
    LIST_LIMIT,
    Counts,
    DailySeries,
    Figures,
    Period,
    PeriodKind,
    Responses,
    daily_series,
    group_questions,
    local_midnight,
    median,
    percentile,
    period_of,
)
from bot.domain.models import AuditAction, AuditEntry
from bot.domain.ports import AuditLog, Clock, FigureSource, InboxPort

# How many unanswered questions a period's grouping reads at most (the newest are dropped
# beyond it; a flood of nonsense must not make /stats slow).
QUESTIONS_READ = 5000
CHART_DAYS = 30


class FiguresService:
    """Figures over a period, the chart series, and who looked at them."""

    def __init__(
        self,
        store: FigureSource,
        audit: AuditLog,
        clock: Clock,
        timezone: str,
        inbox: InboxPort | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self.zone = ZoneInfo(timezone)
        self._inbox = inbox  # its failed updates are a figure (issue #8: admins see them)

    def period(self, kind: PeriodKind) -> Period:
        """Today, the last 7 or the last 30 local days, up to now."""
        return period_of(kind, self._clock.now(), self.zone)

    async def figures(self, period: Period, now: datetime | None = None) -> Figures:
        """Every figure over the period; what is "now" (overdue cases) at now or the clock."""
        now = now or self._clock.now()
        by_category = await self._store.breakdown(period, "category")
        seconds = await self._store.response_seconds(period)
        sla_due, sla_met = await self._store.sla(period, now)
        overdue, overdue_total = await self._store.overdue(now, LIST_LIMIT)
        groups = group_questions(await self._store.unanswered_questions(period, QUESTIONS_READ))
        return Figures(
            period=period,
            now=now,
            counts=_total(by_category.values()),
            by_category=by_category,
            by_district=await self._store.breakdown(period, "district"),
            responses=Responses(
                len(seconds), median(seconds), percentile(seconds, 90), sla_due, sla_met
            ),
            overdue=tuple(overdue),
            overdue_total=overdue_total,
            satisfaction=await self._store.satisfaction(period, LIST_LIMIT),
            unanswered=tuple(groups[:LIST_LIMIT]),
            unanswered_total=sum(g.count for g in groups),
            failed_updates=(await self._inbox.stats()).failed if self._inbox else None,
        )

    async def viewed(self, actor: int, kind: PeriodKind) -> Figures:
        """/stats: the figures of a period, the view audited (they name staff and quote owners)."""
        figures = await self.figures(self.period(kind))
        entry = AuditEntry(actor, AuditAction.VIEW_STATS, f"stats:{kind.value}")
        await self._audit.record(entry, figures.now)
        return figures

    async def daily(self, days: int = CHART_DAYS) -> DailySeries:
        """Cases opened per local day and category over the last days, today included."""
        today = self._clock.now().astimezone(self.zone).date()
        start = local_midnight(today - timedelta(days=days - 1), self.zone)
        period = Period(start, local_midnight(today + timedelta(days=1), self.zone))
        return daily_series(await self._store.opened(period), today, days, self.zone)

    async def response_hours(self) -> list[float]:
        """First-response times in hours over the last 30 local days (the second chart)."""
        period = period_of(PeriodKind.MONTH, self._clock.now(), self.zone)
        return [s / 3600 for s in await self._store.response_seconds(period)]


def _total(parts: Iterable[Counts]) -> Counts:
    items = list(parts)
    return Counts(
        sum(c.opened for c in items),
        sum(c.first_answered for c in items),
        sum(c.resolved for c in items),
        sum(c.closed for c in items),
    )
