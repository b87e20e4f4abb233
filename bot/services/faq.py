"""FAQ knowledge base: check config/faq/*.toml, search it, report what needs care, answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain.faq import (
    DEFAULT_THRESHOLD,
    SUGGEST_THRESHOLD,
    Analyzer,
    FaqEntry,
    FaqIndex,
    FaqTopic,
    Hit,
    Lexicon,
    LocalClaim,
    Lookup,
    Match,
    MeasureState,
    Moment,
    is_chinese_word,
    is_english_word,
    localized,
    stem,
)
from bot.domain.models import Language
from bot.domain.ports import Clock
from bot.services.faq_files import (
    AUTHORED,
    COLLOQUIAL_FILE,
    LEXICON_FILE,
    OUTSIDE_FILE,
    TOPICS_FILE,
    read_folder,
)

EXPIRY_WARNING_DAYS = 30
REVIEW_MAX_AGE_DAYS = 180
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PHONE = re.compile(r"[0-9]+")
_URL = re.compile(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")


@dataclass(slots=True)
class KnowledgeBase:
    """The loaded FAQ: topics, entries, the search vocabulary and a search index built once."""

    folder: Path
    topics: tuple[FaqTopic, ...]
    entries: tuple[FaqEntry, ...]
    lexicon: Lexicon
    files: tuple[str, ...] = ()  # each entry's file name, for check(); default "<id>.toml"
    threshold: float = DEFAULT_THRESHOLD
    suggest_threshold: float = SUGGEST_THRESHOLD
    _by_id: dict[str, FaqEntry] = field(init=False, repr=False)
    _index: FaqIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.entries}
        self._index = FaqIndex(self.entries, self.lexicon, self.threshold, self.suggest_threshold)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """Return the entry with this id, or None."""
        return self._by_id.get(entry_id)

    def topic(self, topic_id: str) -> FaqTopic | None:
        """Return the topic with this id, or None."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def listing(self, today: date, topic: str | None = None) -> list[FaqEntry]:
        """Return the entries shown today (optionally of one topic), in file order."""
        return [
            e for e in self.entries if e.is_valid(today) and (topic is None or e.topic == topic)
        ]

    def search(self, query: str, lang: Language, today: date, limit: int = 3) -> list[Hit]:
        """Return the entries valid today that match the query well, best first."""
        return self._index.search(query, lang, today, limit)

    def lookup(self, query: str, lang: Language, today: date, limit: int = 3) -> Lookup:
        """Entries valid today to answer with, or else borderline ones to suggest."""
        return self._index.lookup(query, lang, today, limit)

    def explain(self, query: str, lang: Language, limit: int = 3) -> tuple[list[str], list[Match]]:
        """How the query was read and which of its terms made each best entry's score."""
        return self._index.explain(query, lang, limit)

    def check(self, today: date) -> list[str]:
        """Return every problem that would make an answer wrong, missing or unreachable."""
        problems: list[str] = []
        topic_ids = [t.id for t in self.topics]
        for topic_id in sorted({t for t in topic_ids if topic_ids.count(t) > 1}):
            problems.append(f"{TOPICS_FILE}: topic: {topic_id!r} defined twice")
        for topic in self.topics:
            problems += _missing(TOPICS_FILE, f"topic {topic.id} name", topic.name)
        files = self.files or tuple(f"{e.id}.toml" for e in self.entries)
        seen: dict[str, str] = {}
        for file, entry in zip(files, self.entries, strict=True):
            if file != f"{entry.id}.toml":
                problems.append(f"{file}: id: {entry.id!r} differs from the file name")
            if entry.id in seen:
                problems.append(f"{file}: id: {entry.id!r} already used in {seen[entry.id]}")
            seen.setdefault(entry.id, file)
            problems += _check_entry(file, entry, set(topic_ids))
            if entry.review is not None and entry.review.on > today:
                problems.append(f"{file}: review.on: {entry.review.on} is in the future")
        for topic in self.topics:
            if not self.listing(today, topic.id):
                problems.append(f"{TOPICS_FILE}: topic: {topic.id!r} has no entry valid on {today}")
        return (
            problems
            + _check_lexicon(LEXICON_FILE, self.lexicon)
            + _check_outside(OUTSIDE_FILE, self.lexicon, self.entries)
        )

    def warnings(
        self,
        today: date,
        review_max_age_days: int = REVIEW_MAX_AGE_DAYS,
        days: int = EXPIRY_WARNING_DAYS,
    ) -> list[str]:
        """Return what needs attention soon: measures about to end, reviews missing or old."""
        warnings: list[str] = []
        horizon = today + timedelta(days=days)
        for entry in self.entries:
            if not entry.is_valid(today):
                continue
            for i, measure in enumerate(entry.measures):
                end = measure.end
                if measure.state(today) is MeasureState.IN_FORCE and end and end.last <= horizon:
                    left = (end.last - today).days
                    warnings.append(
                        f"{entry.id}: measures[{i}]: ends on {end.last} ({left} days left)"
                    )
            if entry.review is None:
                warnings.append(f"{entry.id}: no review record ([review] on and by)")
            elif (age := (today - entry.review.on).days) > review_max_age_days:
                warnings.append(
                    f"{entry.id}: last reviewed on {entry.review.on}, {age} days ago "
                    f"(review every {review_max_age_days} days)"
                )
        return warnings

    def unconfirmed(self) -> list[tuple[FaqEntry, LocalClaim]]:
        """Statements of local practice the programme office has not confirmed yet."""
        return [(e, c) for e in self.entries for c in e.local_practice if not c.confirmed]

    def expiring(self, today: date, days: int = EXPIRY_WARNING_DAYS) -> list[FaqEntry]:
        """Return entries valid today whose last valid day is within `days` days."""
        horizon = today + timedelta(days=days)
        return [
            e
            for e in self.entries
            if e.is_valid(today) and e.valid_until is not None and e.valid_until <= horizon
        ]


