"""Read config/faq/*.toml into records: topics, entries and the search vocabulary.

Every malformed value raises FaqError naming the file, the key and the problem; what is
well-formed but wrong (a missing translation, a word that never matches) is for
KnowledgeBase.check in bot/services/faq.py.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.domain.chinese import to_traditional
from bot.domain.faq import (
    FaqEntry,
    FaqLink,
    FaqTopic,
    Lexicon,
    LocalClaim,
    Measure,
    Moment,
    Review,
)
from bot.domain.models import Language

TOPICS_FILE = "_topics.toml"
LEXICON_FILE = "_lexicon.toml"
COLLOQUIAL_FILE = "_colloquial.toml"
OUTSIDE_FILE = "_outside.toml"
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
_TOPIC_KEYS = frozenset({"id", "name"})


class FaqError(Exception):
    """A malformed knowledge-base file; str() names the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


@dataclass(frozen=True, slots=True)
class FaqFiles:
    """What a knowledge-base folder holds, as read: entries in file-name order."""

    topics: tuple[FaqTopic, ...]
    entries: tuple[FaqEntry, ...]
    lexicon: Lexicon
    files: tuple[str, ...]  # each entry's file name


def read_folder(folder: Path) -> FaqFiles:
    """Read _topics.toml, _lexicon.toml, the optional _colloquial.toml and _outside.toml, and
    every <id>.toml; raise FaqError on a malformed file."""
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
    outside_path = folder / OUTSIDE_FILE
    if outside_path.is_file():
        lexicon = _outside(_read(outside_path), str(outside_path), lexicon)
    paths = [p for p in sorted(folder.glob("*.toml")) if not p.name.startswith("_")]
    entries = tuple(_entry(_read(path), str(path)) for path in paths)
    return FaqFiles(topics, entries, lexicon, tuple(p.name for p in paths))


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


def _outside(raw: dict[str, Any], file: str, lexicon: Lexicon) -> Lexicon:
    table = _table(raw, file, "-", frozenset({"zh", "en"}))
    lists: dict[str, tuple[str, ...]] = {}
    for lang in ("zh", "en"):
        section = _table(table.get(lang, {}), file, lang, frozenset({"subjects", "small_talk"}))
        for name in ("subjects", "small_talk"):
            key = f"{lang}.{name}"
            lists[key] = _words(section.get(name, []), file, key)
    return dataclasses.replace(
        lexicon,
        zh_outside=lists["zh.subjects"],
        en_outside=lists["en.subjects"],
        zh_small_talk=lists["zh.small_talk"],
        en_small_talk=lists["en.small_talk"],
    )


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
