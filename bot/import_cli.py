"""Command line for roster imports: `legal-aid-bot import enterprises|staff FILE` (PRODUCT §5.2).

Prints one summary line, then each refused row by line and reason (in the programme's language,
from templates/<lang>/imports/problem.html); `--report FILE` writes the refused rows, and the
invite link of every imported person who has not joined, as a sheet to correct and import again.
Exit status: 0 every row imported or unchanged, 1 some rows refused (the others imported), 2 a
file or usage problem (nothing imported).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from tqdm import tqdm

from bot.app import build_importer
from bot.domain.models import Language
from bot.domain.roster import REPORT_COLUMNS, REPORT_HEADINGS, Column, Kind, Refused, SheetError
from bot.domain.roster_plan import StaffInvite
from bot.rendering import Renderer
from bot.services.imports import ImportResult, Sheet
from bot.settings import Settings
from bot.sheets import SheetFileError, check_report_path, open_sheet, write_sheet
from bot.storage.database import Database

# Rows from which a progress bar is shown (on a terminal: tqdm hides itself otherwise).
PROGRESS_ROWS = 2000
# A line break after full-width punctuation is no space in Chinese.
_FULL_WIDTH_SPACE = re.compile(r"([：，；。）]) ")
# Refused rows printed; the report has them all.
SHOWN = 20


def add_import_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `import enterprises FILE` and `import staff FILE` to the top-level parser."""
    parser = subparsers.add_parser("import", help="import a roster of enterprises or staff")
    kinds = parser.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    helps = {
        Kind.ENTERPRISES: "enterprises: name, credit code, district, industry, liaison, deputy",
        Kind.STAFF: "staff: name, title, role, district, specialties, phone, Telegram username",
    }
    for kind, text in helps.items():
        sub = kinds.add_parser(kind.value, help=text)
        sub.add_argument("file", type=Path, help=".csv (UTF-8 or GB18030) or .xlsx")
        sub.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        sub.add_argument(
            "--report",
            type=Path,
            metavar="FILE",
            help="write refused rows with reasons (and staff invite links) to FILE (.xlsx/.csv)",
        )
        sub.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
        sub.add_argument(
            "--lang",
            choices=[lang.value for lang in Language],
            help="language of the reasons (default: [locale] default_language)",
        )


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    """Run an import command; return the exit status."""
    kind = Kind(args.import_kind)
    try:
        if args.report is not None:
            check_report_path(args.report)
        if kind is Kind.STAFF and args.report is not None and not settings.telegram.bot_username:
            raise SheetFileError(
                "the report's invite links need the bot's username: set [telegram] "
                "bot_username (LEGAL_AID_TELEGRAM_BOT_USERNAME)"
            )
        return asyncio.run(_run(settings, args, kind))
    except SheetFileError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    except SheetError as exc:  # the headings: the file's name says which sheet
        print(f"legal-aid-bot: {args.file}: {exc}", file=sys.stderr)
        return 2


async def _run(settings: Settings, args: argparse.Namespace, kind: Kind) -> int:
    lang = Language(args.lang or settings.locale.default_language)
    renderer = Renderer(
        choices={"district": settings.districts, "industry": settings.industries},
        timezone=settings.locale.timezone,
    )
    # The file first: one that cannot be read leaves no database behind.
    with open_sheet(args.file, args.sheet) as opened:
        db = await Database.open(
            settings.database_path, busy_timeout_ms=settings.storage.busy_timeout_ms
        )
        try:
            importer = build_importer(settings, db, renderer)
            rows = _progress(opened.rows, opened.total)
            result = await importer.run(
                kind, Sheet(rows), source=args.file.name, dry_run=args.dry_run
            )
        finally:
            await db.close()
    reasons = {r.line: _reasons(renderer, lang, r) for r in result.refused}
    _summary(args.file, opened.encoding, result, reasons)
    if args.report is not None:
        written = _report(args, settings, lang, result, reasons)
        print(f"report: {written} rows written to {args.report}")
    return 1 if result.refused else 0


