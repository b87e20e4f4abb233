"""The working-time calendar (PRODUCT §6): working hours, China's holidays and make-up days.

Pure: a `WorkCalendar` is built from the official schedule (the maintained `chinese-calendar`
package, for the years it covers), the days `config/calendar.toml` adds or overrides, and the
working hours per weekday from settings, in the configured timezone. A deadline in a year that
no source covers is still computed, from the weekday hours alone; `uncovered_years` tells which
years those were, so that start-up and `legal-aid-bot schedule list` can warn about them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# A working day's hours: (start, end) pairs of local times, in order, not overlapping.
Hours = tuple[tuple[time, time], ...]
# The longest search for working time: a year of holidays is a broken calendar, not a deadline.
_MAX_DAYS = 800


class Basis(enum.StrEnum):
    """How an SLA's hours are counted."""

    CALENDAR = "calendar"  # every hour of the clock
    WORKING = "working"  # only the working hours of working days


class DayKind(enum.StrEnum):
    """What calendar.toml says a date is."""

    HOLIDAY = "holiday"  # no work, whatever the weekday
    WORKDAY = "workday"  # a working day with the make-up hours, whatever the weekday


@dataclass(frozen=True, slots=True)
class DayRule:
    """One date the official schedule marks or calendar.toml sets."""

    day: date
    kind: DayKind
    name: str = ""


def parse_hours(text: str) -> Hours:
    """Parse "09:00-12:00,13:30-17:30" (empty: no working hours); raises ValueError."""
    ranges: list[tuple[time, time]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"{part!r} is not a range like 09:00-17:30")
        try:
            start, end = (
                time.fromisoformat(start_text.strip()),
                time.fromisoformat(end_text.strip()),
            )
        except ValueError:
            raise ValueError(f"{part!r} is not a range like 09:00-17:30") from None
        if end <= start:
            raise ValueError(f"{part!r} ends before it starts")
        if ranges and start < ranges[-1][1]:
            raise ValueError(f"{part!r} overlaps or precedes the range before it")
        ranges.append((start, end))
    return tuple(ranges)


def official_days() -> tuple[list[DayRule], frozenset[int]]:
    """China's official holidays and make-up working days, and the years they cover."""
    holidays = chinese_calendar.holidays
    rules = [DayRule(d, DayKind.HOLIDAY, str(name)) for d, name in holidays.items()]
    rules += [DayRule(d, DayKind.WORKDAY, str(n)) for d, n in chinese_calendar.workdays.items()]
    years = frozenset(range(min(holidays).year, max(holidays).year + 1))
    return rules, years


@dataclass(frozen=True)
class WorkCalendar:
    """Working time in one timezone: weekday hours, holidays, make-up working days.

    weekday_hours[0] is Monday. A DayRule of a covered year (or any from calendar.toml)
    decides its date; other dates follow the weekday. covered_years are the years whose
    holidays some source knows (the official schedule's, and every year calendar.toml names).
    """

    timezone: ZoneInfo
    weekday_hours: Sequence[Hours]
    makeup_hours: Hours
    days: Mapping[date, DayRule] = field(default_factory=dict)
    covered_years: frozenset[int] = frozenset()

    @classmethod
    def build(
        cls,
        timezone: str,
        weekday_hours: Sequence[Hours],
        makeup_hours: Hours,
        overrides: Iterable[DayRule] = (),
        covered_years: Iterable[int] | None = None,
        official: tuple[list[DayRule], frozenset[int]] | None = None,
    ) -> WorkCalendar:
        """The official schedule, then the overrides on top (an override wins its date)."""
        rules, years = official if official is not None else official_days()
        days = {r.day: r for r in rules}
        extra = list(overrides)
        days.update({r.day: r for r in extra})
        covered = set(years if covered_years is None else covered_years)
        covered |= {r.day.year for r in extra}
        return cls(ZoneInfo(timezone), tuple(weekday_hours), makeup_hours, days, frozenset(covered))

    def covers(self, year: int) -> bool:
        """Whether a source knows this year's holidays (else weekends only are assumed)."""
        return year in self.covered_years

    def hours_on(self, day: date) -> Hours:
        """The working hours of a local date (empty: not a working day)."""
        rule = self.days.get(day)
        if rule is not None:
            return () if rule.kind is DayKind.HOLIDAY else self.makeup_hours
        return self.weekday_hours[day.weekday()]

    def rule_on(self, day: date) -> DayRule | None:
        """What the schedule says of a date, if anything."""
        return self.days.get(day)

    def add(self, start: datetime, hours: float, basis: Basis) -> datetime:
        """The moment `hours` after start, counted on the basis (aware UTC)."""
        if basis is Basis.CALENDAR:
            # In UTC: an aware datetime in a zone adds wall-clock time, not hours that pass.
            return start.astimezone(UTC) + timedelta(hours=hours)
        return self.add_working(start, timedelta(hours=hours))

    def add_working(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of working time after start (aware UTC).

        Each working interval is local wall time made absolute in the timezone, so an hour
        skipped or repeated by a DST change is counted as it really passes.
        """
        left = amount
        day = start.astimezone(self.timezone).date()
        for _ in range(_MAX_DAYS):
            for begin_time, end_time in self.hours_on(day):
                begin = datetime.combine(day, begin_time, self.timezone).astimezone(UTC)
                end = datetime.combine(day, end_time, self.timezone).astimezone(UTC)
                begin = max(begin, start.astimezone(UTC))
                if end <= begin:
                    continue
                if end - begin >= left:
                    return begin + left
                left -= end - begin
            day += timedelta(days=1)
        raise ValueError(f"no working time within {_MAX_DAYS} days of {start.isoformat()}")

    def add_days(self, start: datetime, days: int) -> datetime:
        """The same local wall time `days` calendar days later (aware UTC), across DST."""
        local = start.astimezone(self.timezone)
        later = datetime.combine(local.date() + timedelta(days=days), local.time(), self.timezone)
        return later.astimezone(UTC)

    def uncovered_years(self, moments: Iterable[datetime]) -> list[int]:
        """The local years among moments that no source covers, in order, each once."""
        years = {m.astimezone(self.timezone).year for m in moments}
        return sorted(y for y in years if not self.covers(y))
