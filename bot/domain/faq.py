"""FAQ knowledge base records and the search over them (PRODUCT §3.4, §7).

Chinese is written without spaces, so the analyzer needs no dictionary: it indexes characters and
character bigrams after folding Traditional to Simplified. English is split into words with light
stemming. Both drop stop words and fold synonyms from a Lexicon: data the programme tunes
(config/faq/_lexicon.toml), passed in. Ranking is BM25F over the fields an entry is asked by
(question, phrasings, keywords) weighted above its answer. The score is divided by the best score
the query could reach (capped at what a typical stored question could reach, since long messages
tell a story around their question), so one threshold works for a three-character query and a
paragraph alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from bot.domain.chinese import to_simplified
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


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The vocabulary the analyzer folds, as config/faq/_lexicon.toml writes it (docs/faq.md)."""

    # Chinese words in Simplified characters, English words in lower case: text is folded
    # (normalize) before they apply. Stop words carry no topic and are dropped; a synonym or a
    # phrase is replaced by the word(s) it means, in entries and queries alike.
    zh_stop_words: tuple[str, ...] = ()
    zh_synonyms: dict[str, str] = field(default_factory=dict)
    en_stop_words: tuple[str, ...] = ()
    en_synonyms: dict[str, str] = field(default_factory=dict)
    en_phrases: dict[str, str] = field(default_factory=dict)  # "lay off" -> "layoff"


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_HAS_LATIN = re.compile(r"[a-z]")
_NOTHING = re.compile(r"(?!)")
_CHINESE_WORD = re.compile(rf"[{_CJK}]+")
_ENGLISH_WORD = re.compile(r"[a-z0-9]+")


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so 怎么办 is taken before 怎么 and 新冠肺炎 before 新冠. An empty pattern would
    # match between every two characters, so no words means a pattern that never matches.
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered)) if ordered else _NOTHING


def normalize(text: str) -> str:
    """Fold width, case and Traditional characters, so every variant of a text looks the same."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """Strip common English inflections (plural, -ed, -ing) and a final e; crude but symmetric."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # "lease", "leased" and "leasing" all end up as "leas".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


