"""The FAQ search against labelled questions: the tuning sets, and the held-out set.

tests/faq/questions.toml was written before any tuning by someone who never saw the knowledge
base; tests/faq/tuning.toml (short colloquial and out-of-scope questions) by the engineer who
tuned the search; tests/faq/tuning2.toml by a second helper, from the entry list only (no answers,
no code, no other question set), after the first tuning had been fitted to tuning.toml;
tests/faq/oos3.toml (150 out-of-scope questions, near misses and chit-chat) by a third, the same
way; tests/faq/oos4.toml (200 out-of-scope questions) by a fourth who saw not even the entry
list; tests/faq/oos5.toml (200 out-of-scope questions, many of them hard near misses, and 60
boundary in-scope ones) by a fifth, from the entry list. The search is tuned on those six,
through general mechanisms (lexicon, colloquial table, subjects outside the knowledge base,
small talk, pinyin, word boundaries, weights and thresholds).

tests/faq/heldout.toml was written by a helper who saw neither the knowledge base nor the search
code, and is never tuned against: its figures estimate accuracy on real questions. The floors
below are what the search reached on it (issue #15); a change that lowers any of them fails, so
it cannot happen silently. Raise a floor when a general improvement lifts a figure.
"""

from __future__ import annotations

import hashlib
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.domain.faq import Hit, is_chinese
from bot.domain.models import Language
from bot.services.faq import KnowledgeBase, load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "faq" / "questions.toml"
TUNING = ROOT / "tests" / "faq" / "tuning.toml"
TUNING2 = ROOT / "tests" / "faq" / "tuning2.toml"
OOS3 = ROOT / "tests" / "faq" / "oos3.toml"
OOS4 = ROOT / "tests" / "faq" / "oos4.toml"
OOS5 = ROOT / "tests" / "faq" / "oos5.toml"
HELDOUT = ROOT / "tests" / "faq" / "heldout.toml"
TODAY = date(2026, 12, 1)

TOP1_TARGET = 0.95
TOP3_TARGET = 0.96
OUT_OF_SCOPE_TARGET = 0.90

# The held-out figures reached, per style: (top-1, top-3), and the share of out-of-scope
# questions given no answer. Issue #15's targets are top-1 0.92, top-3 0.97, rejection 0.92 and
# no style below 0.85 top-3: all four are met.
HELDOUT_FLOORS: dict[str, tuple[float, float]] = {
    "short_colloquial": (0.943, 0.965),
    "colloquial": (0.966, 0.983),
    "typo": (0.961, 0.961),
    "traditional": (0.939, 0.939),
    "english": (0.934, 0.978),
    "long": (0.966, 1.0),
}
HELDOUT_REJECTION_FLOOR = 0.928


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    expect: str
    style: str


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    hits: list[Hit]

    @property
    def top1(self) -> bool:
        return bool(self.hits) and self.hits[0].id == self.question.expect

    @property
    def top3(self) -> bool:
        return self.question.expect in [h.id for h in self.hits[:3]]

    @property
    def rejected(self) -> bool:
        return not self.hits


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(ROOT / "config" / "faq")


def _outcomes(kb: KnowledgeBase, *paths: Path) -> list[Outcome]:
    questions = []
    for path in paths:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)["q"]
        questions += [Question(q["text"], q["expect"], q.get("style", "")) for q in raw]
    return [Outcome(q, kb.search(q.text, _language(q), TODAY)) for q in questions]


@pytest.fixture(scope="module")
def outcomes(kb: KnowledgeBase) -> list[Outcome]:
    return _outcomes(kb, QUESTIONS, TUNING, TUNING2, OOS3, OOS4, OOS5)


@pytest.fixture(scope="module")
def heldout(kb: KnowledgeBase) -> list[Outcome]:
    return _outcomes(kb, HELDOUT)


def _language(question: Question) -> Language:
    if question.style == "traditional":
        return Language.ZH_HANT
    return Language.ZH_HANS if is_chinese(question.text) else Language.EN


