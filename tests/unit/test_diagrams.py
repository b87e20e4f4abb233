"""Docs checked against code: state diagrams against the Enums and the transition table, and
every repository path the docs name exists."""

from __future__ import annotations

import enum
import re
from pathlib import Path

import pytest

from bot.domain.bulk import BroadcastStep
from bot.domain.cases import TRANSITIONS, Action
from bot.domain.models import CaseStatus
from bot.domain.onboarding import OnboardingStep
from bot.domain.pending import PendingKind
from bot.domain.registration import Step
from bot.services.intake import IntakeStep

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").glob("*.md"))
EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::.*)?$")


def diagrams(path: Path) -> list[list[tuple[str, str]]]:
    """The edges of every Mermaid state diagram in a Markdown file."""
    found = []
    for block in re.findall(r"```mermaid\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
        edges = [m.groups() for line in block.splitlines() if (m := EDGE.match(line))]
        found.append([(a, b) for a, b in edges])
    return found


def diagram_with(path: Path, state: str) -> list[tuple[str, str]]:
    """The diagram of the file in which the state appears."""
    for edges in diagrams(path):
        if any(state in edge for edge in edges):
            return edges
    raise AssertionError(f"no diagram in {path.name} has the state {state!r}")


def test_the_case_lifecycle_diagram_is_the_transition_table() -> None:
    edges = diagram_with(REPO / "docs" / "cases.md", "resolved")
    drawn = {(a, b) for a, b in edges if "[*]" not in (a, b)}
    messages = {Action.STAFF_MESSAGE, Action.OWNER_MESSAGE}
    table = {(f.value, t.value) for (f, action), t in TRANSITIONS.items() if action not in messages}
    assert drawn == table


@pytest.mark.parametrize(
    ("steps", "doc"),
    [
        (Step, "registration.md"),
        (IntakeStep, "cases.md"),
        (CaseStatus, "cases.md"),
        (PendingKind, "cases.md"),
        (OnboardingStep, "staff.md"),
        (BroadcastStep, "broadcasts.md"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_every_state_is_in_its_diagram_and_every_drawn_state_exists(
    steps: type[enum.StrEnum], doc: str
) -> None:
    values = {s.value for s in steps}
    edges = diagram_with(REPO / "docs" / doc, next(iter(sorted(values))))
    drawn = {s for edge in edges for s in edge} - {"[*]"}
    assert values == drawn


PATH = re.compile(r"`((?:bot|tests|docs|config|templates|bench|fake_telegram)/[\w./-]+)`")


def exists(named: str) -> bool:
    """A path, or a module's name with a symbol after it (`bot/services/faq.load_kb`)."""
    path = named.rstrip("/")
    return any((REPO / p).exists() for p in (path, f"{path.split('.')[0]}.py"))


@pytest.mark.parametrize("doc", [*DOCS, REPO / "README.md"], ids=lambda p: p.name)
def test_every_path_the_docs_name_exists(doc: Path) -> None:
    named = set(PATH.findall(doc.read_text(encoding="utf-8")))
    missing = sorted(p for p in named if "*" not in p and not exists(p))
    assert missing == []
