"""The daily report (issue 11 item 6): to every admin at [schedule] daily_report_at local time,
covering the time since the previous report; a report missed while down is sent once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.domain.figures import Period
from bot.domain.models import Role
from bot.services.daily_report import DailyReport
from bot.services.due import DueRunner
from bot.settings import ConfigError, Settings
from bot.storage.staff import StaffRepository
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner, FakeClock, make_settings
from tests.oversight_seed import SEED, seed
from tests.telegram.test_oversight import LABELS, Expected

TITLE = "每日报告"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, LEGAL_AID_SCHEDULE_DAILY_REPORT_AT="08:00")


@pytest.fixture
def clock() -> FakeClock:
    """The bot starts 48 h before the seed's time (2026-02-28 09:00 in Shanghai)."""
    return FakeClock(FakeClock().moment - timedelta(hours=48))


def due(bot: BotRunner) -> DueRunner:
    """The due-work runner, to be driven by hand at chosen times.

    The due-work job (planned from the clock, tested in test_schedule.py) would also run it as
    soon as the clock jumps past a report time; these tests pause it, so that every run is
    theirs.
    """
    assert bot.app.job_queue is not None
    bot.app.job_queue.scheduler.pause()
    runner: DueRunner = bot.app.bot_data["due"]
    return runner


def reports(user: FakeUser) -> list[str]:
    return [m.plain for m in user.inbox if TITLE in m.plain]


async def invited_admin(bot: BotRunner, api: FakeBotAPI) -> FakeUser:
    people = StaffRepository(bot.db, bot.clock)
    await people.create_invite("inv-admin-2", Role.ADMIN, 9000, bot.clock.now() + timedelta(1))
    staff = await people.redeem_invite(
        "inv-admin-2",
        9100,
        bot.clock.now(),
        display_name="周主任",
        title="主任",
        district=None,
        specialties=(),
    )
    assert staff is not None
    person = api.user(9100, first_name="周", language_code="en")
    await person.send("/help")  # the bot learns their client's language
    return person


async def test_the_report_goes_to_every_admin_at_its_time_with_the_figures_since_the_last(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    seed_now = bot.clock.now() + timedelta(hours=48)  # 2026-03-02 09:00 in Shanghai
    second = await invited_admin(bot, api)
    # The bot started 48 h before: its first run only marked the start.
    assert await due(bot).run_due(bot.clock.now()) == 0
    start = bot.clock.now()
    bot.clock.moment = seed_now
    seeded = await seed(bot.db, bot.clock)
    # Two report times (08:00 on 1 and 2 March) passed since: one report, due since the latest.
    missed = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert await due(bot).next_due(seed_now) == missed
    assert await due(bot).run_due(seed_now) == 1
    assert await due(bot).run_due(seed_now) == 0  # done: a second wake does nothing
    await bot.drained()
    assert len(reports(admin)) == 1
    text = reports(admin)[0]
    assert "2026-02-28 09:00 至 2026-03-02 09:00" in text
    expected = Expected(Period(start, seed_now), seeded.now)
    opened, answered, resolved, closed = expected.counts()
    assert f"新增 {opened} · 首次答复 {answered} · 解决 {resolved} · 结束 {closed}" in text
    assert opened >= 5  # the seed's last two days are in it
    for category, (o, a, r, c) in expected.by("category").items():
        assert f"· {LABELS[category]}：{o}/{a}/{r}/{c}\n" in text + "\n"
    late = expected.overdue(seeded)
    assert f"现在逾期未答复：{len(late)} 件" in text
    for number, assignee in late:
        line = next(line for line in text.splitlines() if line.startswith(f"· {number}"))
        assert line.endswith(assignee or "未分配")
    assert "停工期间工资怎么发？（3 次）" in text
    # The invited admin gets it too, in their own language.
    english = [m.plain for m in second.inbox if "Daily report" in m.plain]
    assert len(english) == 1
    assert f"opened {opened} · first answered {answered}" in english[0]
    # The next one at 08:00 tomorrow, not a minute before, covering the time since this one.
    slot = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert await due(bot).next_due(seed_now) == slot
    assert [u.at for u in await due(bot).upcoming(seed_now)] == [slot]
    assert await due(bot).run_due(slot - timedelta(minutes=1)) == 0
    bot.clock.moment = slot
    assert await due(bot).run_due(slot) == 1
    await bot.drained()
    assert "2026-03-02 09:00 至 2026-03-03 08:00" in reports(admin)[1]
    # Overdue at this report's time: one more case's deadline passed meanwhile.
    later = [
        c for c in SEED
        if c.status in ("open", "accepted") and c.first_response is None and c.created + c.sla < 23
    ]  # fmt: skip
    assert len(later) == len(late) + 1
    assert f"现在逾期未答复：{len(later)} 件" in reports(admin)[1]


async def test_a_report_missed_while_the_bot_was_down_is_sent_once_covering_the_gap(
    bot: BotRunner, admin: FakeUser
) -> None:
    assert await due(bot).run_due(bot.clock.now()) == 0  # 2026-02-28 09:00 local: the start
    bot.clock.moment = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert await due(bot).run_due(bot.clock.now()) == 1
    await bot.drained()
    await bot.crash()
    bot.clock.moment = datetime(2026, 3, 6, 2, 30, tzinfo=UTC)  # three slots missed
    await bot.start()
    # The due-work job does what fell due while the bot was down as it starts: one report.
    async with asyncio.timeout(10):
        while len(reports(admin)) < 2:
            await bot.drained()
            await asyncio.sleep(0.02)
    assert await due(bot).run_due(bot.clock.now()) == 0
    await bot.drained()
    sent = reports(admin)
    assert len(sent) == 2
    assert "2026-03-03 08:00 至 2026-03-06 10:30" in sent[1]
    bot.clock.moment = datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
    assert await due(bot).run_due(bot.clock.now()) == 1
    await bot.drained()
    assert "2026-03-06 10:30 至 2026-03-07 08:00" in reports(admin)[2]
    rows = await bot.db.fetchall("SELECT due_at FROM daily_reports WHERE due_at IS NOT NULL")
    assert len(rows) == 3


async def test_report_times_follow_daylight_saving_time() -> None:
    report = DailyReport(None, None, (), time(8, 0), "America/New_York")  # type: ignore[arg-type]
    before = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # EST, UTC-5
    assert report.next_slot(before) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # EDT, UTC-4
    assert report.last_slot(before) == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    autumn = datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert report.next_slot(autumn) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


async def test_an_empty_time_turns_the_report_off_and_a_bad_one_stops_start_up(
    tmp_path: Path,
) -> None:
    off = make_settings(tmp_path, LEGAL_AID_SCHEDULE_DAILY_REPORT_AT="")
    assert off.schedule.daily_report_at == ""
    report = DailyReport(None, None, (), None, "Asia/Shanghai")  # type: ignore[arg-type]
    now = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert await report.run_due(now) == 0
    assert await report.next_due(now) is None
    assert list(await report.upcoming(now)) == []
    with pytest.raises(ConfigError, match=r"schedule\.daily_report_at"):
        make_settings(tmp_path, LEGAL_AID_SCHEDULE_DAILY_REPORT_AT="8 am")
    with pytest.raises(ConfigError, match=r"schedule\.daily_report_at"):
        make_settings(tmp_path, LEGAL_AID_SCHEDULE_DAILY_REPORT_AT="25:00")
