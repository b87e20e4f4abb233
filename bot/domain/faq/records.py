"""FAQ records: entries, topics, links and search hits, as the knowledge base holds them."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer, in every language, valid for a span of dates."""

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

    def is_valid(self, on: date) -> bool:
        """Tell whether the entry may be shown on the given day (both bounds inclusive)."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_until is None or on <= self.valid_until


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
