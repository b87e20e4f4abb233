"""Recurring notices (PRODUCT §6, issue 11 item 4): at their cron time, to exactly their
audience, once per occurrence, also after downtime; a bad notices.toml is one line."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.notices import check_notices
from bot.settings import ConfigError
from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import ADMIN_ID, TOKEN, BotRunner, FakeClock, make_settings
from tests.telegram.bulk_seed import district_of, seed_owners
from tests.telegram.people import onboard, open_case, registered_owner, wait
from tests.test_cli import cli

SAFETY = "每周安全生产自查清单"
NOTICES = """
[[notice]]
id = "daily-safety"
cron = "30 9 * * *"
template = "safety_weekly"
audience = { districts = ["tianjiaan"] }
"""


def notices_file(tmp_path: Path, text: str = NOTICES) -> str:
    path = tmp_path / "notices.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
async def noticed(api: FakeBotAPI, tmp_path: Path, clock: FakeClock) -> BotRunner:
    settings = make_settings(tmp_path, LEGAL_AID_DATA_NOTICES=notices_file(tmp_path))
    runner = BotRunner(api, settings, clock)
    await runner.start()
    yield runner  # type: ignore[misc]
    await runner.stop()


def got(owner: FakeUser) -> int:
    return sum(SAFETY in m.plain for m in owner.inbox)


async def run_due(bot: BotRunner) -> None:
    await bot.app.bot_data["due"].run_due(bot.clock.now())
    await bot.drained()


async def test_a_notice_goes_at_its_cron_time_to_its_audience_and_muted_owners_are_skipped(
    noticed: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(noticed, api, 30)
    audience = [o for o in owners if district_of(o) == "tianjiaan"]
    await audience[0].send("/notices")
    await audience[0].press("🔕 关闭通知")
    upcoming = await noticed.app.bot_data["due"].upcoming(noticed.clock.now())
    # 09:30 in Asia/Shanghai is 01:30 UTC; the clock stands at 01:00 UTC.
    assert [(u.kind, u.subject, u.at.isoformat()) for u in upcoming] == [
        ("notice", "notice daily-safety", "2026-03-02T01:30:00+00:00")
    ]
    noticed.clock.advance(minutes=29)
    await run_due(noticed)
    assert all(got(o) == 0 for o in owners)
    noticed.clock.advance(minutes=1)
    await run_due(noticed)
    assert [got(o) for o in audience] == [0] + [1] * (len(audience) - 1)
    assert all(got(o) == 0 for o in owners if o not in audience)
    noticed.clock.advance(minutes=10)
    await run_due(noticed)  # the same occurrence is not sent again
    assert sum(got(o) for o in owners) == len(audience) - 1
    noticed.clock.advance(days=1)
    await run_due(noticed)
    assert sum(got(o) for o in owners) == 2 * (len(audience) - 1)


async def test_occurrences_missed_while_down_are_sent_once_at_start(
    noticed: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(noticed, api, 6)
    audience = [o for o in owners if district_of(o) == "tianjiaan"]
    await noticed.crash()
    noticed.clock.advance(days=3)  # three occurrences pass while the bot is down
    await noticed.start()
    await until_sent(noticed, audience)  # the start-up run of the due work
    await run_due(noticed)
    await noticed.restart()
    await run_due(noticed)
    assert [got(o) for o in audience] == [1] * len(audience)
    rows = await noticed.db.fetchall("SELECT occurrence FROM bulk_sends")
    assert [r[0] for r in rows] == ["2026-03-04T01:30:00.000+00:00"]  # the latest one


async def until_sent(bot: BotRunner, owners: list[FakeUser], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not all(got(o) for o in owners):
        assert time.monotonic() < deadline, [got(o) for o in owners]
        await asyncio.sleep(0.05)


async def test_case_relays_are_not_delayed_behind_a_notice(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock
) -> None:
    everyone = NOTICES.replace('{ districts = ["tianjiaan"] }', '"all"')
    settings = make_settings(tmp_path, LEGAL_AID_DATA_NOTICES=notices_file(tmp_path, everyone))
    bot = BotRunner(api, settings, clock)
    await bot.start()
    try:
        admin = api.user(ADMIN_ID, first_name="Admin")
        liaison = await onboard(api, admin, 7001, "liaison", "张警官")
        owner = await registered_owner(api, 1001, code_number(1))
        number = await open_case(api, owner, "治安业务", "门口有人拦车")
        await bot.drained()
        await seed_owners(bot, api, 300)
        api.rate_limits_enabled = True
        clock.advance(minutes=30)
        await bot.app.bot_data["due"].run_due(clock.now())
        await asyncio.sleep(2.0)
        started = time.monotonic()
        await liaison.send(f"/reply {number} 请带上营业执照")
        await wait(api, owner, "请带上营业执照", within=5)
        assert time.monotonic() - started < 3.0
        assert (await bot.outbox.bulk_progress(1)).pending > 50  # the notice is still going
    finally:
        await bot.stop()


BAD = {
    "malformed cron": ('cron = "30 9 * * *"', 'cron = "61 9 * * *"', "notice 'daily-safety'.cron"),
    "unknown template": ('"safety_weekly"', '"no_such"', "unknown template"),
    "unknown district": ('"tianjiaan"', '"atlantis"', "unknown district 'atlantis'"),
    "unknown audience": ('{ districts = ["tianjiaan"] }', '"some"', "unknown audience"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_notice_is_one_line_naming_file_entry_and_problem(tmp_path: Path, case: str) -> None:
    old, new, problem = BAD[case]
    path = notices_file(tmp_path, NOTICES.replace(old, new))
    settings = make_settings(tmp_path, LEGAL_AID_DATA_NOTICES=path)
    with pytest.raises(ConfigError) as caught:
        check_notices(settings)
    message = str(caught.value)
    assert message.startswith(f"{path}: notice 'daily-safety'")
    assert problem in message
    assert "\n" not in message


def test_start_up_stops_on_a_bad_notice_with_one_line(tmp_path: Path) -> None:
    path = notices_file(tmp_path, NOTICES.replace('"30 9 * * *"', '"30 9 * *"'))
    result = cli(
        tmp_path,
        "run",
        LEGAL_AID_BOT_TOKEN=TOKEN,
        LEGAL_AID_TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",  # never reached
        LEGAL_AID_DATA_NOTICES=path,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{path}: notice 'daily-safety'.cron: malformed cron" in result.stderr
