"""Command line for timed work: `legal-aid-bot schedule list [--json]` and `schedule check`.

`list` asks the same `DueRunner` the bot runs (bot/app.py `build_services`), so it shows every
registered work's upcoming items, in the local timezone. `check` validates the schedule's
configuration without starting the bot: each entry of CHECKS is one check (the calendar, the
categories' SLAs, the recurring notices, the daily report). A check returns lines to print
(warnings start with "warning:") and raises ConfigError for a problem that stops start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.app import SystemClock, build_services
from bot.domain.models import Urgency
from bot.domain.schedule import Upcoming
from bot.notices import load_notices, notices_file
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.database import Database, DatabaseUnavailable

Check = Callable[[Settings, datetime], list[str]]


def add_schedule_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `schedule list` and `schedule check` to the top-level parser's subcommands."""
    schedule = subparsers.add_parser("schedule", help="list and check the timed work")
    sub = schedule.add_subparsers(dest="schedule_command", required=True, metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="every upcoming reminder, escalation, notice, report")
    listing.add_argument("--json", action="store_true", help='print [{"kind", "at", "subject"}]')
    sub.add_parser("check", help="validate calendar.toml and the categories' SLAs; no start")


def run_schedule(args: argparse.Namespace) -> int:
    """Run a `schedule` command; 0 ok, 1 the database is unusable, 2 bad configuration."""
    try:
        settings = load_settings(args.config, require_token=False)
        if args.schedule_command == "check":
            return _check(settings, datetime.now(UTC))
        return asyncio.run(_list(settings, as_json=args.json))
    except ConfigError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 1


async def _list(settings: Settings, *, as_json: bool) -> int:
    db = await Database.open(
        settings.database_path, busy_timeout_ms=settings.storage.busy_timeout_ms
    )
    try:
        clock = SystemClock()
        wiring = build_services(settings, db, clock=clock)
        now = clock.now()
        items = await wiring.due.upcoming(now)
    finally:
        await db.close()
    zone = ZoneInfo(settings.locale.timezone)
    for year in settings.work_calendar().uncovered_years([now, *(i.at for i in items)]):
        print(f"warning: {_uncovered(year)}", file=sys.stderr)
    if as_json:
        print(json.dumps([_item(i, zone) for i in items], ensure_ascii=False, indent=1))
        return 0
    if not items:
        print("nothing is scheduled")
    for item in items:
        at = item.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        print(f"{at}  {item.kind:<12} {item.subject}")
    return 0


def _item(item: Upcoming, zone: ZoneInfo) -> dict[str, str]:
    return {"kind": item.kind, "at": item.at.astimezone(zone).isoformat(), "subject": item.subject}


def _uncovered(year: int) -> str:
    return (
        f"no holiday schedule covers {year}: working hours in it count weekends only "
        "(add its holidays and make-up days to config/calendar.toml)"
    )


def check_calendar(settings: Settings, now: datetime) -> list[str]:
    """calendar.toml read (load_settings validated it); this year and next covered?"""
    calendar = settings.work_calendar()
    lines = [
        f"calendar: {len(settings.calendar_days)} day(s) from "
        f"{settings.config_dir / settings.data.calendar}, timezone {settings.locale.timezone}"
    ]
    year = now.astimezone(calendar.timezone).year
    lines += [f"warning: {_uncovered(y)}" for y in (year, year + 1) if not calendar.covers(y)]
    return lines


def check_categories(settings: Settings, now: datetime) -> list[str]:
    """Each category's SLA can be counted on its basis: a deadline exists from now."""
    calendar = settings.work_calendar()
    lines = []
    for category in settings.categories:
        parts = []
        for urgency in Urgency:
            hours = category.sla_hours[urgency.value]
            basis = category.sla_basis[urgency.value]
            try:
                calendar.add(now, 2 * hours, basis)
            except ValueError as exc:
                raise ConfigError(
                    str(settings.config_dir / settings.data.categories),
                    f"category {category.id!r}.sla_basis.{urgency.value}",
                    str(exc),
                ) from None
            parts.append(f"{urgency.value} {hours} h {basis.value}")
        lines.append(f"category {category.id}: {', '.join(parts)}")
    return lines


def check_recurring_notices(settings: Settings, now: datetime) -> list[str]:
    """config/notices.toml: every entry's cron, templates and audience (bot/notices.py)."""
    notices = load_notices(settings)
    return [f"notices: {len(notices)} from {notices_file(settings)}"]


def check_daily_report(settings: Settings, now: datetime) -> list[str]:
    """The daily report's time (settings already refuse a malformed one)."""
    at = settings.schedule.daily_report_at
    return [f"daily report: {'at ' + at if at else 'off'} ({settings.locale.timezone})"]


# Every check `schedule check` runs, in order; other timed work appends its own.
CHECKS: list[Check] = [
    check_calendar,
    check_categories,
    check_recurring_notices,
    check_daily_report,
]


def _check(settings: Settings, now: datetime) -> int:
    for check in CHECKS:
        for line in check(settings, now):
            print(line)
    print("schedule: ok")
    return 0
