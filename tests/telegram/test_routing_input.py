"""Every message reaches the case it was meant for (PRODUCT §3.3, §4, §10)."""

from __future__ import annotations

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import BotRunner
from tests.telegram.people import onboard, open_case, registered_owner, wait
from tests.telegram.steps import last_text, register


async def two_cases(api: FakeBotAPI, admin: FakeUser) -> tuple[FakeUser, FakeUser, FakeUser]:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    a = await registered_owner(api, 101, code_number(11))
    b = await registered_owner(api, 102, code_number(12))
    return liaison, a, b


async def two_open_cases(
    api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> tuple[FakeUser, str, str]:
    """A liaison, and the owner registered with two open cases: (liaison, first, second)."""
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    first = await open_case(api, owner, "治安业务", "第一个问题：门口拦车")
    second = await open_case(api, owner, "车驾管业务", "第二个问题：驾驶证到期")
    return liaison, first, second


async def test_a_telegram_reply_to_a_case_wins_over_a_pending_reply_prompt(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    liaison, a, b = await two_cases(api, admin)
    first = await open_case(api, a, "治安业务", "甲企业门口有人拦车")
    second = await open_case(api, b, "治安业务", "乙企业货车被扣")
    card_a = await wait(api, liaison, f"新事项 {first}")
    card_b = await wait(api, liaison, f"新事项 {second}")
    await liaison.press("💬 回复", card_a)  # Reply on A ...
    await liaison.reply(card_b, "这是给乙企业的答复")  # ... then a Telegram reply to B's card
    await wait(api, b, "这是给乙企业的答复")
    await liaison.send("这是给甲企业的答复")  # the pending Reply on A still takes the next text
    await wait(api, a, "这是给甲企业的答复")
    await bot.drained()
    assert not any("乙企业的答复" in m.plain for m in a.inbox)
    assert not any("甲企业的答复" in m.plain for m in b.inbox)


async def test_a_telegram_reply_does_not_become_a_pending_transfer_reason(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    liaison, a, b = await two_cases(api, admin)
    first = await open_case(api, a, "治安业务", "甲企业门口有人拦车")
    second = await open_case(api, b, "治安业务", "乙企业货车被扣")
    card_a = await wait(api, liaison, f"新事项 {first}")
    card_b = await wait(api, liaison, f"新事项 {second}")
    await onboard(api, admin, 7002, "liaison", "王警官")
    await liaison.press("↪️ 转交", card_a)
    await liaison.press("王警官（民警）")
    await liaison.reply(card_b, "乙企业请稍候")
    await wait(api, b, "乙企业请稍候")
    row = await bot.db.fetchone("SELECT assignee_id FROM cases WHERE number = ?", (first,))
    staff = await bot.db.fetchone("SELECT id FROM staff WHERE display_name = '张警官'")
    assert row is not None
    assert staff is not None
    assert row[0] == staff[0]  # A was not transferred with B's text as its reason
    await liaison.send("休假，转给王警官")  # the pending reason prompt still works
    assert "已转交给 王警官（民警）" in last_text(liaison)


async def test_every_message_written_before_choosing_goes_to_the_chosen_case(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, first, _ = await two_open_cases(api, admin, owner)
    await owner.send("补充一：拦车的是三个人")
    await owner.send("补充二：车牌皖D12345")
    await owner.send_photo(caption="补充三：现场照片")
    question = owner.last
    assert question is not None
    assert "这 3 条消息" in question.plain
    assert len(question.button_labels) == 2  # asked again, with its buttons
    await owner.press(next(b for b in question.button_labels if b.startswith(first)))
    for text in ("补充一", "补充二", "补充三"):
        relayed = await wait(api, liaison, text)
        assert first in relayed.plain
    texts = [m.plain for m in liaison.inbox if "补充" in m.plain]
    assert [t.split("补充")[1][0] for t in texts] == ["一", "二", "三"]  # in order


async def test_held_messages_go_to_the_case_chosen_through_add_information(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, first, _ = await two_open_cases(api, admin, owner)
    await owner.send("拦车的是三个人")  # held: which case?
    await owner.send("/mycases")
    assert owner.last is not None
    await owner.press(next(b for b in owner.last.button_labels if b.startswith(first)))
    await owner.press("➕ 补充信息")
    relayed = await wait(api, liaison, "拦车的是三个人")
    assert first in relayed.plain


async def close_from_mycases(owner: FakeUser, number: str) -> None:
    await owner.send("/mycases")
    assert owner.last is not None
    await owner.press(next(b for b in owner.last.button_labels if b.startswith(number)))
    await owner.press("✖️ 结束事项")
    await owner.press("✖️ 确认结束")
    assert "已结束" in last_text(owner)


async def test_held_messages_go_to_the_one_case_left_open(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, first, second = await two_open_cases(api, admin, owner)
    await owner.send("补充一：拦车的是三个人")  # held: which case?
    assert "是关于哪一个的" in last_text(owner)
    await close_from_mycases(owner, second)
    await owner.send("补充二：车牌皖D12345")  # one case is left: no choice to make
    for text in ("补充一", "补充二"):
        relayed = await wait(api, liaison, text)
        assert first in relayed.plain
    await bot.drained()
    assert sum("是关于哪一个的" in m.plain for m in owner.inbox) == 1
    assert await bot.db.fetchone("SELECT 1 FROM dialogs WHERE name = 'pending'") is None


async def test_held_messages_are_offered_as_a_new_request_when_every_case_ended(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    _, first, second = await two_open_cases(api, admin, owner)
    await owner.send("仓库被人堵了")  # held: which case?
    await close_from_mycases(owner, first)
    await close_from_mycases(owner, second)
    await owner.send("堵门的人还在")
    offer = owner.last
    assert offer is not None
    assert "您的求助都已结束，这 2 条消息没有发给工作人员" in offer.plain
    await owner.press("📝 作为新求助提交", offer)
    await owner.press("治安业务")  # both messages are the description: urgency next
    await owner.press("一般")
    summary = last_text(owner)
    assert "仓库被人堵了" in summary
    assert "堵门的人还在" in summary


async def test_closing_from_mycases_asks_for_confirmation(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车", urgent=True)
    await owner.send("/mycases")
    assert owner.last is not None
    await owner.press(owner.last.button_labels[0])
    await owner.press("✖️ 结束事项")
    assert "确定要结束事项" in last_text(owner)
    await owner.press("↩️ 不结束，保留")
    assert "仍在处理中" in last_text(owner)
    row = await bot.db.fetchone("SELECT status FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert row[0] == "open"  # one tap did not close it
    await owner.press("✖️ 结束事项")
    await owner.press("✖️ 确认结束")
    assert "已结束" in last_text(owner)
    row = await bot.db.fetchone("SELECT status FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert row[0] == "closed"


async def test_a_reply_to_a_closed_case_is_offered_as_a_new_request(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, liaison, number)
    await liaison.reply(card, "已处理")
    answer = await wait(api, owner, "已处理")
    await liaison.press("🏁 已解决", card)
    resolved = await wait(api, owner, "已经解决")
    await owner.press("⭐⭐⭐⭐⭐", resolved)
    await owner.press("跳过")
    await owner.reply(answer, "又有人来拦车了，车牌皖D54321")
    assert "已结束" in last_text(owner)
    assert "这条消息没有发给工作人员" in last_text(owner)
    await owner.press("📝 作为新求助提交")
    await owner.press("治安业务")  # the description is already there: urgency next
    await owner.press("一般")
    await owner.press("✅ 提交求助")
    receipt = await wait(api, owner, "已收到您的求助")
    assert "HN-000002" in receipt.plain
    row = await bot.db.fetchone("SELECT description FROM cases WHERE number = 'HN-000002'")
    assert row is not None
    assert row[0] == "又有人来拦车了，车牌皖D54321"


async def test_a_question_to_an_open_case_is_relayed_and_answered_by_the_faq(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    await open_case(api, owner, "治安业务", "门口有人拦车")
    await owner.send("疫情停工期间员工工资怎么发？")
    relayed = await wait(api, liaison, "疫情停工期间员工工资怎么发")
    assert relayed is not None  # it still reaches the case
    assert any("员工工资" in m.plain and "法律意见" in m.plain for m in owner.inbox)  # FAQ too
    await owner.send("好的谢谢")  # conversation, not a question: relayed only
    await wait(api, liaison, "好的谢谢")
