"""Command line for the FAQ: `legal-aid-bot faq search "QUERY"` and `legal-aid-bot faq check`."""

from __future__ import annotations

import argparse
import json
import sys
import zoneinfo
from datetime import UTC, date, datetime
from pathlib import Path

from bot.domain.models import Language
from bot.rendering import Renderer
from bot.services.faq import FaqError, KnowledgeBase, answer_context, load_knowledge_base
from bot.settings import ConfigError, default_config_dir, load_settings

EXPIRY_WARNING_DAYS = 30


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
    search.add_argument("--limit", type=_positive, default=3, help="at most N entries (default 3)")
    search.add_argument("--today", type=date.fromisoformat, help="search as on this date")
    check = faq_sub.add_parser(
        "check", help="validate the knowledge base and list expiring entries"
    )
    check.add_argument("--today", type=date.fromisoformat, help="check as on this date")


def run_faq(args: argparse.Namespace) -> int:
    """Run a `faq` command; return the exit status (0 ok, 1 problems found, 2 unusable input)."""
    config_dir: Path = getattr(args, "config", None) or default_config_dir()
    try:
        kb = load_knowledge_base(config_dir / "faq")
    except FaqError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    today = getattr(args, "today", None) or _today(config_dir)
    if args.faq_command == "search":
        return _search(kb, args, today)
    return _check(kb, today)


def _search(kb: KnowledgeBase, args: argparse.Namespace, today: date) -> int:
    lang = Language(args.lang)
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


def _check(kb: KnowledgeBase, today: date) -> int:
    problems = kb.check(today) + _render_problems(kb)
    for problem in problems:
        print(f"problem: {problem}")
    for entry in kb.expiring(today, days=EXPIRY_WARNING_DAYS):
        assert entry.valid_until is not None
        left = (entry.valid_until - today).days
        print(f"warning: {entry.id}: valid until {entry.valid_until} ({left} days left)")
    for entry in kb.entries:
        if not entry.is_valid(today):
            span = _span(entry.valid_from, entry.valid_until)
            print(f"note: {entry.id}: not shown on {today} ({span})")
    status = f"{len(problems)} problem(s)" if problems else "ok"
    print(f"{len(kb.entries)} entries in {len(kb.topics)} topics: {status}")
    return 1 if problems else 0


def _render_problems(kb: KnowledgeBase) -> list[str]:
    """Every answer renders, in every language, within one Telegram message."""
    renderer = Renderer()
    problems = []
    for entry in kb.entries:
        for lang in Language:
            try:
                text = renderer.render("faq/answer", lang, **answer_context(entry, lang))
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


def _today(config_dir: Path) -> date:
    # "Today" is the programme's day, in its configured timezone, not the machine's.
    try:
        tz = zoneinfo.ZoneInfo(load_settings(config_dir, require_token=False).locale.timezone)
    except ConfigError:
        return datetime.now(UTC).astimezone().date()
    return datetime.now(tz).date()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
