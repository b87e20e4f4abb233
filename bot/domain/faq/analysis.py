"""Turn text into search terms: folding, stop words and synonyms from a Lexicon, n-grams, stems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.domain.chinese import to_simplified
from bot.domain.faq.segmentation import boundaries

if TYPE_CHECKING:
    from bot.domain.faq.spelling import Speller


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
    # Everyday ways of asking, read in questions as the terms they mean (config/faq/
    # _colloquial.toml): "晚点交" -> ("缓交",), "pay later" -> ("defer",).
    zh_colloquial: dict[str, tuple[str, ...]] = field(default_factory=dict)
    en_colloquial: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What the programme does not answer (config/faq/_outside.toml): subjects no entry covers
    # ("离婚", "trademark"), found anywhere in a question; and small talk ("有人在吗", "thanks"),
    # recognised only as a whole clause.
    zh_outside: tuple[str, ...] = ()
    en_outside: tuple[str, ...] = ()
    zh_small_talk: tuple[str, ...] = ()
    en_small_talk: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the search reads it: its terms, its literal colloquial terms, the changes."""

    terms: list[str]
    # The terms of the colloquial words as written: an entry that uses them scores for them,
    # but the question is judged by what they mean (they add nothing to its best score).
    literal: list[str]
    notes: list[str]  # what was read differently, for `faq search --explain`
    corrected: set[str] = field(default_factory=set)  # terms made by correcting a typo
    # Subjects outside the knowledge base the question names: each weighs against every entry.
    outside: list[str] = field(default_factory=list)
    small_talk: list[str] = field(default_factory=list)  # clauses that ask nothing, left out


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
HAS_CJK = re.compile(rf"[{_CJK}]")
HAS_LATIN = re.compile(r"[a-z]")
_NOTHING = re.compile(r"(?!)")
CROSS = "~"  # marks a character pair across a word boundary
_PUNCTUATION = re.compile(r"[^\w]+|_")
_CHINESE_WORD = re.compile(rf"[{_CJK}]+")
_ENGLISH_WORD = re.compile(r"[a-z0-9]+")
# Clauses end at punctuation other than an apostrophe, not at spaces: "what's your name".
_CLAUSE = re.compile("[^\\w\\s'’]+|_")
# Sentence-final particles, ignored when a clause is compared with small talk: 在吗 is 在呢.
_PARTICLES = "吗呢啊呀吧么哦啦嘛"


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
        self._colloquial = {**lexicon.zh_colloquial, **lexicon.en_colloquial}
        self._colloquial_re = _phrase_pattern([*lexicon.zh_colloquial], [*lexicon.en_colloquial])
        self._outside_re = _phrase_pattern(
            [normalize(w) for w in lexicon.zh_outside], [w.lower() for w in lexicon.en_outside]
        )
        self._small_talk = frozenset(
            _clause_key(normalize(w)) for w in lexicon.zh_small_talk + lexicon.en_small_talk
        )

    def analyze(self, text: str) -> list[str]:
        """Turn text into search terms: Chinese characters and bigrams, English word stems."""
        return self._terms(normalize(text), None, None)

    def analyze_query(self, text: str, speller: Speller | None = None) -> Query:
        """Read a question: small talk left out, subjects outside the knowledge base taken out,
        colloquial words read as what they mean, a homophone typo corrected."""
        notes: list[str] = []
        literal: list[str] = []
        text, talk = self._without_small_talk(normalize(text), notes)
        # Punctuation between words as a space, so "can't pay" reads as the phrase "can t pay".
        text, outside = self._without_outside(_PUNCTUATION.sub(" ", text), notes)

        def meaning(match: re.Match[str]) -> str:
            phrase = match.group()
            meanings = self._colloquial[phrase]
            notes.append(f"colloquial: {phrase} → {' / '.join(meanings)}")
            literal.extend(self._terms(phrase, None, None))
            # Bars keep the meaning from gluing to its neighbours into false bigrams.
            return "|" + "|".join(meanings) + "|"

        text = self._colloquial_re.sub(meaning, text)
        corrected: set[str] = set()
        terms = self._terms(text, speller, notes, corrected)
        return Query(terms, literal, notes, corrected, outside, talk)

    def _without_small_talk(self, text: str, notes: list[str]) -> tuple[str, list[str]]:
        if not self._small_talk:
            return text, []
        clauses = [c for c in _CLAUSE.split(text) if c.strip()]
        talk = [c.strip() for c in clauses if _clause_key(c) in self._small_talk]
        if not talk:
            return text, []
        notes.append(f"small talk: {' / '.join(talk)}")
        return " | ".join(c for c in clauses if c.strip() not in talk), talk

    def _without_outside(self, text: str, notes: list[str]) -> tuple[str, list[str]]:
        outside: list[str] = []

        def subject(match: re.Match[str]) -> str:
            outside.append(match.group())
            return "|"

        def bare(run: re.Match[str]) -> str:
            # Also with the stop words left out, as the rest of the question is read:
            # 商标怎么注册 and 商标咋注册 name the subject 商标注册.
            without = self._zh_stop_re.sub("", run.group())
            found = self._outside_re.search(without)
            return self._outside_re.sub(subject, without) if found else run.group()

        text = _CHINESE_WORD.sub(bare, self._outside_re.sub(subject, text))
        if outside:
            notes.append(f"outside the knowledge base: {' / '.join(outside)}")
        return text, outside

    def _terms(
        self,
        text: str,
        speller: Speller | None,
        notes: list[str] | None,
        corrected: set[str] | None = None,
    ) -> list[str]:
        if HAS_CJK.search(text):
            synonyms = self.lexicon.zh_synonyms
            text = self._zh_synonym_re.sub(lambda m: synonyms[m.group()], text)
        pieces: list[str | list[str]] = []  # Chinese segments, and runs of English words
        for run in _RUN.findall(text):
            if HAS_CJK.match(run):
                pieces += [segment for segment in self._zh_stop_re.split(run) if segment]
            elif pieces and isinstance(pieces[-1], list):
                pieces[-1].append(run)
            else:
                pieces.append([run])
        if speller is not None:
            self._correct(pieces, speller, notes, corrected)
        terms: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                terms += piece
                cut = boundaries(piece) if len(piece) > 2 else frozenset()
                # A pair across two words is kept apart (marked), and weighs little.
                terms += [
                    piece[i : i + 2] if i + 1 not in cut else CROSS + piece[i : i + 2]
                    for i in range(len(piece) - 1)
                ]
            else:
                terms += self._english_terms(piece)
        return terms

    @staticmethod
    def _correct(
        pieces: list[str | list[str]],
        speller: Speller,
        notes: list[str] | None,
        corrected: set[str] | None,
    ) -> None:
        where = [i for i, piece in enumerate(pieces) if isinstance(piece, str)]
        segments = [str(pieces[i]) for i in where]
        fix = speller.best_fix(segments)
        if fix is None:
            return
        k, position, char = fix
        old = segments[k]
        new = old[:position] + char + old[position + 1 :]
        pieces[where[k]] = new
        if notes is not None:
            notes.append(f"typo: {old} → {new} (same sound: {old[position]} {char})")
        if corrected is not None:
            # The terms the guess made: they count, but for less than terms as typed.
            corrected.add(char)
            corrected.update(new[max(position - 1, 0) : position + 2][j : j + 2] for j in range(2))

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