def _figures(outcomes: list[Outcome]) -> dict[str, tuple[float, float]]:
    """(top-1, top-3) per in-scope style, and ("rejected", share) for out-of-scope ones."""
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_style[outcome.question.style].append(outcome)
    figures = {}
    for style, group in by_style.items():
        n = len(group)
        if all(o.question.expect == "" for o in group):
            figures[style] = (sum(o.rejected for o in group) / n, 0.0)
        else:
            figures[style] = (sum(o.top1 for o in group) / n, sum(o.top3 for o in group) / n)
    return figures


def _breakdown(outcomes: list[Outcome], misses: bool = True) -> str:
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_style[outcome.question.style].append(outcome)
    lines = []
    for style, group in sorted(by_style.items()):
        n = len(group)
        if all(o.question.expect == "" for o in group):
            rejected = sum(o.rejected for o in group)
            lines.append(f"  {style:12} n={n:3}  rejected={rejected / n:.2f}")
        else:
            top1 = sum(o.top1 for o in group) / n
            top3 = sum(o.top3 for o in group) / n
            lines.append(f"  {style:12} n={n:3}  top1={top1:.2f}  top3={top3:.2f}")
    wrong = [o for o in outcomes if not (o.rejected if o.question.expect == "" else o.top1)]
    for o in wrong if misses else []:
        got = ", ".join(f"{h.id}:{h.score:.2f}" for h in o.hits) or "no match"
        lines.append(f"  miss [{o.question.style}] expect={o.question.expect or '-'} got={got}")
    return "\n".join(lines)


def test_in_scope_accuracy(outcomes: list[Outcome]) -> None:
    in_scope = [o for o in outcomes if o.question.expect]
    top1 = sum(o.top1 for o in in_scope) / len(in_scope)
    top3 = sum(o.top3 for o in in_scope) / len(in_scope)
    detail = f"top1={top1:.3f} top3={top3:.3f}\n{_breakdown(outcomes)}"
    assert top1 >= TOP1_TARGET, detail
    assert top3 >= TOP3_TARGET, detail


def test_out_of_scope_questions_match_nothing(outcomes: list[Outcome]) -> None:
    out_of_scope = [o for o in outcomes if not o.question.expect]
    precision = sum(o.rejected for o in out_of_scope) / len(out_of_scope)
    assert precision >= OUT_OF_SCOPE_TARGET, f"rejected={precision:.3f}\n{_breakdown(outcomes)}"


def test_every_expected_id_exists(
    kb: KnowledgeBase, outcomes: list[Outcome], heldout: list[Outcome]
) -> None:
    unknown = {o.question.expect for o in outcomes + heldout if o.question.expect} - {
        e.id for e in kb.entries
    }
    assert not unknown


def test_heldout_figures_do_not_fall(heldout: list[Outcome]) -> None:
    # Only the figures are shown, never the questions: nobody should tune against them.
    figures = _figures(heldout)
    detail = _breakdown(heldout, misses=False)
    assert set(figures) == set(HELDOUT_FLOORS) | {"out_of_scope"}, detail
    for style, (top1, top3) in HELDOUT_FLOORS.items():
        assert figures[style][0] >= top1, f"{style} top-1 fell\n{detail}"
        assert figures[style][1] >= top3, f"{style} top-3 fell\n{detail}"
    assert figures["out_of_scope"][0] >= HELDOUT_REJECTION_FLOOR, f"rejection fell\n{detail}"


def test_heldout_set_is_the_one_delivered() -> None:
    # Byte for byte as the independent helper wrote it: labels are reported, never edited.
    digest = hashlib.sha256(HELDOUT.read_bytes()).hexdigest()
    assert digest == "ee31a14a2e9f1551494f1bf27e5194283336fbd53b35d4e95f0295f53e1e20e7"


def test_search_is_fast(kb: KnowledgeBase, outcomes: list[Outcome]) -> None:
    texts = [o.question.text for o in outcomes]
    start = time.perf_counter()
    for text in texts:
        kb.search(text, Language.ZH_HANS, TODAY)
    per_query = (time.perf_counter() - start) / len(texts)
    assert per_query < 0.005, f"{per_query * 1000:.2f} ms per query"
