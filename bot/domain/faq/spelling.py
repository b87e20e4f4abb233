"""Homophone typos from pinyin input: a mistyped Chinese bigram corrected by its sound.

Owners type Chinese on a phone by pinyin, and a wrong character with the same sound is the
commonest typo (申清 for 申请, 社宝 for 社保). Such a character breaks the bigrams it is part of,
and a broken bigram no entry uses counts against the question. The Speller knows the bigrams of
the knowledge base; a bigram of a question that no entry uses, but that sounds exactly like one
that is used (toneless pinyin) and differs from it in one character, is read as that bigram,
provided the character it changes is no part of a dictionary word: a mistyped character seldom
forms a word with its neighbours, a word the knowledge base does not use (试用期) is still a word.
Bigrams the knowledge base uses are never changed, so correctly written questions score as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from bot.domain.faq.segmentation import loose_characters


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """The toneless pinyin of a Chinese word, syllables joined by spaces: homophones share it."""
    return " ".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))


class Speller:
    """Correct mistyped bigrams of a Chinese segment to known ones that sound the same."""

    def __init__(self, known: Mapping[str, int]) -> None:
        # known: bigram -> how many entries use it. Among homophones the commoner one wins.
        self._known = known
        by_sound: dict[str, list[str]] = {}
        for bigram in sorted(known, key=lambda b: (-known[b], b)):
            key = sound(bigram)
            if len(key.split()) == 2:
                by_sound.setdefault(key, []).append(bigram)
        self._by_sound = by_sound

    def best_fix(self, segments: list[str]) -> tuple[int, int, str] | None:
        """The one character of a question most likely mistyped: (segment, position, char).

        One per question: a short question rarely has two typos, and each correction is a guess
        that could turn an unrelated question into a match.
        """
        known = self._known
        best: tuple[int, int, int, int, str] | None = None  # (gain, df, segment, position, char)
        for k, segment in enumerate(segments):
            for i in range(len(segment) - 1):
                bigram = segment[i : i + 2]
                if bigram in known:
                    continue
                fix = next(
                    (
                        b
                        for b in self._by_sound.get(sound(bigram), ())
                        if sum(x != y for x, y in zip(b, bigram, strict=True)) == 1
                    ),
                    None,
                )
                if fix is None:
                    continue
                position = i if fix[0] != bigram[0] else i + 1
                # A character that is part of a dictionary word (试用期, 份子钱) is what the
                # owner meant, even if no entry uses that word.
                if position not in loose_characters(segment):
                    continue
                char = fix[position - i]
                before = _known_around(segment, position, known)
                after = _known_around(
                    segment[:position] + char + segment[position + 1 :], position, known
                )
                # Never break a neighbouring bigram that is already right.
                if before and after <= before:
                    continue
                candidate = (after - before, known[fix], k, position, char)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
        return None if best is None else best[2:]


def _known_around(segment: str, position: int, known: Mapping[str, int]) -> int:
    """How many of the bigrams that include the character at `position` are known."""
    pairs = (segment[max(position - 1, 0) : position + 1], segment[position : position + 2])
    return sum(len(p) == 2 and p in known for p in pairs)
