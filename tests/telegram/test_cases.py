"""Cases end to end (PRODUCT §3.2, §3.3, §4): intake, routing, relay, lifecycle."""

from __future__ import annotations

import asyncio
import re

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import BotRunner, FakeClock
from tests.telegram.people import onboard, open_case, registered_owner, wait
from tests.telegram.steps import last_text, register


async def test_owner_and_liaison_talk_through_the_bot(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官", title="田家庵分局民警")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "仓库门口有人拦车，货运不出去，怎么办？")
    receipt = next(m for m in owner.inbox if number in m.plain)
    assert "张警官（田家庵分局民警）" in receipt.plain
    card = await wait(api, liaison, f"新事项 {number}")
    assert "仓库门口有人拦车" in card.plain
    assert "淮南市春风机械制造有限公司（田家庵区）" in card.plain
    assert card.button_labels == ["✅ 受理", "💬 回复", "↪️ 转交", "🏁 已解决"]
    assert "王" not in card.plain.split("企业：")[0]  # staff never see the owner's Telegram name

    await liaison.reply(card, "已安排民警到场，请保持电话畅通。")
    answer = await wait(api, owner, "已安排民警到场")
    assert "张警官（田家庵分局民警）" in answer.plain
    assert answer.forwarded_from is None
    await wait(api, liaison, "已发给企业的 1 位联系人")

    await owner.reply(answer, "好的，谢谢！车牌是皖D12345")
    relayed = await wait(api, liaison, "车牌是皖D12345")
    assert number in relayed.plain

    await owner.send_photo(caption="现场照片")
    photo = await wait(api, liaison, "现场照片")
    assert photo.kind == "photo"
    assert photo.copied_from is not None
    await liaison.reply(photo, "收到照片")
    await wait(api, owner, "收到照片")
    await owner.send_document("合同.pdf", caption="运输合同")
    document = await wait(api, liaison, "运输合同")
    assert document.kind == "document"
    history = await bot.db.fetchall(
        "SELECT kind, actor_kind FROM case_events WHERE case_id = 1 ORDER BY id"
    )
    kinds = [(r["kind"], r["actor_kind"]) for r in history]
    assert kinds[:2] == [("opened", "owner"), ("assigned", "system")]
    assert ("message", "staff") in kinds
    assert ("attachment", "owner") in kinds


async def test_owner_to_counsel_with_attachments_at_intake(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    counsel = await onboard(
        api, admin, 7101, "counsel", "李律师", title="律师", specialties=("劳动用工",)
    )
    await register(owner)
    await owner.send("/ask")
    await owner.press("劳动用工")
    await owner.send_photo(caption="停工通知")
    assert "已收到附件（共 1 个）" in owner.inbox[-1].plain or "已收到附件" in last_text(owner)
    await owner.send("停工期间员工工资怎么发？")
    await owner.press("一般")
    summary = last_text(owner)
    assert "附件：1 个" in summary
    assert "停工通知" in summary
    await owner.press("✅ 提交求助")
    card = await wait(api, counsel, "停工期间员工工资怎么发")
    assert "劳动用工" in card.plain
    copy = await wait(api, counsel, "停工通知")
    assert copy.kind == "photo"
    await counsel.send(
        "/reply " + re.findall(r"HN-\d+", card.plain)[0] + " 第一个工资周期按正常工资支付。"
    )
    await wait(api, owner, "第一个工资周期按正常工资支付")


async def test_nobody_available_alerts_admins(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await register(owner)
    number = await open_case(api, owner, "合同履行与不可抗力", "疫情导致无法按期交货")
    receipt = next(m for m in owner.inbox if number in m.plain)
    assert "正在为您安排处理人员" in receipt.plain
    alert = await wait(api, admin, f"事项 {number} 暂无可分配的处理人员")
    await admin.send("/cases")
    assert number in last_text(admin)
    assert "未分配" in last_text(admin)
    await admin.reply(alert, "我们会尽快安排律师联系您。")
    await wait(api, owner, "我们会尽快安排律师联系您")


async def test_away_counsel_is_skipped_and_nine_cases_spread_evenly(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    people = [
        await onboard(
            api, admin, 7200 + i, "counsel", f"律师{i}", title="律师", specialties=("劳动用工",)
        )
        for i in range(4)
    ]
    await people[3].send("/away")
    assert "已暂停" in last_text(people[3])
    owners = [await registered_owner(api, 20 + i, code_number(500 + i)) for i in range(9)]
    for i, owner in enumerate(owners):
        await open_case(api, owner, "劳动用工", f"第{i}个劳动问题需要咨询")
    rows = await bot.db.fetchall(
        "SELECT s.display_name AS name, COUNT(*) AS n FROM cases c "
        "JOIN staff s ON s.id = c.assignee_id GROUP BY s.id ORDER BY s.id"
    )
    assert [(r["name"], r["n"]) for r in rows] == [("律师0", 3), ("律师1", 3), ("律师2", 3)]


async def test_owner_with_two_open_cases_is_asked_which(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    first = await open_case(api, owner, "治安业务", "第一个问题：门口拦车")
    second = await open_case(api, owner, "车驾管业务", "第二个问题：驾驶证到期")
    await owner.send("补充：拦车的是三个人")
    assert "这条消息是关于哪一个的" in last_text(owner)
    assert owner.last is not None
    # Each button says what the case is: number, category and its first words.
    assert owner.last.button_labels == [
        f"{second} · 车驾管业务 · 第二个问题：驾驶证到期",
        f"{first} · 治安业务 · 第一个问题：门口拦车",
    ]
    await bot.restart()  # the held message is stored, not in memory
    await owner.press(f"{first} · 治安业务 · 第一个问题：门口拦车")
    relayed = await wait(api, liaison, "补充：拦车的是三个人")
    assert first in relayed.plain


async def test_transfer_and_reassignment_on_deactivation(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    a = await onboard(api, admin, 7301, "counsel", "甲律师", title="律师", specialties=("合同",))
    b = await onboard(api, admin, 7302, "counsel", "乙律师", title="律师", specialties=("合同",))
    await register(owner)
    number = await open_case(api, owner, "合同履行与不可抗力", "供应商要求解除合同")
    card = await wait(api, a, number)
    await a.press("↪️ 转交", card)
    await a.press("乙律师（律师）")
    await a.send("我在休假，转给乙律师")
    assert "已转交给 乙律师（律师）" in last_text(a)
    moved = await wait(api, b, f"转交给您的事项 {number}")
    assert "我在休假" in moved.plain  # the reason is for staff
    told = await wait(api, owner, "现由 乙律师（律师） 负责")
    assert "休假" not in told.plain  # ...and never for the owner
    await admin.send("/staff")
    await admin.press("停用 乙律师")
    assert "已停用 乙律师；1 个进行中的事项已重新分配" in last_text(admin)
    back = await wait(api, a, f"转交给您的事项 {number}")
    assert back is not None
    row = await bot.db.fetchone("SELECT assignee_id FROM cases WHERE number = ?", (number,))
    staff_a = await bot.db.fetchone("SELECT id FROM staff WHERE display_name = '甲律师'")
    assert row is not None
    assert staff_a is not None
    assert row[0] == staff_a[0]


async def test_resolve_rate_close(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, liaison, number)
    await liaison.press("✅ 受理", card)
    await wait(api, owner, "已由 张警官（民警） 受理")
    await liaison.press("🏁 已解决", card)
    resolved = await wait(api, owner, "已经解决")
    assert resolved.button_labels == [
        "⭐",
        "⭐⭐",
        "⭐⭐⭐",
        "⭐⭐⭐⭐",
        "⭐⭐⭐⭐⭐",
        "问题还没解决",
    ]
    await owner.press("⭐⭐⭐⭐", resolved)
    assert "感谢您的评价" in last_text(owner)
    await wait(api, liaison, "评分 ⭐⭐⭐⭐")
    await owner.send("处理得很及时")
    await wait(api, liaison, "企业留言评价：处理得很及时")
    row = await bot.db.fetchone(
        "SELECT status, rating, rating_comment FROM cases WHERE number = ?", (number,)
    )
    assert row is not None
    assert tuple(row) == ("closed", 4, "处理得很及时")
    # The card's buttons are expired now: pressing changes nothing.
    await liaison.press("🏁 已解决", card)
    assert "已结束" in (api.callback_answers[-1].text or "")
    row = await bot.db.fetchone("SELECT status FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert row[0] == "closed"


async def test_owner_reopens_a_resolved_case(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, liaison, number)
    await liaison.press("🏁 已解决", card)
    resolved = await wait(api, owner, "已经解决")
    one_star = owner.find_button("⭐", resolved)[1]
    await owner.press("问题还没解决", resolved)
    assert "已重新打开" in last_text(owner)
    await wait(api, liaison, "问题还没解决，事项已重新打开")
    # An old client still shows the rating buttons: pressing one now changes nothing.
    await owner.press_data(resolved, one_star)
    assert "已结束" in (api.callback_answers[-1].text or "")
    row = await bot.db.fetchone("SELECT status, rating FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert tuple(row) == ("accepted", None)


async def test_long_text_with_markup_characters_arrives_intact_in_parts(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    await wait(api, liaison, number)
    text = "<b>A&B</b> 合同第5条 & 第6条 < 7\n" + ("情况说明。" * 1000)  # over 5,000 characters
    await owner.send(text)
    first = await wait(api, liaison, "（1/2）")
    second = await wait(api, liaison, "（2/2）")
    body = first.plain.split("：\n", 1)[1] + second.plain.split("：\n", 1)[1]
    assert body.replace("\n", "") == text.replace("\n", "")


async def test_nine_requests_submitted_at_once_spread_three_each(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    for i in range(3):
        await onboard(
            api, admin, 7400 + i, "counsel", f"律师{i}", title="律师", specialties=("劳动用工",)
        )
    owners = [await registered_owner(api, 40 + i, code_number(600 + i)) for i in range(9)]
    for i, owner in enumerate(owners):
        await owner.send("/ask")
        await owner.press("劳动用工")
        await owner.send(f"第{i}个劳动问题需要咨询")
        await owner.press("一般")
    await asyncio.gather(*(o.press("✅ 提交求助") for o in owners))
    rows = await bot.db.fetchall(
        "SELECT assignee_id, COUNT(*) AS n FROM cases GROUP BY assignee_id ORDER BY assignee_id"
    )
    assert [r["n"] for r in rows] == [3, 3, 3]


async def test_every_message_of_a_burst_is_confirmed_in_one_message_that_counts_them(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, clock: FakeClock
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    await wait(api, liaison, number)
    for i in range(3):
        await owner.send(f"补充{i}")
    await wait(api, liaison, "补充2")
    await liaison.send(f"/reply {number} 收到一")
    await liaison.send(f"/reply {number} 收到二")
    await wait(api, owner, "收到二")
    await wait(api, liaison, "已发给企业的")  # the chat's pace is ~1/s after a burst
    await bot.drained()  # everything the bot queued has been sent, the edits too
    confirmations = [m for m in owner.inbox if "已转给" in m.plain]
    assert len(confirmations) == 1  # one message, edited as each message was sent
    assert "✓ 3 条消息已转给" in confirmations[0].plain
    receipts = [m for m in liaison.inbox if "已发给企业的" in m.plain]
    assert len(receipts) == 1
    assert "✓ 2 条消息已发给企业的 1 位联系人" in receipts[0].plain  # both /reply answered
    clock.advance(seconds=61)  # a new burst, a new confirmation
    await owner.send("再补充一句")
    await wait(api, owner, "✓ 已转给")
    assert sum("已转给" in m.plain for m in owner.inbox) == 2


async def test_owner_with_two_open_cases_sends_a_photo_and_picks_the_case(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    first = await open_case(api, owner, "治安业务", "仓库门口有人拦车")
    second = await open_case(api, owner, "治安业务", "员工证件需要办理")
    await owner.send_photo(caption="现场照片")
    question = await wait(api, owner, "哪一个")
    assert [label.split(" · ")[0] for label in question.button_labels] == [second, first]
    await owner.press(question.button_labels[1])
    photo = await wait(api, liaison, "现场照片")
    assert photo.kind == "photo"
    assert first in photo.plain


async def test_a_photo_caption_is_offered_as_the_description_never_taken_silently(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    await owner.send("/ask")
    await owner.press("治安业务")
    await owner.send_photo(caption="仓库门口被三辆车堵住")
    asked = last_text(owner)
    assert "请再用文字描述" in asked  # the description is still asked
    assert owner.last is not None
    assert owner.last.button_labels == ["✅ 用照片的说明作为描述"]
    await owner.press("✅ 用照片的说明作为描述")
    await owner.press("一般")
    summary = last_text(owner)
    assert summary.count("仓库门口被三辆车堵住") == 1
    await owner.press("✅ 提交求助")
    await wait(api, owner, "已收到您的求助")
    texts = [r[0] for r in await bot.db.fetchall("SELECT text FROM case_events ORDER BY id")]
    assert sum("仓库门口被三辆车堵住" in (t or "") for t in texts) == 1  # never twice


async def test_a_long_paste_is_refused_whole_never_cut(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    await owner.send("/ask")
    await owner.press("治安业务")
    assert "最多 3000 字" in last_text(owner)  # the limit is said before it is met
    head, tail = "甲" * 4096, "乙" * 904  # Telegram's split of a 5,000-character paste
    await owner.send(head)
    assert "共 4096 字" in last_text(owner)
    await owner.send(tail)  # the rest of the paste, right behind it
    assert "后续部分（合计 5000 字）" in last_text(owner)
    dialog = await bot.dialogs.load_dialog("intake", owner.id, owner.id)
    assert dialog is not None
    assert "description" not in dialog.data  # the tail did not become the description
    await owner.send("仓库门口有人拦车，货出不去")
    assert owner.last is not None
    assert "一般" in owner.last.button_labels  # accepted: urgency is asked next
