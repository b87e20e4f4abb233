"""The FAQ search against the labelled evaluation set in tests/faq/questions.toml.

The set was written before any tuning by someone who never saw the knowledge base; the search is
tuned only through general mechanisms, so these numbers estimate accuracy on real questions.
"""

from __future__ import annotations

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
TODAY = date(2025, 6, 1)

TOP1_TARGET = 0.85
TOP3_TARGET = 0.95
OUT_OF_SCOPE_TARGET = 0.90


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


@pytest.fixture(scope="module")
def outcomes(kb: KnowledgeBase) -> list[Outcome]:
    with QUESTIONS.open("rb") as fh:
        raw = tomllib.load(fh)["q"]
    questions = [Question(q["text"], q["expect"], q.get("style", "")) for q in raw]
    return [Outcome(q, kb.search(q.text, _language(q), TODAY)) for q in questions]


def _language(question: Question) -> Language:
    if question.style == "traditional":
        return Language.ZH_HANT
    return Language.ZH_HANS if is_chinese(question.text) else Language.EN


def _breakdown(outcomes: list[Outcome]) -> str:
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
    misses = [o for o in outcomes if not (o.rejected if o.question.expect == "" else o.top1)]
    for o in misses:
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


def test_every_expected_id_exists(kb: KnowledgeBase, outcomes: list[Outcome]) -> None:
    unknown = {o.question.expect for o in outcomes if o.question.expect} - {
        e.id for e in kb.entries
    }
    assert not unknown


def test_search_is_fast(kb: KnowledgeBase, outcomes: list[Outcome]) -> None:
    texts = [o.question.text for o in outcomes]
    start = time.perf_counter()
    for text in texts:
        kb.search(text, Language.ZH_HANS, TODAY)
    per_query = (time.perf_counter() - start) / len(texts)
    assert per_query < 0.005, f"{per_query * 1000:.2f} ms per query"
