"""FAQ records: entries, topics, links and search hits, as the knowledge base holds them."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.domain.models import Language


@dataclass(frozen=True, slots=True)
class FaqLink:
    """A link shown under an answer: a hotline to call or a web page, labelled per language."""

    label: dict[str, str]
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FaqTopic:
    """A topic group of entries, for browsing by buttons."""

    id: str
    name: dict[str, str]


class Precision(enum.StrEnum):
    """How exactly a source dates a measure: to the day, the month or the year."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class Moment:
    """A date as exactly as its source gives it; it covers the days first to last."""

    first: date
    last: date
    precision: Precision

    @classmethod
    def day(cls, on: date) -> Moment:
        """A single day."""
        return cls(on, on, Precision.DAY)

    @classmethod
    def month(cls, year: int, month: int) -> Moment:
        """A whole month."""
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last), Precision.MONTH)

    @classmethod
    def year(cls, year: int) -> Moment:
        """A whole year."""
        return cls(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)


class MeasureState(enum.StrEnum):
    """Where a dated measure stands on a given day."""

    PENDING = "pending"  # not in force yet: not shown
    IN_FORCE = "in_force"
    EXPIRED = "expired"  # shown as having applied from ... to ..., or left out by setting


@dataclass(frozen=True, slots=True)
class Measure:
    """A time-limited measure inside an answer: what it says, the instrument, its dates."""

    text: dict[str, str]
    instrument: dict[str, str]
    start: Moment
    end: Moment | None = None  # None: in force until further notice

    def state(self, on: date) -> MeasureState:
        """Tell whether the measure is pending, in force or expired on a day (bounds inclusive)."""
        if on < self.start.first:
            return MeasureState.PENDING
        if self.end is not None and on > self.end.last:
            return MeasureState.EXPIRED
        return MeasureState.IN_FORCE


@dataclass(frozen=True, slots=True)
class Review:
    """When an entry was last checked against the law, and by whom (a role, not a name)."""

    on: date
    by: dict[str, str]


@dataclass(frozen=True, slots=True)
class LocalClaim:
    """A statement of local practice the programme office must confirm before going live."""

    claim: str
    confirmed_on: date | None = None
    confirmed_by: str | None = None

    @property
    def confirmed(self) -> bool:
        """Tell whether the programme office has confirmed the statement."""
        return self.confirmed_on is not None


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer, in every language, valid for a span of dates.

    The answer is the lasting part; `measures` are time-limited parts with their own dates.
    """

    id: str
    topic: str
    question: dict[str, str]
    answer: dict[str, str]
    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    references: tuple[dict[str, str], ...] = ()
    links: tuple[FaqLink, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    measures: tuple[Measure, ...] = ()
    review: Review | None = None
    local_practice: tuple[LocalClaim, ...] = ()
    unverified: tuple[str, ...] = ()  # sources that could not be checked, for maintainers

    def is_valid(self, on: date) -> bool:
        """Tell whether the entry may be shown on the given day (both bounds inclusive)."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_until is None or on <= self.valid_until

    def measures_shown(self, on: date, show_expired: bool = True) -> list[Measure]:
        """The measures an answer shows on a day: in force, and expired unless left out."""
        shown = {MeasureState.IN_FORCE} | ({MeasureState.EXPIRED} if show_expired else set())
        return [m for m in self.measures if m.state(on) in shown]


def localized(texts: Mapping[str, str], lang: Language) -> str:
    """Return a record's text in a language, else in Simplified Chinese, else in any language."""
    return (
        texts.get(lang.value) or texts.get(Language.ZH_HANS.value) or next(iter(texts.values()), "")
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the entry id and its score, from 0 (nothing in common) to 1."""

    id: str
    score: float
