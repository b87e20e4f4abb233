"""`legal-aid-bot schedule list` and `schedule check` as an operator runs them (processes)."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import CONFIG_DIR, BotRunner, FakeClock
from tests.telegram.people import onboard, open_case, wait
from tests.telegram.steps import register
from tests.test_cli import cli


async def test_schedule_list_shows_every_upcoming_item_in_local_time(
    bot: BotRunner,
    api: FakeBotAPI,
    admin: FakeUser,
    owner: FakeUser,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    # In a year no holiday schedule covers yet (the wall clock reads it as the future).
    clock.moment = datetime(2030, 6, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    await wait(api, liaison, number)
    database = str(bot.settings.database_path)
    listed = await asyncio.to_thread(
        cli, tmp_path, "schedule", "list", "--json", LEGAL_AID_STORAGE_DATABASE=database
    )
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    # Every registered work lists its items: the daily report (at the wall clock's next 08:00)
    # and the case's timers.
    assert [i["kind"] for i in items if i["kind"] == "daily_report"] == ["daily_report"]
    assert [i for i in items if i["subject"].startswith("case ")] == [
        {"kind": "reminder", "at": "2030-06-03T11:00:00+08:00", "subject": f"case {number}"},
        {"kind": "escalation", "at": "2030-06-03T13:00:00+08:00", "subject": f"case {number}"},
    ]
    assert listed.stderr.count("no holiday schedule covers 2030") == 1
    text = await asyncio.to_thread(
        cli, tmp_path, "schedule", "list", LEGAL_AID_STORAGE_DATABASE=database
    )
    assert f"2030-06-03 11:00 CST  reminder     case {number}" in text.stdout


def test_schedule_check_validates_without_starting(tmp_path: Path) -> None:
    good = cli(tmp_path, "schedule", "check")
    assert good.returncode == 0, good.stderr
    assert "category report-crime: normal 4 h calendar, urgent 1 h calendar" in good.stdout
    assert good.stdout.strip().endswith("schedule: ok")
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / "calendar.toml").write_text(
        "[[day]]\ndate = 2026-05-04\nkind = 'holiday'\n[[day]]\ndate = '2026-5-4x'\n"
        "kind = 'holiday'\n",
        encoding="utf-8",
    )
    bad = cli(tmp_path, "schedule", "check", LEGAL_AID_CONFIG_DIR=str(folder))
    assert bad.returncode == 2
    assert bad.stderr == (
        f"legal-aid-bot: {folder / 'calendar.toml'}: day 2.date: "
        "not a date (YYYY-MM-DD): '2026-5-4x'\n"
    )
    # The bot itself refuses to start on it, with the same line.
    run = cli(
        tmp_path, "run", LEGAL_AID_CONFIG_DIR=str(folder), LEGAL_AID_BOT_TOKEN="1:" + "a" * 35
    )
    assert run.returncode == 2
    assert run.stderr.endswith("not a date (YYYY-MM-DD): '2026-5-4x'\n")