class Analyzer:
    """Turn text into search terms with a lexicon: Chinese characters and bigrams, English stems."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._zh_stop_re = _alternation(lexicon.zh_stop_words)
        self._zh_synonym_re = _alternation(lexicon.zh_synonyms)
        self._en_stop_words = frozenset(lexicon.en_stop_words)
        self._en_stop_stems = frozenset(stem(w) for w in self._en_stop_words) | self._en_stop_words
        self._en_synonym_stems = {stem(k): stem(v) for k, v in lexicon.en_synonyms.items()}
        # Multi-word English expressions folded to one term before stemming.
        self._en_phrases = {
            tuple(phrase.split()): tuple(replacement.split())
            for phrase, replacement in lexicon.en_phrases.items()
        }
        self._en_phrase_lengths = sorted({len(p) for p in self._en_phrases}, reverse=True)
        self._en_phrase_starts = frozenset(p[0] for p in self._en_phrases)

    def analyze(self, text: str) -> list[str]:
        """Turn text into search terms: Chinese characters and bigrams, English word stems."""
        text = normalize(text)
        if _HAS_CJK.search(text):
            synonyms = self.lexicon.zh_synonyms
            text = self._zh_synonym_re.sub(lambda m: synonyms[m.group()], text)
        terms: list[str] = []
        words: list[str] = []
        for run in _RUN.findall(text):
            if _HAS_CJK.match(run):
                if words:
                    terms += self._english_terms(words)
                    words = []
                for segment in self._zh_stop_re.split(run):
                    terms += segment
                    terms += map(str.__add__, segment, segment[1:])
            else:
                words.append(run)
        if words:
            terms += self._english_terms(words)
        return terms

    def _english_terms(self, words: list[str]) -> list[str]:
        phrases, starts, lengths = self._en_phrases, self._en_phrase_starts, self._en_phrase_lengths
        stop_words, stop_stems = self._en_stop_words, self._en_stop_stems
        synonyms, synonym_stems = self.lexicon.en_synonyms, self._en_synonym_stems
        terms: list[str] = []
        i = 0
        while i < len(words):
            for length in lengths if words[i] in starts else ():
                replacement = phrases.get(tuple(words[i : i + length]))
                if replacement:
                    i += length
                    break
            else:
                replacement = (words[i],)
                i += 1
            for word in replacement:
                if word in stop_words:
                    continue
                stemmed = stem(synonyms.get(word, word))
                stemmed = synonym_stems.get(stemmed, stemmed)
                if stemmed not in stop_stems:
                    terms.append(stemmed)
        return terms


def is_chinese_word(word: str) -> bool:
    """Tell whether a lexicon word is Chinese as the analyzer sees it: Simplified characters."""
    return _CHINESE_WORD.fullmatch(word) is not None and normalize(word) == word


def is_english_word(word: str) -> bool:
    """Tell whether a lexicon word is English as the analyzer sees it: lower-case a-z and 0-9."""
    return _ENGLISH_WORD.fullmatch(word) is not None


def is_chinese(text: str) -> bool:
    """Tell whether a text contains Chinese characters (then it is searched in Chinese)."""
    return _HAS_CJK.search(text) is not None


def _term_weight(term: str) -> float:
    # A single Chinese character says little on its own: it mostly rescues a phrase with one
    # mistyped character, whose bigrams are broken, so it counts for less than a bigram or word.
    if len(term) == 1 and _HAS_CJK.match(term):
        return _UNIGRAM_WEIGHT
    return 1.0


# --------------------------------------------------------------------------- ranking

# BM25F parameters, chosen on held-out phrasings of the knowledge base itself (each phrasing
# searched with itself removed). The question and keywords say what an entry is about; the other
# phrasings and the answer add vocabulary but also noise, so they weigh less.
_K1 = 1.2
_UNIGRAM_WEIGHT = 0.3
_FIELDS: dict[str, tuple[float, float]] = {  # name: (weight, b)
    "question": (3.0, 0.5),
    "phrasings": (1.0, 0.75),
    "keywords": (4.0, 0.5),
    "answer": (0.6, 0.75),
    "references": (0.3, 0.5),
}

# A hit needs this share of what the query could score at best. Set just above the score that 90%
# of a hand-written list of unrelated questions (greetings, divorce, trademarks, visas, ...) stay
# below; the labelled evaluation set only checks it.
DEFAULT_THRESHOLD = 0.24


@dataclass(frozen=True, slots=True)
class _Index:
    """BM25F postings for one language: term -> [(entry position, saturated term frequency)]."""

    postings: dict[str, list[tuple[int, float]]]
    idf: dict[str, float]
    unseen_idf: float
    typical_question: float

    @classmethod
    def build(cls, entries: Sequence[FaqEntry], lang: Language, analyzer: Analyzer) -> _Index:
        analyze = analyzer.analyze
        questions: list[list[list[str]]] = []  # per entry: its question, then each phrasing
        docs: list[dict[str, list[str]]] = []
        for entry in entries:
            asked = [analyze(entry.question.get(lang, ""))]
            asked += [analyze(p) for p in entry.phrasings.get(lang, ())]
            questions.append(asked)
            docs.append(
                {
                    "question": asked[0],
                    "phrasings": [t for terms in asked[1:] for t in terms],
                    "keywords": [t for k in entry.keywords.get(lang, ()) for t in analyze(k)],
                    "answer": analyze(entry.answer.get(lang, "")),
                    "references": [t for r in entry.references for t in analyze(r.get(lang, ""))],
                }
            )
        n = max(len(docs), 1)
        avg = {name: max(sum(len(d[name]) for d in docs) / n, 1.0) for name in _FIELDS}
        postings: dict[str, list[tuple[int, float]]] = {}
        for position, doc in enumerate(docs):
            pseudo: dict[str, float] = {}
            for name, terms in doc.items():
                weight, b = _FIELDS[name]
                norm = 1.0 - b + b * len(terms) / avg[name]
                for term, tf in Counter(terms).items():
                    pseudo[term] = pseudo.get(term, 0.0) + weight * tf / norm
            for term, pseudo_tf in pseudo.items():
                saturated = pseudo_tf / (_K1 + pseudo_tf)
                postings.setdefault(term, []).append((position, saturated))
        idf = {t: _idf(n, len(p)) for t, p in postings.items()}
        masses = sorted(
            sum(_term_weight(t) * idf[t] for t in set(terms))
            for asked in questions
            for terms in asked
        )
        typical = masses[len(masses) // 2] if masses else 1.0
        return cls(postings, idf, _idf(n, 0), typical)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class FaqIndex:
    """Search entries by free text in Chinese (either script) or English."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        lexicon: Lexicon,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.entries = tuple(entries)
        self.threshold = threshold
        self.analyzer = Analyzer(lexicon)
        # Chinese queries are matched against the Simplified text (queries are folded to it),
        # English ones against the English text: the two never share a term.
        self._zh = _Index.build(self.entries, Language.ZH_HANS, self.analyzer)
        self._en = _Index.build(self.entries, Language.EN, self.analyzer)

    def scores(self, query: str, lang: Language = Language.ZH_HANS) -> list[Hit]:
        """Score every entry that shares a term with the query, best first, ignoring dates."""
        return [Hit(self.entries[p].id, score) for p, score in self._ranked(query, lang)]

    def search(self, query: str, lang: Language, today: date, limit: int = 3) -> list[Hit]:
        """Return up to `limit` entries valid today that match the query well, best first."""
        hits = [
            Hit(self.entries[p].id, score)
            for p, score in self._ranked(query, lang)
            if score >= self.threshold and self.entries[p].is_valid(today)
        ]
        return hits[: max(limit, 0)]

    def _ranked(self, query: str, lang: Language) -> list[tuple[int, float]]:
        chinese = is_chinese(query) or (
            lang != Language.EN and not _HAS_LATIN.search(normalize(query))
        )
        index = self._zh if chinese else self._en
        terms = set(self.analyzer.analyze(query))
        totals: dict[int, float] = {}
        best_possible = 0.0
        for term in terms:
            weight = _term_weight(term)
            # A term no entry uses still counts towards what the query could reach, so a
            # question about something the knowledge base never mentions scores low everywhere.
            idf = index.idf.get(term, index.unseen_idf)
            best_possible += weight * idf
            for position, saturated in index.postings.get(term, ()):
                totals[position] = totals.get(position, 0.0) + weight * idf * saturated
        # A long message tells a story around its question: judge it against what a typical
        # stored question could match, not every word of the story. A greeting or a lone
        # character is too little to go on: the floor is one term no entry uses.
        norm = max(min(best_possible, index.typical_question), index.unseen_idf)
        ranked = [(p, min(total / norm, 1.0)) for p, total in totals.items()]
        ranked.sort(key=lambda item: (-item[1], self.entries[item[0]].id))
        return ranked
