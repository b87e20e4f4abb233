"""Case timers end to end (PRODUCT §6): SLA reminders, escalation, follow-ups, auto-close.

The real Application against the fake Bot API; time is the FakeClock, moved, never slept.
`bot.run_due()` does what the due-work job does at the clock's time; the tests that are about
the job itself (restart, a blocked loop) go through the real JobQueue.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.schedule import Upcoming
from bot.services.due import DueRunner
from bot.settings import Settings
from bot.telegram.due_jobs import IDLE_RETRY_SECONDS, DueScheduler
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import CONFIG_DIR, BotRunner, FakeClock, make_settings
from tests.telegram.people import onboard, open_case, wait
from tests.telegram.steps import last_text, register

REMINDER = "已到首次答复期限"
ESCALATION = "已超过两倍答复期限"


def count(user: FakeUser, *texts: str) -> int:
    """How many messages the user got that contain every text."""
    return sum(all(t in m.plain for t in texts) for m in user.inbox)


async def timers(bot: BotRunner, number: str) -> dict[str, tuple[str, str, str | None]]:
    rows = await bot.db.fetchall(
        "SELECT t.kind, t.due_at, t.state, t.outcome FROM case_timers t "
        "JOIN cases c ON c.id = t.case_id WHERE c.number = ?",
        (number,),
    )
    return {r["kind"]: (r["due_at"], r["state"], r["outcome"]) for r in rows}


async def urgent_case(
    api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> tuple[FakeUser, str, datetime]:
    """A liaison, and the owner's urgent case (two hours to a first reply) assigned to them:
    (liaison, case number, when it was opened)."""
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    opened = clock.now()
    number = await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    return liaison, number, opened


async def test_urgent_case_reminded_at_its_deadline_escalated_at_twice_it(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, opened = await urgent_case(api, admin, owner, clock)  # 2 h
    await wait(api, liaison, number)
    clock.moment = opened + timedelta(hours=2) - timedelta(seconds=1)
    assert await bot.run_due() == 0
    assert count(liaison, REMINDER) == 0
    clock.moment = opened + timedelta(hours=2)
    assert await bot.run_due() == 1
    reminder = await wait(api, liaison, REMINDER)
    assert number in reminder.plain
    assert reminder.button_labels == ["💬 回复"]
    lane = await bot.db.fetchone(
        "SELECT lane FROM outbox WHERE json_extract(payload, '$.template') = 'cases/sla_reminder'"
    )
    assert lane is not None
    assert lane[0] == 1  # the bulk lane: behind relayed conversations
    assert count(admin, ESCALATION) == 0
    clock.moment = opened + timedelta(hours=4)
    assert await bot.run_due() == 1
    escalation = await wait(api, admin, ESCALATION)
    assert number in escalation.plain
    assert "张警官" in escalation.plain
    # The button opens the transfer choice.
    await admin.press("↪️ 转交", escalation)
    assert "张警官" not in str(admin.last.button_labels if admin.last else "")
    assert number in last_text(admin)
    # Nothing fires twice, however often the runner wakes.
    clock.advance(days=3)
    assert await bot.run_due() == 0
    assert count(liaison, REMINDER) == 1
    assert count(admin, ESCALATION) == 1


async def test_a_first_reply_cancels_the_reminder_and_the_escalation(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, _ = await urgent_case(api, admin, owner, clock)
    card = await wait(api, liaison, number)
    clock.advance(minutes=30)
    await liaison.reply(card, "马上到")
    await wait(api, owner, "马上到")
    clock.advance(hours=5)
    assert await bot.run_due() == 0
    assert count(liaison, REMINDER) == 0
    assert count(admin, ESCALATION) == 0
    state = await timers(bot, number)
    assert state["reminder"][1] == state["escalation"][1] == "cancelled"


async def test_an_away_assignee_is_not_reminded_but_the_case_escalates(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, opened = await urgent_case(api, admin, owner, clock)
    await wait(api, liaison, number)
    await liaison.send("/away")
    clock.moment = opened + timedelta(hours=2)
    assert await bot.run_due() == 1  # done: the assignee is away, so nobody is reminded
    assert count(liaison, REMINDER) == 0
    assert (await timers(bot, number))["reminder"][1:] == ("done", "away")
    clock.moment = opened + timedelta(hours=4)
    await bot.run_due()
    escalation = await wait(api, admin, ESCALATION)
    assert "张警官（民警）（暂离）" in escalation.plain


async def test_an_unassigned_case_escalates_too(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    await register(owner)  # no staff at all: the case waits unassigned
    opened = clock.now()
    number = await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    clock.moment = opened + timedelta(hours=4)
    assert await bot.run_due() == 2
    escalation = await wait(api, admin, ESCALATION)
    assert number in escalation.plain
    assert "负责人：暂无" in escalation.plain
    assert (await timers(bot, number))["reminder"][1:] == ("done", "unassigned")


async def test_a_transfer_gives_the_new_assignee_the_full_time_again(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    a = await onboard(api, admin, 7301, "counsel", "甲律师", title="律师", specialties=("合同",))
    b = await onboard(api, admin, 7302, "counsel", "乙律师", title="律师", specialties=("合同",))
    await register(owner)
    opened = clock.now()
    number = await open_case(api, owner, "合同履行与不可抗力", "供应商要求解除合同", urgent=True)
    card = await wait(api, a, number)  # urgent contracts: 4 calendar hours
    clock.moment = opened + timedelta(hours=3)
    await a.press("↪️ 转交", card)
    await a.press("乙律师（律师）")
    await a.send("我在休假，转给乙律师")
    moved = await wait(api, b, f"转交给您的事项 {number}")
    transferred = clock.now()
    assert (transferred + timedelta(hours=4)).astimezone(UTC).strftime("%H:%M") == "08:00"
    assert "2026-03-02 16:00" in moved.plain  # the new deadline, Shanghai time
    clock.moment = opened + timedelta(hours=4)  # the old deadline: nobody is reminded
    assert await bot.run_due() == 0
    clock.moment = transferred + timedelta(hours=4)
    assert await bot.run_due() == 1
    await wait(api, b, REMINDER)
    assert count(a, REMINDER) == 0
    clock.moment = transferred + timedelta(hours=8)
    assert await bot.run_due() == 1
    await wait(api, admin, ESCALATION)


async def test_bot_down_from_one_to_ten_hours_reminds_and_escalates_once_after_restart(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, opened = await urgent_case(api, admin, owner, clock)
    await wait(api, liaison, number)
    clock.moment = opened + timedelta(hours=1)
    await bot.crash()
    clock.moment = opened + timedelta(hours=10)  # 5 reminder times and more passed meanwhile
    await bot.start()  # the due-work job is planned from the rows, at once: no test call
    await wait(api, liaison, REMINDER)
    await wait(api, admin, ESCALATION)
    await bot.drained()
    for _ in range(3):
        await bot.run_due()
        clock.advance(minutes=30)
    assert count(liaison, REMINDER, number) == 1
    assert count(admin, ESCALATION, number) == 1


async def test_killed_between_marking_and_sending_still_sends_exactly_once(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, opened = await urgent_case(api, admin, owner, clock)
    await wait(api, liaison, number)
    await bot.drained()
    api.fail_next("sendMessage", 500)  # its first try fails; its retry waits on the clock
    clock.moment = opened + timedelta(hours=2)
    assert await bot.app.bot_data["due"].run_due(clock.now()) == 1  # marked done + outbox row
    assert (await timers(bot, number))["reminder"][1] == "done"
    await bot.crash()  # before the reminder could be sent
    assert count(liaison, REMINDER) == 0
    await bot.start()
    await bot.drained()
    await wait(api, liaison, REMINDER)
    await bot.run_due()
    assert count(liaison, REMINDER) == 1


async def test_a_reminder_due_while_the_event_loop_is_blocked_is_still_sent(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison, number, opened = await urgent_case(api, admin, owner, clock)
    await wait(api, liaison, number)
    clock.moment = opened + timedelta(hours=2) - timedelta(seconds=0.5)
    scheduler = bot.app.bot_data["due_scheduler"]
    scheduler.wake()  # re-plans: the job is due in half a second of real time
    async with asyncio.timeout(5):
        while True:
            if scheduler.planned_at == opened + timedelta(hours=2):
                break
            await asyncio.sleep(0.01)
    time.sleep(3)  # the event loop is blocked when the job falls due  # noqa: ASYNC251
    clock.advance(seconds=3)
    reminder = await wait(api, liaison, REMINDER, within=10)
    assert number in reminder.plain


@pytest.fixture
def calendar_settings(tmp_path: Path) -> Settings:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / "calendar.toml").write_text(
        "[[day]]\ndate = 2026-05-11\nkind = 'holiday'\nname = 'local'\n", encoding="utf-8"
    )
    return make_settings(tmp_path, config_dir=folder)


async def test_working_hours_across_a_night_a_weekend_a_holiday_and_a_makeup_saturday(
    api: FakeBotAPI, calendar_settings: Settings, admin: FakeUser, owner: FakeUser
) -> None:
    # Friday 8 May 2026, 16:30 in Shanghai; Saturday 9 May is a make-up working day (调休),
    # Monday 11 May a holiday of calendar.toml. Normal public order: 24 working hours.
    clock = FakeClock(datetime(2026, 5, 8, 8, 30, tzinfo=UTC))
    bot = BotRunner(api, calendar_settings, clock)
    await bot.start()
    try:
        liaison = await onboard(api, admin, 7001, "liaison", "张警官")
        await register(owner)
        clock.moment = datetime(2026, 5, 8, 8, 30, tzinfo=UTC)
        number = await open_case(api, owner, "治安业务", "营业执照年检")
        card = await wait(api, liaison, number)
        assert "首次答复期限：2026-05-14 11:00" in card.plain
        state = await timers(bot, number)
        assert state["reminder"][0] == "2026-05-14T03:00:00.000+00:00"
        assert state["escalation"][0] == "2026-05-19T07:30:00.000+00:00"  # 15:30 local
        clock.moment = datetime(2026, 5, 14, 2, 59, tzinfo=UTC)
        assert await bot.run_due() == 0
        clock.moment = datetime(2026, 5, 14, 3, 0, tzinfo=UTC)
        assert await bot.run_due() == 1
        await wait(api, liaison, REMINDER)
    finally:
        await bot.stop()


async def test_due_times_in_a_zone_with_daylight_saving_time(
    api: FakeBotAPI, tmp_path: Path, admin: FakeUser, owner: FakeUser
) -> None:
    settings = make_settings(tmp_path, LEGAL_AID_LOCALE_TIMEZONE="Europe/Berlin")
    # Friday 27 March 2026, 16:30 in Berlin (CET); clocks go forward on Sunday 29 March.
    clock = FakeClock(datetime(2026, 3, 27, 15, 30, tzinfo=UTC))
    bot = BotRunner(api, settings, clock)
    await bot.start()
    try:
        liaison = await onboard(api, admin, 7001, "liaison", "张警官")
        await register(owner)
        number = await open_case(api, owner, "治安业务", "营业执照年检")  # 24 working hours
        card = await wait(api, liaison, number)
        assert "首次答复期限：2026-04-02 11:00" in card.plain  # CEST, 09:00 UTC
        assert (await timers(bot, number))["reminder"][0] == "2026-04-02T09:00:00.000+00:00"
        # Urgent, calendar hours: Sunday 01:30 CET + 2 hours that pass is 04:30 CEST.
        clock.moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
        urgent = await open_case(api, owner, "治安业务", "夜间有人闹事", urgent=True)
        card = await wait(api, liaison, urgent)
        assert "首次答复期限：2026-03-29 04:30" in card.plain
        # Resolved on Sunday 01:30 CET, it closes itself 7 local days later: 01:30 CEST,
        # 167 hours that pass.
        await liaison.reply(card, "已处理")
        await liaison.press("🏁 已解决", card)
        autoclose = (await timers(bot, urgent))["autoclose"][0]
        assert autoclose == "2026-04-04T23:30:00.000+00:00"
    finally:
        await bot.stop()


async def test_resolved_case_closes_itself_after_autoclose_days_unless_reopened(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    first = await open_case(api, owner, "治安业务", "第一个问题：门口拦车")
    card = await wait(api, liaison, first)
    await liaison.reply(card, "已处理")
    await liaison.press("🏁 已解决", card)
    await wait(api, owner, "已经解决")
    second = await open_case(api, owner, "车驾管业务", "第二个问题：驾驶证到期")
    card2 = await wait(api, liaison, second)
    await liaison.reply(card2, "请带证件来")
    await liaison.press("🏁 已解决", card2)
    resolved2 = await wait(api, owner, "已经解决")
    assert second in resolved2.plain
    await owner.press("问题还没解决", resolved2)
    clock.advance(days=7)
    assert await bot.run_due() == 1  # the first closes; the second's auto-close was cancelled
    told = await wait(api, owner, "已自动结束")
    assert first in told.plain
    await wait(api, liaison, f"{first}：企业 7 天未确认解决")
    rows = await bot.db.fetchall("SELECT number, status FROM cases ORDER BY id")
    assert [tuple(r) for r in rows] == [(first, "closed"), (second, "accepted")]
    assert count(owner, "已自动结束") == 1
    assert (await timers(bot, second))["autoclose"][1] == "cancelled"
    clock.advance(days=30)
    await bot.run_due()
    assert count(owner, "已自动结束") == 1


async def test_an_unanswered_staff_message_is_followed_up_once(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, liaison, number)
    await liaison.reply(card, "请提供车牌号")
    await wait(api, owner, "请提供车牌号")
    clock.advance(days=3)
    assert await bot.run_due() == 1
    follow = await wait(api, owner, "还在等您回复")
    assert number in follow.plain
    clock.advance(days=10)
    await bot.run_due()
    assert count(owner, "还在等您回复") == 1
    # Answered in time: no follow-up.
    await liaison.reply(card, "还有照片吗？")
    relayed = await wait(api, owner, "还有照片吗")
    clock.advance(days=1)
    await owner.reply(relayed, "稍后发")
    clock.advance(days=5)
    await bot.run_due()
    assert count(owner, "还在等您回复") == 1


async def test_start_up_warns_once_per_year_no_holiday_schedule_covers(
    api: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(datetime(2031, 12, 30, 1, 0, tzinfo=UTC))
    bot = BotRunner(api, settings, clock)
    await bot.start()
    try:
        await bot.run_due()
        clock.advance(days=3)  # into 2032
        bot.app.bot_data["due_scheduler"].wake()
        await bot.run_due()
        await bot.app.bot_data["due"].next_due(clock.now())
    finally:
        await bot.stop()
    warnings = [r.getMessage() for r in caplog.records if "No holiday schedule" in r.getMessage()]
    assert [w.split()[4] for w in warnings] == ["2031:", "2032:"]


class _Broken:
    """Timed work whose item is always due and always fails (a message that cannot be built)."""

    async def run_due(self, now: datetime) -> int:
        raise RuntimeError("cannot build its message")

    async def upcoming(self, now: datetime) -> list[Upcoming]:
        return []

    async def next_due(self, now: datetime) -> datetime | None:
        return now - timedelta(minutes=1)


async def test_due_work_that_keeps_failing_is_tried_again_after_a_pause_not_in_a_loop(
    bot: BotRunner, clock: FakeClock
) -> None:
    assert bot.app.job_queue is not None
    scheduler = DueScheduler(bot.app.job_queue, DueRunner([_Broken()]), clock)
    scheduler.start()
    await asyncio.sleep(1.0)
    assert 1 <= scheduler.runs <= 2  # without the pause: hundreds of runs in that second
    assert scheduler.planned_at is not None
    assert scheduler.planned_at >= clock.now() + timedelta(seconds=IDLE_RETRY_SECONDS - 1)
