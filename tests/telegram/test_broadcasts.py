"""Broadcasts (PRODUCT §5.3) through the real Application and the fake Bot API, limits on."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import ADMIN_ID, BotRunner
from tests.telegram.bulk_seed import district_of, limited, seed_owners
from tests.telegram.people import onboard, open_case, registered_owner, wait

MARK = "复工复产政策说明会"


def got(owner: FakeUser, mark: str = MARK) -> int:
    return sum(mark in m.plain for m in owner.inbox)


async def compose(admin: FakeUser, text: str = MARK, *, districts: tuple[str, ...] = ()) -> None:
    await admin.send("/broadcast")
    await admin.send(text)
    for district in districts:
        await admin.press(district)
    await admin.press("下一步：预览 ➡️")


async def progress_until_done(bot: BotRunner, within: float = 60.0) -> None:
    """Run the bulk work as its jobs would, moving the clock, until the report is queued."""
    deadline = time.monotonic() + within
    services = bot.app.bot_data["services"]
    while await services.bulk.live():
        assert time.monotonic() < deadline, "the broadcast did not finish"
        bot.clock.advance(seconds=6)
        await bot.app.bot_data["due"].run_due(bot.clock.now())
        await asyncio.sleep(1.0)  # real time for the sends: Telegram's limits are real time
    await bot.drained()


async def button_shown(bot: BotRunner, user: FakeUser, label: str, within: float = 10) -> None:
    """Wait for a button to reach the user (a 429 hold falls due when the clock moves on)."""
    deadline = time.monotonic() + within
    while not any(label in str(m.reply_markup) for m in user.inbox):
        assert time.monotonic() < deadline, f"no {label!r} for {user.id}"
        bot.clock.advance(seconds=1)
        bot.app.bot_data["sender"].wake()
        await asyncio.sleep(0.1)


__all__ = ["limited"]  # the fixture, imported for pytest


async def test_broadcast_to_one_district_reaches_it_once_and_nobody_else(
    limited: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(limited, api, 300)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin, districts=("田家庵区",))
    preview = [m.plain for m in admin.inbox[-2:]]
    assert MARK in preview[0]  # the message itself, as recipients see it
    assert "100" in preview[1]  # one district of three: 100 owners
    owners[0].block()  # in the audience: 403 once
    await admin.press("📤 立即发送")
    await progress_until_done(limited)

    audience = [o for o in owners if district_of(o) == "tianjiaan"]
    assert len(audience) == 100
    assert Counter(got(o) for o in audience[1:]) == Counter({1: 99})
    assert all(got(o) == 0 for o in owners if o not in audience)
    assert got(owners[0]) == 0
    account = await limited.db.fetchone(
        "SELECT active FROM accounts WHERE telegram_id = ?", (owners[0].id,)
    )
    assert account is not None
    assert account[0] == 0
    progress = [m for m in admin.inbox if "群发" in m.plain and "已发送" in m.plain]
    assert len(progress) == 1  # one progress message, edited in place
    assert "群发已完成" in progress[0].plain
    assert "已发送：99" in progress[0].plain
    assert "已屏蔽机器人：1" in progress[0].plain
    assert any("送达报告" in m.plain and "已送达：99" in m.plain for m in admin.inbox)
    audit = await limited.db.fetchall(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'broadcast%'"
    )
    assert [(r[0], r[1]) for r in audit] == [("broadcast", ADMIN_ID)]
    # The admin's chat is paced by Telegram's 1/s per chat (the test presses faster than a
    # person); the 100 recipients' sends stayed within the overall 30/s.
    assert not [r for r in api.refusals if r.status == 429 and r.chat_id != ADMIN_ID]


async def test_case_relays_during_a_broadcast_arrive_within_seconds(
    limited: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID, first_name="Admin")
    api.rate_limits_enabled = False  # setting up, faster than people type
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    owner = await registered_owner(api, 1001, code_number(1))
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    await limited.drained()
    api.rate_limits_enabled = True
    await seed_owners(limited, api, 300)
    await compose(admin)
    await admin.press("📤 立即发送")
    await asyncio.sleep(2.0)  # the broadcast is at full speed: 300 at 30/s take 10 s
    delays = []
    for n in range(3):
        started = time.monotonic()
        await liaison.send(f"/reply {number} 第{n}条答复")
        await wait(api, owner, f"第{n}条答复", within=5)
        delays.append(time.monotonic() - started)
    pending = (await limited.outbox.bulk_progress(1)).pending
    assert pending > 50, pending  # the relays did not wait for the broadcast to end
    assert max(delays) < 3.0, delays
    await progress_until_done(limited)
    assert got(owner) == 1  # the registered owner is in "all owners" too
    # The due-work job woke for the broadcast's edits, not in a loop for its whole length.
    assert limited.app.bot_data["due_scheduler"].runs < 60


async def test_429_retry_after_is_obeyed_and_nobody_gets_it_twice(
    limited: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(limited, api, 60)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin)
    api.fail_next("sendMessage", status=429, count=5)
    await admin.press("📤 立即发送")
    await progress_until_done(limited)
    refused = [r for r in api.refusals if r.status == 429 and r.chat_id != ADMIN_ID]
    assert len(refused) >= 4  # (one of the five may hit the admin's own messages)
    assert all(got(o) == 1 for o in owners)
    held = await limited.db.fetchall(
        "SELECT chat_id FROM outbox WHERE last_error LIKE '429%' AND bulk_id = 1"
    )
    assert len(held) == len(refused)  # each 429 held its chat, and was retried once


async def test_a_chat_that_is_gone_is_marked_and_skipped_until_its_owner_writes(
    limited: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(limited, api, 5)
    del api.chats[owners[1].id]  # the account was deleted: 400 chat not found
    owners[2].block()
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin)
    await admin.press("📤 立即发送")
    await progress_until_done(limited)
    assert any("已屏蔽机器人：2" in m.plain for m in admin.inbox)
    await owners[2].send("/help")  # writing again makes the account active again
    await compose(admin, "第二次通知")
    assert "4" in admin.inbox[-1].plain  # the count: four reachable owners (one is gone)
    await admin.press("📤 立即发送")
    await progress_until_done(limited)
    assert got(owners[2], "第二次通知") == 1
    assert got(owners[1], "第二次通知") == 0
    gone = [r for r in api.refusals if r.chat_id == owners[1].id]
    assert len(gone) == 1  # tried once, then skipped


async def test_muted_owners_are_skipped_unless_the_broadcast_is_urgent(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(bot, api, 6)
    await owners[0].send("/notices")
    await owners[0].press("🔕 关闭通知")
    assert "通知已关闭" in owners[0].inbox[-1].plain
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin, "普通通知")
    assert "5" in admin.inbox[-1].plain
    await admin.press("📤 立即发送")
    await progress_until_done(bot)
    assert got(owners[0], "普通通知") == 0
    assert all(got(o, "普通通知") == 1 for o in owners[1:])

    await admin.send("/broadcast")
    await admin.send("紧急通知内容")
    await admin.press("🔴 紧急（已关闭通知的也发送）")
    await admin.press("下一步：预览 ➡️")
    assert "6" in admin.inbox[-1].plain
    await admin.press("📤 立即发送")
    await progress_until_done(bot)
    assert all(got(o, "紧急通知内容") == 1 for o in owners)
    await owners[0].send("/notices")
    await owners[0].press("🔔 重新接收通知")
    row = await bot.db.fetchone("SELECT muted FROM accounts WHERE telegram_id = ?", (owners[0].id,))
    assert row is not None
    assert row[0] == 0


async def test_stop_ends_a_running_broadcast(limited: BotRunner, api: FakeBotAPI) -> None:
    owners = await seed_owners(limited, api, 200)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin)
    await admin.press("📤 立即发送")
    await asyncio.sleep(2.0)
    await button_shown(limited, admin, "停止本次群发")
    await admin.press("✖️ 停止本次群发")  # on the progress message
    assert any("已停止" in m.plain for m in admin.inbox[-3:])
    await limited.drained()
    delivered = sum(got(o) for o in owners)
    assert 10 < delivered < 150, delivered
    await asyncio.sleep(1.0)
    assert sum(got(o) for o in owners) == delivered  # nothing more goes out
    assert not await limited.app.bot_data["services"].bulk.live()
    assert any("送达报告" in m.plain and "已中途停止" in m.plain for m in admin.inbox)
    audit = await limited.db.fetchall("SELECT action FROM audit_log WHERE action LIKE 'broad%'")
    assert [r[0] for r in audit] == ["broadcast", "broadcast_cancel"]


async def test_a_scheduled_broadcast_goes_out_at_its_time_once(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(bot, api, 5)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin, "定时通知")
    await admin.press("🕒 定时发送")
    await admin.send("明天")
    assert "无法识别" in admin.inbox[-1].plain
    await admin.send("2026-03-01 09:00")
    assert "已经过去" in admin.inbox[-1].plain
    await admin.send("2026-03-02 18:30")  # local time, Asia/Shanghai: 10:30 UTC
    assert "已定于" in admin.inbox[-1].plain
    due = bot.app.bot_data["due"]
    await admin.send("/broadcast")
    assert "定于" in admin.inbox[-2].plain  # the list shows it, with a Stop button
    await admin.send("/cancel")
    upcoming = await due.upcoming(bot.clock.now())
    assert [(u.kind, u.at.isoformat()) for u in upcoming if u.kind == "broadcast"] == [
        ("broadcast", "2026-03-02T10:30:00+00:00")
    ]
    bot.clock.advance(hours=9, minutes=29)  # 10:29 UTC
    await due.run_due(bot.clock.now())
    await bot.drained()
    assert all(got(o, "定时通知") == 0 for o in owners)
    bot.clock.advance(minutes=1)
    await progress_until_done(bot)
    assert all(got(o, "定时通知") == 1 for o in owners)
    await due.run_due(bot.clock.now())
    await bot.drained()
    assert all(got(o, "定时通知") == 1 for o in owners)


async def test_a_broadcast_scheduled_while_the_bot_was_down_goes_out_once_at_start(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(bot, api, 5)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await compose(admin, "停机期间的通知")
    await admin.press("🕒 定时发送")
    await admin.send("2026-03-02 10:00")  # 02:00 UTC, an hour from now
    await bot.crash()
    bot.clock.advance(hours=5)
    await bot.start()  # the start-up run of the due work sends it, once
    await progress_until_done(bot)
    assert all(got(o, "停机期间的通知") == 1 for o in owners)
    await bot.restart()
    await asyncio.sleep(0.5)
    await bot.app.bot_data["due"].run_due(bot.clock.now())
    await bot.drained()
    assert all(got(o, "停机期间的通知") == 1 for o in owners)


async def test_only_admins_and_every_button_rechecks_the_role(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    owners = await seed_owners(bot, api, 3)
    await owners[0].send("/broadcast")
    assert "不可用" in owners[0].inbox[-1].plain
    chief = await onboard(api, admin, 7500, "admin", "刘主任", title="主任")
    await compose(chief, "不该发出的通知")
    await admin.send("/staff")
    await admin.press("停用 刘主任")
    await chief.press("📤 立即发送")
    await bot.drained()
    assert all(got(o, "不该发出的通知") == 0 for o in owners)
    row = await bot.db.fetchone("SELECT COUNT(*) FROM bulk_sends")
    assert row is not None
    assert row[0] == 0


async def test_a_photo_broadcast_is_a_copy_with_its_caption_and_the_dialog_survives_a_restart(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    owners = await seed_owners(bot, api, 4)
    admin = api.user(ADMIN_ID, first_name="Admin")
    await admin.send("/broadcast")
    await admin.send_photo("复工海报 <b>请张贴</b>")
    assert "发给谁" in admin.inbox[-1].plain
    await bot.restart()  # the dialog resumes at the audience step
    await admin.press("下一步：预览 ➡️")
    preview = admin.inbox[-2]
    assert preview.kind == "photo"
    assert "复工海报 <b>请张贴</b>" in preview.plain  # escaped, shown as typed
    await admin.press("📤 立即发送")
    await progress_until_done(bot)
    for owner in owners:
        photos = [m for m in owner.inbox if m.kind == "photo"]
        assert len(photos) == 1
        assert "复工海报 <b>请张贴</b>" in photos[0].plain
        assert "通知" in photos[0].plain


async def test_an_empty_or_overlong_broadcast_is_refused_and_asked_again(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID, first_name="Admin")
    await admin.send("/broadcast")
    await admin.send("长" * 3501)
    assert "最多 3500 字" in admin.inbox[-1].plain
    await admin.send_photo("说" * 901)
    assert "最多 900 字" in admin.inbox[-1].plain
    await admin.send("/cancel")
    assert "群发已取消，没有发出任何消息" in admin.inbox[-1].plain
    row = await bot.db.fetchone("SELECT COUNT(*) FROM bulk_sends")
    assert row is not None
    assert row[0] == 0