def answer_context(
    entry: FaqEntry, lang: Language, today: date, show_expired: bool = True
) -> dict[str, Any]:
    """What the answer template shows of an entry on a day, in a language (chat, faq check)."""
    review = entry.review
    return {
        "question": localized(entry.question, lang),
        "answer": localized(entry.answer, lang),
        "measures": [
            {
                "text": localized(m.text, lang),
                "instrument": localized(m.instrument, lang),
                "expired": m.state(today) is MeasureState.EXPIRED,
                "start": _moment_context(m.start, first=True),
                "end": None if m.end is None else _moment_context(m.end, first=False),
            }
            for m in entry.measures_shown(today, show_expired)
        ],
        "review": None
        if review is None
        else {"on": _moment_context(Moment.day(review.on)), "by": localized(review.by, lang)},
        "references": [localized(r, lang) for r in entry.references],
        "phones": [
            {"label": localized(link.label, lang), "phone": link.phone}
            for link in entry.links
            if link.phone
        ],
    }


def _moment_context(moment: Moment, first: bool = True) -> dict[str, Any]:
    # The template writes the date in its language, as exactly as the source gave it.
    day = moment.first if first else moment.last
    return {
        "year": day.year,
        "month": day.month if moment.precision != "year" else None,
        "day": day.day if moment.precision == "day" else None,
    }


def _missing(file: str, key: str, texts: Mapping[str, object]) -> list[str]:
    return [f"{file}: {key}: no {lang} text" for lang in AUTHORED if not texts.get(lang)]


def _check_entry(file: str, entry: FaqEntry, topic_ids: set[str]) -> list[str]:
    problems: list[str] = []
    if not _ID.fullmatch(entry.id):
        problems.append(f"{file}: id: {entry.id!r} is not lower-case-with-hyphens")
    if entry.topic not in topic_ids:
        problems.append(f"{file}: topic: {entry.topic!r} is not in {TOPICS_FILE}")
    problems += _missing(file, "question", entry.question)
    problems += _missing(file, "answer", entry.answer)
    problems += _missing(file, "phrasings", entry.phrasings)
    problems += _missing(file, "keywords", entry.keywords)
    for i, reference in enumerate(entry.references):
        problems += _missing(file, f"references[{i}]", reference)
    for i, link in enumerate(entry.links):
        problems += _missing(file, f"links[{i}].label", link.label)
        if link.phone is not None and not _PHONE.fullmatch(link.phone):
            problems.append(f"{file}: links[{i}].phone: {link.phone!r} is not digits only")
        if link.url is not None and not _URL.fullmatch(link.url):
            problems.append(f"{file}: links[{i}].url: {link.url!r} is not an https:// URL")
    if entry.valid_from and entry.valid_until and entry.valid_from > entry.valid_until:
        problems.append(
            f"{file}: valid_from: {entry.valid_from} is after valid_until {entry.valid_until}"
        )
    for i, measure in enumerate(entry.measures):
        problems += _missing(file, f"measures[{i}].text", measure.text)
        problems += _missing(file, f"measures[{i}].instrument", measure.instrument)
        if measure.end is not None and measure.end.last < measure.start.first:
            problems.append(f"{file}: measures[{i}].until: ends before it starts")
    if entry.review is not None:
        problems += _missing(file, "review.by", entry.review.by)
    for i, claim in enumerate(entry.local_practice):
        if (claim.confirmed_on is None) != (claim.confirmed_by is None):
            problems.append(
                f"{file}: local_practice[{i}]: give both confirmed_on and confirmed_by, or neither"
            )
    return problems