def _clause_key(clause: str) -> str:
    """A clause as small talk is compared: no spaces, no final particles (在吗 and 在 alike)."""
    bare = "".join(clause.replace("'", "").replace("’", "").split())
    return bare.rstrip(_PARTICLES) or bare


def _phrase_pattern(zh: Iterable[str], en: Iterable[str]) -> re.Pattern[str]:
    # Longest first; English phrases only as whole words ("pay later", not "repay laterally").
    phrases = [(p, re.escape(p)) for p in zh] + [
        (p, rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])") for p in en
    ]
    if not phrases:
        return _NOTHING
    phrases.sort(key=lambda item: len(item[0]), reverse=True)
    return re.compile("|".join(pattern for _, pattern in phrases))


def is_chinese_word(word: str) -> bool:
    """Tell whether a lexicon word is Chinese as the analyzer sees it: Simplified characters."""
    return _CHINESE_WORD.fullmatch(word) is not None and normalize(word) == word


def is_english_word(word: str) -> bool:
    """Tell whether a lexicon word is English as the analyzer sees it: lower-case a-z and 0-9."""
    return _ENGLISH_WORD.fullmatch(word) is not None


def is_chinese(text: str) -> bool:
    """Tell whether a text contains Chinese characters (then it is searched in Chinese)."""
    return HAS_CJK.search(text) is not None
