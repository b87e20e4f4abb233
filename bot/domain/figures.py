"""The programme's figures (PRODUCT §5.4, §6): what /stats and the daily report show.

Pure records and rules: a period, the figures over it, and the arithmetic (median, percentile,
local-day periods, grouping of unanswered questions). The numbers come from one service
(bot/services/figures.py) over one store (bot/storage/figures.py); nothing computes them twice.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# A rating at or below this is shown with its comment (a low rating).
LOW_RATING = 2
# How many overdue cases, low ratings and question groups a message lists (it says how many
# more there are): a Telegram message holds 4096 characters.
LIST_LIMIT = 10


class PeriodKind(enum.StrEnum):
    """The periods /stats offers as buttons."""

    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends after it starts")


def period_of(kind: PeriodKind, now: datetime, zone: ZoneInfo) -> Period:
    """Today since local midnight, or the last 7 or 30 local days including today, up to now."""
    today = now.astimezone(zone).date()
    days = {PeriodKind.TODAY: 0, PeriodKind.WEEK: 6, PeriodKind.MONTH: 29}[kind]
    return Period(local_midnight(today - timedelta(days=days), zone), now)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def median(values: Sequence[float]) -> float | None:
    """The median, None for no values."""
    return percentile(values, 50)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def question_key(text: str) -> str:
    """What makes two questions the same for grouping: case, width, spaces, punctuation aside."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub("", folded)


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions that found no answer and read the same: one as asked, and how often."""

    text: str
    count: int


def group_questions(texts: Iterable[str]) -> list[QuestionGroup]:
    """Group questions by question_key, most asked first (ties: first asked first)."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for text in texts:
        key = question_key(text)
        if not key:
            continue
        counts[key] += 1
        first.setdefault(key, text.strip())
    order = {key: index for index, key in enumerate(first)}
    ranked = sorted(counts, key=lambda k: (-counts[k], order[k]))
    return [QuestionGroup(first[k], counts[k]) for k in ranked]


@dataclass(frozen=True, slots=True)
class Counts:
    """What happened to cases in a period."""

    opened: int = 0
    first_answered: int = 0
    resolved: int = 0
    closed: int = 0


@dataclass(frozen=True, slots=True)
class Responses:
    """First-response times of the cases first answered in the period, and the SLA share.

    The SLA share counts each case once, in the period in which its deadline fell (and has
    passed): answered by the deadline, or not. Cases whose deadline is still ahead are not
    counted yet (docs/oversight.md).
    """

    count: int
    median_seconds: float | None
    p90_seconds: float | None
    sla_due: int  # cases whose deadline fell in the period (and has passed)
    sla_met: int  # of those, answered by the deadline

    @property
    def sla_share(self) -> float | None:
        """The share answered within the SLA, None when no deadline fell in the period."""
        return self.sla_met / self.sla_due if self.sla_due else None


@dataclass(frozen=True, slots=True)
class Overdue:
    """An open case never answered, past its deadline, and who has it (None: nobody)."""

    number: str
    category: str
    due: datetime
    assignee: str | None


@dataclass(frozen=True, slots=True)
class LowRating:
    """A low rating and its comment."""

    number: str
    stars: int
    comment: str | None


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Ratings given in the period (a rating is given when the owner closes the case)."""

    count: int
    mean: float | None
    low: tuple[LowRating, ...]
    low_total: int


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything /stats and the daily report show for one period, at one moment."""

    period: Period
    now: datetime
    counts: Counts
    by_category: Mapping[str, Counts]
    by_district: Mapping[str, Counts]
    responses: Responses
    overdue: tuple[Overdue, ...]
    overdue_total: int
    satisfaction: Satisfaction
    unanswered: tuple[QuestionGroup, ...]
    unanswered_total: int  # questions (not groups)
    # Room for the inbox's count of failed updates (the lead's); None: not measured.
    failed_updates: int | None = None

    def context(self) -> dict[str, Any]:
        """The figures as a template context of plain JSON values (outbox rows carry it)."""

        def counts(c: Counts) -> dict[str, int]:
            return {
                "opened": c.opened,
                "first_answered": c.first_answered,
                "resolved": c.resolved,
                "closed": c.closed,
            }

        r, s = self.responses, self.satisfaction
        return {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "counts": counts(self.counts),
            "by_category": [{"id": k, **counts(v)} for k, v in self.by_category.items()],
            "by_district": [{"id": k, **counts(v)} for k, v in self.by_district.items()],
            "responses": {
                "count": r.count,
                "median": _duration(r.median_seconds),
                "p90": _duration(r.p90_seconds),
                "sla_due": r.sla_due,
                "sla_met": r.sla_met,
                "sla_percent": None if r.sla_share is None else round(100 * r.sla_share),
            },
            "overdue": [
                {
                    "number": o.number,
                    "category": o.category,
                    "due": o.due.isoformat(),
                    "assignee": o.assignee,
                }
                for o in self.overdue
            ],
            "overdue_total": self.overdue_total,
            "ratings": {
                "count": s.count,
                # Half up, as people round (3.25 -> 3.3; format() would give 3.2).
                "mean": None if s.mean is None else f"{math.floor(s.mean * 10 + 0.5) / 10:.1f}",
                "low": [
                    {"number": x.number, "stars": x.stars, "comment": x.comment} for x in s.low
                ],
                "low_total": s.low_total,
            },
            "unanswered": [{"text": q.text, "count": q.count} for q in self.unanswered],
            "unanswered_total": self.unanswered_total,
            "failed_updates": self.failed_updates,
        }


def _duration(seconds: float | None) -> dict[str, int] | None:
    """A duration as whole hours and minutes for templates (rounded to the minute)."""
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    return {"hours": minutes // 60, "minutes": minutes % 60}


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Cases opened per local day and category over the last days (the first chart)."""

    days: tuple[date, ...]
    by_category: Mapping[str, tuple[int, ...]]  # category id -> a count per day


def daily_series(
    opened: Iterable[tuple[datetime, str]], last_day: date, days: int, zone: ZoneInfo
) -> DailySeries:
    """Bin (created_at, category) pairs into local days ending with last_day."""
    span = tuple(last_day - timedelta(days=days - 1 - i) for i in range(days))
    index = {d: i for i, d in enumerate(span)}
    counts: dict[str, list[int]] = {}
    for at, category in opened:
        slot = index.get(at.astimezone(zone).date())
        if slot is None:
            continue
        counts.setdefault(category, [0] * days)[slot] += 1
    return DailySeries(span, {k: tuple(v) for k, v in sorted(counts.items())})


def parse_report_time(value: str) -> time | None:
    """ "HH:MM" (24 h) as a time; "" turns the report off; ValueError otherwise."""
    if not value.strip():
        return None
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit()) or len(minutes) != 2:
        raise ValueError(f"expected HH:MM, got {value!r}")
    return time(int(hours), int(minutes))
