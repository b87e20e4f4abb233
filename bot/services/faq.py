"""FAQ knowledge base: load and validate config/faq/*.toml, search it, report what needs care."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain.chinese import to_traditional
from bot.domain.faq import (
    DEFAULT_THRESHOLD,
    SUGGEST_THRESHOLD,
    FaqEntry,
    FaqIndex,
    FaqLink,
    FaqTopic,
    Hit,
    Lexicon,
    LocalClaim,
    Lookup,
    Match,
    Measure,
    MeasureState,
    Moment,
    Review,
    is_chinese_word,
    is_english_word,
    localized,
    stem,
)
from bot.domain.models import Language
from bot.domain.ports import Clock

TOPICS_FILE = "_topics.toml"
LEXICON_FILE = "_lexicon.toml"
COLLOQUIAL_FILE = "_colloquial.toml"
# Languages an author writes; Traditional Chinese is converted from Simplified when absent.
AUTHORED = (Language.ZH_HANS, Language.EN)
_LANGUAGE_CODES = frozenset(Language)
_LANGUAGES = ", ".join(Language)

_ENTRY_KEYS = frozenset(
    {
        "id",
        "topic",
        "valid_from",
        "valid_until",
        "question",
        "phrasings",
        "keywords",
        "answer",
        "references",
        "links",
        "measures",
        "review",
        "local_practice",
        "unverified",
    }
)
_LINK_KEYS = frozenset({"label", "phone", "url"})
_MEASURE_KEYS = frozenset({"from", "until", "instrument", "text"})
_REVIEW_KEYS = frozenset({"on", "by"})
_LOCAL_KEYS = frozenset({"claim", "confirmed_on", "confirmed_by"})
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")
EXPIRY_WARNING_DAYS = 30
REVIEW_MAX_AGE_DAYS = 180
_TOPIC_KEYS = frozenset({"id", "name"})
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PHONE = re.compile(r"[0-9]+")
_URL = re.compile(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")


class FaqError(Exception):
    """A malformed knowledge-base file; str() names the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


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
        return problems + _check_lexicon(LEXICON_FILE, self.lexicon)

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
    """Read _topics.toml, _lexicon.toml and every <id>.toml; raise FaqError on a malformed file."""
    if not folder.is_dir():
        raise FaqError(str(folder), "-", "no such folder")
    topics_path = folder / TOPICS_FILE
    raw_topics = _read(topics_path).get("topic")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise FaqError(str(topics_path), "topic", "needs at least one [[topic]] table")
    topics = tuple(_topic(t, str(topics_path), f"topic[{i}]") for i, t in enumerate(raw_topics))
    lexicon_path = folder / LEXICON_FILE
    lexicon = _lexicon(_read(lexicon_path), str(lexicon_path))
    colloquial_path = folder / COLLOQUIAL_FILE
    if colloquial_path.is_file():
        zh, en = _colloquial(_read(colloquial_path), str(colloquial_path))
        lexicon = dataclasses.replace(lexicon, zh_colloquial=zh, en_colloquial=en)
    paths = [p for p in sorted(folder.glob("*.toml")) if not p.name.startswith("_")]
    entries = tuple(_entry(_read(path), str(path)) for path in paths)
    files = tuple(p.name for p in paths)
    return KnowledgeBase(folder, topics, entries, lexicon, files, threshold)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise FaqError(str(path), "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise FaqError(str(path), "-", f"not valid TOML ({exc})") from None


def _topic(raw: object, file: str, key: str) -> FaqTopic:
    table = _table(raw, file, key, _TOPIC_KEYS)
    return FaqTopic(
        id=_string(table.get("id"), file, f"{key}.id"),
        name=_texts(table.get("name"), file, f"{key}.name"),
    )


def _entry(raw: dict[str, Any], file: str) -> FaqEntry:
    table = _table(raw, file, "-", _ENTRY_KEYS)
    references = _list(table.get("references", []), file, "references")
    links = _list(table.get("links", []), file, "links")
    return FaqEntry(
        id=_string(table.get("id"), file, "id"),
        topic=_string(table.get("topic"), file, "topic"),
        question=_texts(table.get("question"), file, "question"),
        answer=_texts(table.get("answer"), file, "answer"),
        phrasings=_text_lists(table.get("phrasings", {}), file, "phrasings"),
        keywords=_text_lists(table.get("keywords", {}), file, "keywords"),
        references=tuple(_texts(r, file, f"references[{i}]") for i, r in enumerate(references)),
        links=tuple(_link(link, file, f"links[{i}]") for i, link in enumerate(links)),
        valid_from=_date(table.get("valid_from"), file, "valid_from"),
        valid_until=_date(table.get("valid_until"), file, "valid_until"),
        measures=tuple(
            _measure(m, file, f"measures[{i}]")
            for i, m in enumerate(_list(table.get("measures", []), file, "measures"))
        ),
        review=None if "review" not in table else _review(table["review"], file),
        local_practice=tuple(
            _local_claim(c, file, f"local_practice[{i}]")
            for i, c in enumerate(_list(table.get("local_practice", []), file, "local_practice"))
        ),
        unverified=_words(table.get("unverified", []), file, "unverified"),
    )


def _measure(raw: object, file: str, key: str) -> Measure:
    table = _table(raw, file, key, _MEASURE_KEYS)
    return Measure(
        text=_texts(table.get("text"), file, f"{key}.text"),
        instrument=_texts(table.get("instrument"), file, f"{key}.instrument"),
        start=_moment(table.get("from"), file, f"{key}.from", last=False),
        end=None if "until" not in table else _moment(table["until"], file, f"{key}.until"),
    )


def _moment(raw: object, file: str, key: str, last: bool = True) -> Moment:
    # A source often dates a measure only to the month or the year: the answer then says no
    # more than the source, and the measure counts from the first (or to the last) day of it.
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return Moment.day(raw)
    if isinstance(raw, str) and (month := _MONTH.fullmatch(raw)) and 1 <= int(month[2]) <= 12:
        return Moment.month(int(month[1]), int(month[2]))
    if isinstance(raw, str) and _YEAR.fullmatch(raw):
        return Moment.year(int(raw))
    if raw is None:
        raise FaqError(file, key, "missing")
    raise FaqError(file, key, 'must be a date like 2025-01-31, or "2025-01" or "2025"')


def _review(raw: object, file: str) -> Review:
    table = _table(raw, file, "review", _REVIEW_KEYS)
    on = _date(table.get("on"), file, "review.on")
    if on is None:
        raise FaqError(file, "review.on", "missing")
    return Review(on=on, by=_texts(table.get("by"), file, "review.by"))


def _local_claim(raw: object, file: str, key: str) -> LocalClaim:
    table = _table(raw, file, key, _LOCAL_KEYS)
    by = table.get("confirmed_by")
    return LocalClaim(
        claim=_string(table.get("claim"), file, f"{key}.claim"),
        confirmed_on=_date(table.get("confirmed_on"), file, f"{key}.confirmed_on"),
        confirmed_by=None if by is None else _string(by, file, f"{key}.confirmed_by"),
    )


def _lexicon(raw: dict[str, Any], file: str) -> Lexicon:
    table = _table(raw, file, "-", frozenset({"zh", "en"}))
    zh = _section(table.get("zh"), file, "zh", frozenset({"stop_words", "synonyms"}))
    en = _section(table.get("en"), file, "en", frozenset({"stop_words", "synonyms", "phrases"}))
    return Lexicon(
        zh_stop_words=_words(zh.get("stop_words"), file, "zh.stop_words"),
        zh_synonyms=_word_table(zh.get("synonyms"), file, "zh.synonyms"),
        en_stop_words=_words(en.get("stop_words"), file, "en.stop_words"),
        en_synonyms=_word_table(en.get("synonyms"), file, "en.synonyms"),
        en_phrases=_word_table(en.get("phrases"), file, "en.phrases"),
    )


def _colloquial(
    raw: dict[str, Any], file: str
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    table = _table(raw, file, "-", frozenset({"zh", "en"}))
    tables = []
    for lang in ("zh", "en"):
        section = table.get(lang, {})
        if not isinstance(section, dict):
            raise FaqError(file, lang, 'must be a table of "phrase" = ["meaning", ...]')
        meanings: dict[str, tuple[str, ...]] = {}
        for phrase, value in section.items():
            key = f"{lang}.{phrase}"
            values = [value] if isinstance(value, str) else value
            if not phrase.strip():
                raise FaqError(file, f'{lang}.""', "an empty phrase")
            if not isinstance(values, list) or not values:
                raise FaqError(file, key, "must be a meaning or a non-empty array of meanings")
            meanings[phrase] = tuple(_string(v, file, f"{key}[{i}]") for i, v in enumerate(values))
        tables.append(meanings)
    return tables[0], tables[1]


def _section(raw: object, file: str, key: str, allowed: frozenset[str]) -> dict[str, Any]:
    if raw is None:
        raise FaqError(file, key, "missing")
    return _table(raw, file, key, allowed)


def _words(raw: object, file: str, key: str) -> tuple[str, ...]:
    if raw is None:
        raise FaqError(file, key, "missing")
    if not isinstance(raw, list):
        raise FaqError(file, key, "must be an array of strings")
    return tuple(_string(v, file, f"{key}[{i}]") for i, v in enumerate(raw))


def _word_table(raw: object, file: str, key: str) -> dict[str, str]:
    if raw is None:
        raise FaqError(file, key, "missing")
    if not isinstance(raw, dict):
        raise FaqError(file, key, 'must be a table of "word" = "meaning"')
    table: dict[str, str] = {}
    for word, meaning in raw.items():
        if not word.strip():
            raise FaqError(file, f'{key}.""', "an empty word")
        table[word] = _string(meaning, file, f"{key}.{word}")
    return table


def _link(raw: object, file: str, key: str) -> FaqLink:
    table = _table(raw, file, key, _LINK_KEYS)
    phone, url = table.get("phone"), table.get("url")
    if (phone is None) == (url is None):
        raise FaqError(file, key, "needs exactly one of phone or url")
    return FaqLink(
        label=_texts(table.get("label"), file, f"{key}.label"),
        phone=None if phone is None else _string(phone, file, f"{key}.phone"),
        url=None if url is None else _string(url, file, f"{key}.url"),
    )


def _table(raw: object, file: str, key: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FaqError(file, key, "must be a table")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        where = unknown[0] if key == "-" else f"{key}.{unknown[0]}"
        raise FaqError(file, where, "unknown key (a typo?)")
    return raw


def _list(raw: object, file: str, key: str) -> list[object]:
    if not isinstance(raw, list):
        raise FaqError(file, key, "must be an array of tables ([[...]])")
    return raw


def _string(raw: object, file: str, key: str) -> str:
    if raw is None:
        raise FaqError(file, key, "missing")
    if not isinstance(raw, str) or not raw.strip():
        raise FaqError(file, key, "must be a non-empty string")
    return raw.strip()


def _languages(raw: object, file: str, key: str) -> dict[str, Any]:
    if raw is None:
        raise FaqError(file, key, "missing")
    if not isinstance(raw, dict):
        raise FaqError(file, key, f"must be a table of languages ({_LANGUAGES})")
    for lang in raw:
        if lang not in _LANGUAGE_CODES:
            raise FaqError(file, f"{key}.{lang}", f"unknown language (use {_LANGUAGES})")
    return raw


def _texts(raw: object, file: str, key: str) -> dict[str, str]:
    table = _languages(raw, file, key)
    texts = {lang: _string(v, file, f"{key}.{lang}") for lang, v in table.items()}
    if Language.ZH_HANT.value not in texts and Language.ZH_HANS.value in texts:
        texts[Language.ZH_HANT.value] = to_traditional(texts[Language.ZH_HANS.value])
    return texts


def _text_lists(raw: object, file: str, key: str) -> dict[str, tuple[str, ...]]:
    table = _languages(raw, file, key)
    lists: dict[str, tuple[str, ...]] = {}
    for lang, values in table.items():
        if not isinstance(values, list):
            raise FaqError(file, f"{key}.{lang}", "must be an array of strings")
        lists[lang] = tuple(_string(v, file, f"{key}.{lang}[{i}]") for i, v in enumerate(values))
    if Language.ZH_HANT.value not in lists and Language.ZH_HANS.value in lists:
        lists[Language.ZH_HANT.value] = tuple(
            to_traditional(v) for v in lists[Language.ZH_HANS.value]
        )
    return lists


def _date(raw: object, file: str, key: str) -> date | None:
    if raw is None:
        return None
    # tomllib returns datetime (a date subclass) for a date-time: entries change by whole days.
    if not isinstance(raw, date) or isinstance(raw, datetime):
        raise FaqError(file, key, "must be a date like 2025-01-31")
    return raw


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

    query_id: int
    best: FaqEntry | None
    alternatives: tuple[FaqEntry, ...]
    suggestions: tuple[FaqEntry, ...] = ()


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
