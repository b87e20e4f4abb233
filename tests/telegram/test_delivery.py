"""Durable delivery (§10): faults, 429s, crashes and floods never lose or reorder a message."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import ADMIN_ID, BotRunner, FakeClock, make_settings
from tests.telegram.people import onboard, open_case, registered_owner, wait
from tests.telegram.steps import last_text

FAST = {
    "LEGAL_AID_OUTBOX_MESSAGES_PER_SECOND": "2000",
    "LEGAL_AID_OUTBOX_PER_CHAT_PER_SECOND": "1000",
    "LEGAL_AID_OUTBOX_CHAT_BURST": "50",
    "LEGAL_AID_TELEGRAM_MAX_MESSAGES_PER_SECOND": "0",
}


async def drained(bot: BotRunner, within: float = 60.0) -> None:
    """Wait until the outbox has nothing pending or in flight (the clock moves to holds)."""
    await bot.drained(within)


async def held(bot: BotRunner, within: float = 5.0) -> None:
    """Wait until the sender has tried a message, been refused, and holds it for a retry."""
    deadline = time.monotonic() + within
    while not await bot.db.fetchone(
        "SELECT 1 FROM outbox WHERE status = 'pending' AND last_error IS NOT NULL"
    ):
        assert time.monotonic() < deadline, "no message was tried and held"
        await asyncio.sleep(0.01)


@pytest.fixture
async def fast_bot(api: FakeBotAPI, tmp_path: Path, clock: FakeClock) -> BotRunner:
    runner = BotRunner(api, make_settings(tmp_path, **FAST), clock)
    await runner.start()
    yield runner  # type: ignore[misc]
    await runner.stop()


async def test_500_relays_arrive_in_order_through_5xx_and_429(
    fast_bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    owners = [await registered_owner(api, 100 + i, code_number(700 + i)) for i in range(10)]
    numbers = [
        await open_case(api, o, "治安业务", f"问题{i}需要协助") for i, o in enumerate(owners)
    ]
    await drained(fast_bot)
    api.set_fault_rate(server_error=0.2, lose_response=0.03, seed=7, methods=["sendMessage"])
    api.fail_next("sendMessage", status=429, count=5)
    for round_ in range(50):
        for number in numbers:
            await liaison.send(f"/reply {number} 第{round_:02d}条答复")
    await drained(fast_bot)
    api.set_fault_rate(server_error=0.0, lose_response=0.0)

    duplicates = 0
    for owner in owners:
        relayed = [re.search(r"第(\d\d)条答复", m.plain) for m in owner.inbox]
        seen = [int(m.group(1)) for m in relayed if m]
        firsts = list(dict.fromkeys(seen))
        assert firsts == list(range(50)), f"chat {owner.id}: {seen}"
        assert seen == sorted(seen)  # a duplicate can only follow its original at once
        duplicates += len(seen) - len(firsts)
    stats = await fast_bot.outbox.stats()
    assert stats.failed == 0
    assert duplicates <= stats.uncertain  # only sends whose answer was lost came twice
    # 500 relays (and a few confirmations) through 20% injected 5xx: the retries really happened.
    assert api.calls["sendMessage"] > 550


async def test_crash_with_pending_messages_then_restart_delivers_them(
    fast_bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    owner = await registered_owner(api, 100, code_number(800))
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    await drained(fast_bot)
    api.set_fault_rate(server_error=1.0, seed=1, methods=["sendMessage"])  # Telegram is down
    for i in range(5):
        await liaison.send(f"/reply {number} 停机前的答复{i}")
    await held(fast_bot)  # the first was refused; it, and the others behind it, wait
    stats = await fast_bot.outbox.stats()
    assert stats.pending + stats.sending >= 5
    await fast_bot.crash()
    api.set_fault_rate(server_error=0.0)  # Telegram is back while the bot is down
    fast_bot.clock.advance(minutes=5)  # and the bot stays down until every retry is due
    await fast_bot.start()
    for i in range(5):
        await wait(api, owner, f"停机前的答复{i}")
    await drained(fast_bot)
    texts = [m.plain for m in owner.inbox if "停机前的答复" in m.plain]
    assert [t[-1] for t in texts] == ["0", "1", "2", "3", "4"]


async def test_blocked_owner_is_marked_inactive_and_staff_told(
    fast_bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    owner = await registered_owner(api, 100, code_number(801))
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    owner.block()
    await liaison.send(f"/reply {number} 请问现在情况如何？")
    notice = await wait(api, liaison, "未能送达")
    assert "已停用本机器人" in notice.plain
    row = await fast_bot.db.fetchone("SELECT active FROM accounts WHERE telegram_id = 100")
    assert row is not None
    assert row[0] == 0
    failed = await fast_bot.db.fetchone("SELECT last_error FROM outbox WHERE status = 'failed'")
    assert failed is not None
    assert failed[0].startswith("403")
    await owner.send("我回来了")  # writing again unblocks: the account is active again
    row = await fast_bot.db.fetchone("SELECT active FROM accounts WHERE telegram_id = 100")
    assert row is not None
    assert row[0] == 1


async def test_one_owner_flooding_does_not_slow_others(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock
) -> None:
    # Telegram's real pace per chat is ~1/s; 5/s here keeps the full flood's delivery to 10 s.
    bot = BotRunner(api, make_settings(tmp_path, LEGAL_AID_OUTBOX_PER_CHAT_PER_SECOND="5"), clock)
    await bot.start()
    try:
        await _flood_scenario(api)
    finally:
        await bot.stop()


async def _flood_scenario(api: FakeBotAPI) -> None:
    admin = api.user(ADMIN_ID)
    first = await onboard(api, admin, 7001, "liaison", "张警官")
    second = await onboard(api, admin, 7002, "liaison", "李警官", district="大通区")
    flooder = await registered_owner(api, 100, code_number(900))
    await open_case(api, flooder, "治安业务", "门口有人拦车")
    calm = api.user(200, first_name="Calm")
    from tests.telegram.steps import Answers, register

    await register(calm, Answers(code=code_number(901), district="大通区"))
    calm_case = await open_case(api, calm, "治安业务", "另一个问题")
    await wait(api, second, calm_case)
    await wait(api, first, "门口有人拦车")

    async def flood() -> None:
        for i in range(50):
            await flooder.send(f"刷屏消息{i}")
            await asyncio.sleep(0.2)  # 50 messages in 10 s

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(1.0)
    started = time.monotonic()
    await calm.send("/start")
    assert "您已登记" in last_text(calm)
    direct = time.monotonic() - started
    started = time.monotonic()
    await calm.send("补充一句")
    await wait(api, second, "补充一句", within=5)
    relayed = time.monotonic() - started
    await flooding
    assert direct < 0.5
    assert relayed < 2.0  # Telegram's per-chat pace, not the flood, sets the limit
    await wait(api, first, "刷屏消息49", within=30)  # and the flood itself arrives in full
    received = [m for m in first.inbox if "刷屏消息" in m.plain]
    assert len(received) == 50


async def test_staff_reply_acknowledged_with_contact_count(
    fast_bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    from tests.telegram.steps import Answers, register

    await register(owner)
    colleague = api.user(1002, first_name="李")
    await colleague.send("/register")
    await colleague.press("✅ 同意并继续")
    await colleague.send("春风")
    await colleague.send(Answers().code)
    await colleague.send("李雷")
    await colleague.send("13900001111")
    await colleague.press("✅ 确认提交")
    await wait(api, owner, "申请成为")
    await owner.press("✅ 同意")  # the first contact approves the second
    await wait(api, colleague, "您已成为")
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    await liaison.send(f"/reply {number} 两位联系人都能收到")
    await wait(api, owner, "两位联系人都能收到")
    await wait(api, colleague, "两位联系人都能收到")
    await wait(api, liaison, "已发给企业的 2 位联系人")


async def test_owner_who_unblocks_and_sends_a_command_gets_replies_again(
    fast_bot: BotRunner, api: FakeBotAPI
) -> None:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    owner = await registered_owner(api, 100, code_number(802))
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    owner.block()
    await liaison.send(f"/reply {number} 第一次答复")
    await wait(api, liaison, "未能送达")
    # Any update, not only free text, shows the owner can be reached again.
    await owner.send("/mycases")
    await liaison.send(f"/reply {number} 第二次答复")
    answer = await wait(api, owner, "第二次答复")
    assert number in answer.plain