def _check_lexicon(file: str, lexicon: Lexicon) -> list[str]:
    # Words the analyzer never meets as written, and words that undo one another: text is folded
    # before the lexicon applies, English stop words go before synonyms, and a Chinese replacement
    # is not looked up again.
    problems = _listed_twice(file, "zh.stop_words", lexicon.zh_stop_words)
    problems += _listed_twice(file, "en.stop_words", lexicon.en_stop_words)
    chinese = [("zh.stop_words", w) for w in lexicon.zh_stop_words]
    for key, word in chinese + _both_sides("zh.synonyms", lexicon.zh_synonyms):
        if not is_chinese_word(word):
            problems.append(f"{file}: {key}: {word!r} never matches: use Simplified characters")
    english = [("en.stop_words", w) for w in lexicon.en_stop_words]
    english += _both_sides("en.synonyms", lexicon.en_synonyms)
    for key, word in english:
        if not is_english_word(word):
            problems.append(f"{file}: {key}: {word!r} never matches: use one word of a-z, 0-9")
    for key, words in _both_sides("en.phrases", lexicon.en_phrases):
        if not all(is_english_word(w) for w in words.split()):
            problems.append(f"{file}: {key}: {words!r} never matches: use words of a-z, 0-9")
    for word, meaning in lexicon.zh_synonyms.items():
        if meaning in lexicon.zh_synonyms:
            problems.append(f"{file}: zh.synonyms.{word}: {meaning!r} is a synonym too (no chains)")
    colloquial = COLLOQUIAL_FILE
    for phrase, meanings in lexicon.zh_colloquial.items():
        for word in (phrase, *meanings):
            if not is_chinese_word(word):
                problems.append(
                    f"{colloquial}: zh.{phrase}: {word!r} never matches: use Simplified characters"
                )
    for phrase, meanings in lexicon.en_colloquial.items():
        for words in (phrase, *meanings):
            if not all(is_english_word(w) for w in words.split()):
                problems.append(
                    f"{colloquial}: en.{phrase}: {words!r} never matches: use words of a-z, 0-9"
                )
    stop_words = set(lexicon.en_stop_words)
    stop_stems = stop_words | {stem(w) for w in stop_words}
    for word, meaning in lexicon.en_synonyms.items():
        if word in stop_words:
            problems.append(f"{file}: en.synonyms.{word}: never applies: it is a stop word")
        elif meaning in stop_stems or stem(meaning) in stop_stems:
            problems.append(f"{file}: en.synonyms.{word}: {meaning!r} is a stop word")
    return problems


def _check_outside(file: str, lexicon: Lexicon, entries: tuple[FaqEntry, ...]) -> list[str]:
    # A subject is outside only if no entry is asked by it: one that an entry's question,
    # phrasings or keywords use would turn that entry's own askers away.
    problems = _listed_twice(file, "zh.subjects", lexicon.zh_outside)
    problems += _listed_twice(file, "en.subjects", lexicon.en_outside)
    lists = [
        ("zh.subjects", lexicon.zh_outside, is_chinese_word),
        ("zh.small_talk", lexicon.zh_small_talk, is_chinese_word),
        ("en.subjects", lexicon.en_outside, _is_english_phrase),
        ("en.small_talk", lexicon.en_small_talk, _is_english_talk),
    ]
    for key, words, valid in lists:
        for word in words:
            if not valid(word):
                problems.append(f"{file}: {key}: {word!r} never matches: {_WRITE_AS[key]}")
    # Read each entry's own question, phrasings and keywords as the search reads a question:
    # a subject it finds there is one that entry is asked by.
    analyzer = Analyzer(lexicon)
    reported: set[str] = set()
    for entry in entries:
        for lang, key in ((Language.ZH_HANS, "zh.subjects"), (Language.EN, "en.subjects")):
            asked = [entry.question.get(lang, ""), *entry.phrasings.get(lang, ())]
            for text in asked + list(entry.keywords.get(lang, ())):
                for word in analyzer.analyze_query(text).outside:
                    if word not in reported:
                        reported.add(word)
                        problems.append(f"{file}: {key}: {word!r} is asked in entry {entry.id}")
    return problems


_WRITE_AS = {
    "zh.subjects": "use Simplified characters",
    "zh.small_talk": "use Simplified characters",
    "en.subjects": "use lower-case words of a-z, 0-9",
    "en.small_talk": "use lower-case words of a-z, 0-9 (and ')",
}


