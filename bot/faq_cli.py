"""Command line for the FAQ: `legal-aid-bot faq search "QUERY"` and `legal-aid-bot faq check`."""

from __future__ import annotations

import argparse
import json
import sys
import zoneinfo
from datetime import UTC, date, datetime
from pathlib import Path

from bot.domain.faq import CROSS
from bot.domain.models import Language
from bot.rendering import Renderer
from bot.services.faq import (
    EXPIRY_WARNING_DAYS,
    KnowledgeBase,
    answer_context,
    load_knowledge_base,
)
from bot.services.faq_files import FaqError
from bot.settings import ConfigError, FaqSettings, Settings, default_config_dir, load_settings

MESSAGE_LIMIT = 4096  # characters in one Telegram message


def add_faq_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `faq search` and `faq check` commands to the top-level parser's subcommands."""
    faq = subparsers.add_parser("faq", help="search and check the FAQ knowledge base")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="FAQ_COMMAND")
    search = faq_sub.add_parser("search", help="show the entries a question would be answered with")
    search.add_argument("query", help="the question, as a user would write it")
    search.add_argument(
        "--lang",
        choices=[lang.value for lang in Language],
        default=Language.ZH_HANS.value,
        help="the user's language (default zh-hans)",
    )
    search.add_argument("--json", action="store_true", help='print [{"id": ..., "score": ...}]')
    search.add_argument(
        "--explain",
        action="store_true",
        help="show how the question was read and which of its terms each entry matched",
    )
    search.add_argument("--limit", type=_positive, default=3, help="at most N entries (default 3)")
    search.add_argument("--today", type=date.fromisoformat, help="search as on this date")
    check = faq_sub.add_parser(
        "check",
        help="validate the knowledge base; list what expires, needs review or local confirmation",
    )
    check.add_argument("--today", type=date.fromisoformat, help="check as on this date")
    check.add_argument(
        "--strict",
        action="store_true",
        help="before going live: warnings and unconfirmed local practice count as problems",
    )


def run_faq(args: argparse.Namespace) -> int:
    """Run a `faq` command; return the exit status (0 ok, 1 problems found, 2 unusable input)."""
    config_dir: Path = getattr(args, "config", None) or default_config_dir()
    try:
        kb = load_knowledge_base(config_dir / "faq")
    except FaqError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    settings = _settings(config_dir)
    today = getattr(args, "today", None) or _today(settings)
    if args.faq_command == "search":
        return _search(kb, args, today)
    faq = settings.faq if settings else FaqSettings()
    return _check(kb, today, faq, strict=args.strict)


def _search(kb: KnowledgeBase, args: argparse.Namespace, today: date) -> int:
    lang = Language(args.lang)
    if args.explain:
        return _explain(kb, args.query, lang, args.limit, today)
    hits = kb.search(args.query, lang, today, limit=args.limit)
    if args.json:
        print(json.dumps([{"id": h.id, "score": round(h.score, 4)} for h in hits]))
        return 0
    if not hits:
        print("no good match")
        return 0
    for hit in hits:
        entry = kb.entry(hit.id)
        question = entry.question.get(lang.value, "") if entry else ""
        print(f"{hit.score:.3f}  {hit.id}  {question}")
    return 0


def _explain(kb: KnowledgeBase, query: str, lang: Language, limit: int, today: date) -> int:
    notes, matches = kb.explain(query, lang, limit)
    found = kb.lookup(query, lang, today, limit)
    answered = {h.id for h in found.hits}
    suggested = {h.id for h in found.suggestions}
    for note in notes:
        print(f"read as: {note}")
    if not matches:
        print("no entry shares a term with the question")
    for match in matches:
        entry = kb.entry(match.hit.id)
        question = entry.question.get(lang.value, "") if entry else ""
        verdict = (
            "answer"
            if match.hit.id in answered
            else "did you mean"
            if match.hit.id in suggested
            else "not shown"
        )
        print(f"{match.hit.score:.3f}  {match.hit.id}  [{verdict}]  {question}")
        terms = ", ".join(f"{_term(t)} {share:.2f}" for t, share in match.terms if share >= 0.005)
        print(f"       {terms}")
    print(f"answer from {kb.threshold:.2f}, did you mean from {kb.suggest_threshold:.2f}")
    return 0


def _term(term: str) -> str:
    if term.startswith(CROSS):
        return f"{term[len(CROSS) :]} (across words)"
    return term


def _check(kb: KnowledgeBase, today: date, faq: FaqSettings, strict: bool = False) -> int:
    problems = kb.check(today) + _render_problems(kb, today)
    for problem in problems:
        print(f"problem: {problem}")
    warnings = []
    for entry in kb.expiring(today, days=EXPIRY_WARNING_DAYS):
        assert entry.valid_until is not None
        left = (entry.valid_until - today).days
        warnings.append(f"{entry.id}: valid until {entry.valid_until} ({left} days left)")
    warnings += kb.warnings(today, faq.review_max_age_days, EXPIRY_WARNING_DAYS)
    for warning in warnings:
        print(f"warning: {warning}")
    # Local practice nobody here could verify: a deployment confirms or removes each one.
    unconfirmed = kb.unconfirmed()
    for entry, claim in unconfirmed:
        print(f"confirm: {entry.id}: {claim.claim}")
    for entry in kb.entries:
        for note in entry.unverified:
            print(f"unverified: {entry.id}: {note}")
        if not entry.is_valid(today):
            span = _span(entry.valid_from, entry.valid_until)
            print(f"note: {entry.id}: not shown on {today} ({span})")
    failing = len(problems) + (len(warnings) + len(unconfirmed) if strict else 0)
    status = f"{len(problems)} problem(s)" if problems else "ok"
    if strict and failing > len(problems):
        status = f"{failing} problem(s) (strict)"
    counts = f"{len(warnings)} warning(s), {len(unconfirmed)} local statement(s) to confirm"
    print(f"{len(kb.entries)} entries in {len(kb.topics)} topics: {counts}: {status}")
    return 1 if failing else 0


def _render_problems(kb: KnowledgeBase, today: date) -> list[str]:
    """Every answer renders, in every language, within one Telegram message."""
    renderer = Renderer()
    problems = []
    for entry in kb.entries:
        for lang in Language:
            try:
                # Today's measures and, as they will read once ended, all the others: each
                # form must render, and together they bound the answer's length.
                context = answer_context(entry, lang, today)
                context["measures"] += answer_context(entry, lang, date.max)["measures"]
                text = renderer.render("faq/answer", lang, **context)
            except Exception as exc:  # report every broken entry, not just the first
                problems.append(f"{entry.id}.toml: answer ({lang.value}): does not render: {exc}")
                continue
            if len(text) > MESSAGE_LIMIT:
                problems.append(
                    f"{entry.id}.toml: answer ({lang.value}): {len(text)} characters, "
                    f"over Telegram's {MESSAGE_LIMIT}"
                )
    return problems


def _span(start: date | None, end: date | None) -> str:
    return f"valid {start or '…'} to {end or '…'}"


def _settings(config_dir: Path) -> Settings | None:
    try:
        return load_settings(config_dir, require_token=False)
    except ConfigError:
        return None


def _today(settings: Settings | None) -> date:
    # "Today" is the programme's day, in its configured timezone, not the machine's.
    if settings is None:
        return datetime.now(UTC).astimezone().date()
    return datetime.now(zoneinfo.ZoneInfo(settings.locale.timezone)).date()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