def _progress(
    rows: Iterator[tuple[int, list[str]]], total: int | None
) -> Iterator[tuple[int, list[str]]]:
    """The rows, with a progress bar on stderr for a large file."""
    if not total or total < PROGRESS_ROWS:
        yield from rows
        return
    # A terminal that reports no size (a bare pty, some CI consoles) would hide the bar.
    size = shutil.get_terminal_size()
    with tqdm(
        total=total,
        unit=" rows",
        file=sys.stderr,
        ncols=size.columns,
        nrows=size.lines,
        leave=False,
        disable=None,
    ) as bar:
        for row in rows:
            yield row
            bar.update()


def _reasons(renderer: Renderer, lang: Language, refused: Refused) -> str:
    """Every reason a row was refused, as one plain line."""
    texts = []
    for problem in refused.problems:
        rendered = renderer.render(
            "imports/problem",
            lang,
            issue=problem.issue.value,
            column=problem.column.value if problem.column else None,
            value=problem.value,
            details=dict(problem.details),
        )
        text = " ".join(html.unescape(rendered).split())
        texts.append(_FULL_WIDTH_SPACE.sub(r"\1", text))
    return "; ".join(texts)


def _summary(
    path: Path, encoding: str | None, result: ImportResult, reasons: dict[int, str]
) -> None:
    read_as = f"{encoding}, " if encoding else ""
    verb = "would be " if result.dry_run else ""
    counts = (
        f"{result.added} {verb}added, {result.updated} {verb}updated, "
        f"{result.unchanged} unchanged, {len(result.refused)} refused"
    )
    print(f"{path.name} ({read_as}{result.rows} {result.kind.value} rows): {counts}")
    if result.layout.ignored:
        print("ignored columns: " + ", ".join(result.layout.ignored))
    for refused in result.refused[:SHOWN]:
        print(f"line {refused.line}: {reasons[refused.line]}")
    if len(result.refused) > SHOWN:
        print(f"... and {len(result.refused) - SHOWN} more refused rows (--report FILE lists all)")
    if result.kind is Kind.STAFF:
        waiting = [i for i in result.invites if not i.joined]
        made = result.new_invites
        print(f"invites: {len(waiting)} people have not joined yet ({made} new links)")
    if result.dry_run:
        print("dry run: nothing was written")


def _report(
    args: argparse.Namespace,
    settings: Settings,
    lang: Language,
    result: ImportResult,
    reasons: dict[int, str],
) -> int:
    """Write the refused rows and the invites as a sheet: the file's own columns first (so it
    imports again once corrected), then the line, the reasons and the link."""
    invites = {i.line: i for i in result.invites if not i.joined}
    wanted = set(reasons) | set(invites)
    own = [i for i, _ in enumerate(result.layout.headings) if i not in _report_indexes(result)]
    extra = [*REPORT_COLUMNS] if result.kind is Kind.STAFF else [Column.LINE, Column.PROBLEM]
    headings = [result.layout.headings[i] for i in own]
    language = lang.value if result.layout.chinese or lang is Language.EN else Language.EN.value
    rows: list[Sequence[str]] = [headings + [REPORT_HEADINGS[c][language] for c in extra]]
    with open_sheet(args.file, args.sheet) as opened:
        for line, values in opened.rows:
            if line <= result.layout.line or line not in wanted:
                continue
            cells = [values[i] if i < len(values) else "" for i in own]
            link, expires = _link(settings, invites.get(line), result.dry_run)
            added = [str(line), reasons.get(line, ""), link, expires]
            rows.append(cells + added[: len(extra)])
    write_sheet(args.report, rows)
    return len(rows) - 1


def _report_indexes(result: ImportResult) -> set[int]:
    return {i for c, i in result.layout.index.items() if c in REPORT_COLUMNS}


def _link(settings: Settings, invite: StaffInvite | None, dry_run: bool) -> tuple[str, str]:
    if invite is None:
        return "", ""
    if invite.code is None:
        return ("(made by the real run)" if dry_run else ""), ""
    zone = ZoneInfo(settings.locale.timezone)
    expires = (
        invite.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if invite.expires_at else ""
    )
    return f"https://t.me/{settings.telegram.bot_username}?start={invite.code}", expires
