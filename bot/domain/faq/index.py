"""Ranking: BM25F over the fields an entry is asked by, as a share of the query's best score."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.faq.analysis import HAS_CJK, HAS_LATIN, Analyzer, Lexicon, is_chinese, normalize
from bot.domain.faq.records import FaqEntry, Hit
from bot.domain.models import Language


def _term_weight(term: str) -> float:
    # A single Chinese character says little on its own: it mostly rescues a phrase with one
    # mistyped character, whose bigrams are broken, so it counts for less than a bigram or word.
    if len(term) == 1 and HAS_CJK.match(term):
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
                    # Dated measures belong to the answer whatever their dates: the entry is
                    # about their subject even while a measure is not shown.
                    "answer": analyze(
                        "\n".join(
                            [entry.answer.get(lang, "")]
                            + [m.text.get(lang, "") for m in entry.measures]
                        )
                    ),
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
            lang != Language.EN and not HAS_LATIN.search(normalize(query))
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