def _is_english_phrase(phrase: str) -> bool:
    # Subjects are looked for once punctuation reads as a space: "non-compete" as "non compete".
    return all(is_english_word(w) for w in phrase.split())


def _is_english_talk(phrase: str) -> bool:
    # Small talk is compared clause by clause, apostrophes ignored: "what's your name".
    return _is_english_phrase(phrase.replace("'", ""))


def _listed_twice(file: str, key: str, words: tuple[str, ...]) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for i, word in enumerate(words):
        if word in first:
            problems.append(f"{file}: {key}[{i}]: {word!r} already listed at [{first[word]}]")
        first.setdefault(word, i)
    return problems


def _both_sides(key: str, table: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"{key}.{word}", side) for word, meaning in table.items() for side in (word, meaning)]


# --------------------------------------------------------------------------- loading


def load_knowledge_base(folder: Path, threshold: float = DEFAULT_THRESHOLD) -> KnowledgeBase:
    """Read a knowledge-base folder (bot/services/faq_files.py); raise FaqError if malformed."""
    read = read_folder(folder)
    return KnowledgeBase(folder, read.topics, read.entries, read.lexicon, read.files, threshold)


class QueryStore(Protocol):
    """Where free-text questions are kept."""

    async def record(
        self, at: datetime, language: str, text: str, best: str | None, score: float | None
    ) -> int: ...
    async def get(self, query_id: int) -> Any: ...
    async def rate(self, query_id: int, helpful: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to a free-text question: the kept query, the best entry and alternatives.

    With no entry good enough to answer, `suggestions` holds up to three borderline ones
    ("did you mean").
    """

    query_id: int | None  # None for small talk, which is not kept
    best: FaqEntry | None
    alternatives: tuple[FaqEntry, ...]
    suggestions: tuple[FaqEntry, ...] = ()
    small_talk: bool = False  # only a greeting or thanks: nothing was asked


class FaqService:
    """Answers questions from the knowledge base and keeps what it could not answer."""

    def __init__(
        self,
        kb: KnowledgeBase,
        queries: QueryStore,
        clock: Clock,
        timezone: str,
        show_expired_measures: bool = True,
    ) -> None:
        self.kb = kb
        self._queries = queries
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._show_expired = show_expired_measures

    def today(self) -> date:
        """Today in the deployment's timezone (validity dates are local dates)."""
        return self._clock.now().astimezone(self._zone).date()

    async def answer(self, text: str, lang: Language) -> Answer:
        """Search the question; keep it (for "ask a counsel" and for admins)."""
        question = text.strip()[:1000]
        found = self.kb.lookup(question, lang, self.today(), limit=3)
        if found.small_talk:
            # "你好", "谢谢": not a question nobody could answer, so not kept for admins.
            return Answer(None, None, (), small_talk=True)
        entries = tuple(e for e in (self.kb.entry(h.id) for h in found.hits) if e is not None)
        suggested = tuple(
            e for e in (self.kb.entry(h.id) for h in found.suggestions) if e is not None
        )
        best = entries[0] if entries else None
        score = found.hits[0].score if found.hits else None
        # A question answered only by suggestions counts as unanswered for admins.
        query_id = await self._queries.record(
            self._clock.now(), lang.value, question, best.id if best else None, score
        )
        return Answer(query_id, best, entries[1:], suggested)

    def best_for(self, text: str, lang: Language) -> FaqEntry | None:
        """The entry that answers a text, if one does, without keeping the text: a message an
        owner wrote to their case belongs to the case, not to the FAQ's question log."""
        found = self.kb.lookup(text.strip()[:1000], lang, self.today(), limit=1)
        return next((e for e in (self.kb.entry(h.id) for h in found.hits) if e is not None), None)

    def answer_context(self, entry: FaqEntry, lang: Language) -> dict[str, Any]:
        """What the answer template shows of an entry today (dated measures as configured)."""
        return answer_context(entry, lang, self.today(), self._show_expired)

    async def question_of(self, query_id: int) -> str | None:
        """The text of a kept question."""
        stored = await self._queries.get(query_id)
        return str(stored.text) if stored is not None else None

    async def feedback(self, query_id: int, helpful: bool) -> None:
        """Whether the answer helped."""
        await self._queries.rate(query_id, helpful)

    def shown(self, entry_id: str) -> FaqEntry | None:
        """An entry, only if it may be shown today."""
        entry = self.kb.entry(entry_id)
        return entry if entry is not None and entry.is_valid(self.today()) else None
