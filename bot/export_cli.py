"""`legal-aid-bot export cases|enterprises|staff|audit [--since DATE] [--until DATE]
[--format csv|xlsx] FILE` (docs/oversight.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import SystemClock
from bot.domain.exports import Format, Table
from bot.domain.exports import window as export_window
from bot.rendering import Renderer
from bot.services.exports import ExportService
from bot.settings import Settings
from bot.spreadsheet import write_export
from bot.storage.audit import AuditStore
from bot.storage.database import Database
from bot.storage.exports import ExportStore


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_export_command(sub: Any) -> None:
    export = sub.add_parser(
        "export", help="write cases, enterprises, staff or the audit log as CSV or Excel"
    )
    export.add_argument("table", choices=[t.value for t in Table], help="what to export")
    export.add_argument(
        "--since", type=_date, metavar="DATE", help="only rows created on or after DATE"
    )
    export.add_argument(
        "--until", type=_date, metavar="DATE", help="only rows created on or before DATE"
    )
    export.add_argument(
        "--format",
        choices=[f.value for f in Format],
        help="csv (UTF-8 with BOM, for Excel) or xlsx; default: from FILE's extension, else csv",
    )
    export.add_argument("file", type=Path, help="where to write it (replaced if it exists)")


async def run_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write the export to a temporary file beside FILE, then put it in place: an export
    that fails leaves no half-written file."""
    target: Path = args.file
    fmt = Format(args.format) if args.format else _format_of(target)
    try:
        window = export_window(args.since, args.until, ZoneInfo(settings.locale.timezone))
    except ValueError:
        print("legal-aid-bot: --until is before --since", file=sys.stderr)
        return 2
    if not settings.database_path.exists():
        print(f"legal-aid-bot: no database at {settings.database_path}", file=sys.stderr)
        return 1
    if not target.parent.is_dir():
        print(f"legal-aid-bot: no folder {target.parent} for {target}", file=sys.stderr)
        return 1
    db = await Database.open(
        settings.database_path, busy_timeout_ms=settings.storage.busy_timeout_ms
    )
    partial = target.with_name(f".{target.name}.partial")
    try:
        exports = ExportService(ExportStore(db), AuditStore(db), SystemClock())
        renderer = Renderer(
            choices={
                "district": settings.districts,
                "industry": settings.industries,
                "category": [c.choice for c in settings.categories],
            },
            timezone=settings.locale.timezone,
        )
        with partial.open("wb") as out:
            rows = await write_export(
                exports,
                renderer,
                settings.default_language,
                settings.locale.timezone,
                Table(args.table),
                fmt,
                window,
                out,
            )
        partial.replace(target)
        await exports.exported(None, Table(args.table), fmt, window, rows, "cli")
    finally:
        partial.unlink(missing_ok=True)
        await db.close()
    print(f"exported {rows} {args.table} rows to {target} ({fmt.value})")
    return 0


def _format_of(target: Path) -> Format:
    return Format.XLSX if target.suffix.lower() == ".xlsx" else Format.CSV
