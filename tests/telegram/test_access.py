"""Access you can trust (PRODUCT §2, §3.1, §5.1, §10): deactivation removes every power, a new
contact of an enterprise must be approved, assignments refuse what cannot be."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain.models import Role
from bot.storage.staff import StaffRepository
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.people import join, onboard, open_case, wait
from tests.telegram.steps import last_text, register


async def staff_id(bot: BotRunner, name: str) -> int:
    row = await bot.db.fetchone("SELECT id FROM staff WHERE display_name = ?", (name,))
    assert row is not None
    return int(row[0])


async def test_assign_refuses_a_deactivated_liaison_and_the_same_person_twice(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await onboard(api, admin, 7001, "liaison", "张警官")
    await onboard(api, admin, 7002, "liaison", "王警官")
    await register(owner)
    zhang, wang = await staff_id(bot, "张警官"), await staff_id(bot, "王警官")
    code = "91340400MA2N0000XY"
    await admin.send(f"/assign {code} {zhang} {zhang}")
    assert "两个不同的人" in last_text(admin)
    await admin.send("/staff")
    await admin.press("停用 王警官")
    await admin.send(f"/assign {code} {wang}")
    assert "已被停用" in last_text(admin)
    await admin.send(f"/assign {code} {zhang} {wang}")
    assert "已被停用" in last_text(admin)
    row = await bot.db.fetchone("SELECT liaison_id FROM enterprises WHERE credit_code = ?", (code,))
    assert row is not None
    assert row[0] is None  # nothing was assigned
    await admin.send(f"/assign {code} {zhang}")
    assert "联络民警设为 张警官" in last_text(admin)


async def test_every_staff_member_is_reachable_in_staff_pages_and_by_name(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser
) -> None:
    people = StaffRepository(bot.db, bot.clock)
    for n in range(1, 26):
        code = f"inv-test-{n}"
        await people.create_invite(code, Role.LIAISON, admin.id, bot.clock.now() + timedelta(1))
        await people.redeem_invite(
            code,
            8000 + n,
            bot.clock.now(),
            display_name=f"民警{n:02d}",
            title="民警",
            district="tianjiaan",
            specialties=(),
        )
    await admin.send("/staff")
    first = admin.last
    assert first is not None
    assert "第 1/3 页，共 25 人" in first.plain
    assert "停用 民警10" in first.button_labels
    assert "停用 民警11" not in first.button_labels
    await admin.press("下一页 ▶️", first)
    await admin.press("下一页 ▶️", first)  # the list is edited in place
    assert "第 3/3 页" in first.plain
    assert [b for b in first.button_labels if b.startswith("停用")] == [
        f"停用 民警{n}" for n in range(21, 26)
    ]
    await admin.press("停用 民警25", first)
    assert "已停用 民警25" in last_text(admin)
    await admin.send("/staff 民警2")
    found = last_text(admin)
    assert "名字包含「民警2」：6 人\n#20 民警20" in found  # 民警20 … 民警25
    assert "#25 民警25" in found


NOT_AVAILABLE = "这个功能对您的账号不可用"


def menu(api: FakeBotAPI, user: FakeUser) -> set[str]:
    return {c["command"] for c in api.commands({"type": "chat", "chat_id": user.id})}


async def test_a_deactivated_admin_loses_every_admin_power_on_the_next_update(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    chief = await onboard(api, admin, 7500, "admin", "刘主任", title="主任")
    await chief.send("/invite liaison")
    link = re.search(r"start=(inv-[\w-]+)", last_text(chief))
    assert link is not None
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")  # no liaison: admins alerted
    await wait(api, chief, f"{number}")
    await admin.send("/staff")
    await admin.press("停用 刘主任")
    assert "已停用 刘主任" in last_text(admin)
    for command in (
        "/staff",
        "/cases",
        f"/reply {number} 我来回复",
        "/assign x 1",
        "/invite admin",
    ):
        await chief.send(command)
        assert NOT_AVAILABLE in last_text(chief), command
    assert menu(api, chief) == {"start", "help", "language", "cancel"}
    # The invite made before deactivation is revoked.
    stranger = api.user(7600, first_name="陌生人")
    await stranger.send(f"/start {link.group(1)}")
    assert "邀请链接无效" in last_text(stranger)
    # No more alerts: a new unassigned case reaches the configured admin only.
    second = await open_case(api, owner, "治安业务", "又有人拦车")
    await wait(api, admin, second)
    await bot.drained()
    assert not any(second in m.plain for m in chief.inbox)
    audit = await bot.db.fetchall("SELECT action FROM audit_log ORDER BY id")
    assert {"deactivate", "revoke_invites"} <= {r[0] for r in audit}


async def test_a_deactivated_liaison_keeps_no_case_that_can_come_back(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    first = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, first, number)
    await first.press("🏁 已解决", card)
    resolved = await wait(api, owner, "已经解决")
    second = await onboard(api, admin, 7002, "liaison", "王警官")
    await admin.send("/staff")
    await admin.press("停用 张警官")
    await wait(api, second, number)  # the resolved case has a new assignee
    await owner.press("问题还没解决", resolved)
    await wait(api, second, "问题还没解决，事项已重新打开")
    row = await bot.db.fetchone("SELECT status, assignee_id FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert (row[0], row[1]) == ("accepted", await staff_id(bot, "王警官"))
    for command in (f"/reply {number} 我还在", f"/note {number} 备注", "/away", "/back"):
        await first.send(command)
        assert NOT_AVAILABLE in last_text(first), command
    await first.press("✅ 受理", card)  # the old card's buttons
    assert NOT_AVAILABLE in (api.callback_answers[-1].text or "")
    await first.reply(card, "我还能回复吗")  # a Telegram reply to the card
    assert "无权" in last_text(first)
    assert not any("我还" in m.plain for m in owner.inbox)


async def test_a_stranger_with_the_credit_code_sees_nothing_until_approved(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    stranger = await join(api, 1666, "冒名者")
    assert "等待" in last_text(stranger) or "确认之前" in last_text(stranger)
    request = await wait(api, owner, "申请成为")  # the existing contact is told who asked
    assert "冒名者" in request.plain
    assert request.button_labels == ["✅ 同意", "拒绝"]
    for command in ("/mycases", "/ask", "/contacts"):
        await stranger.send(command)
        assert "等待" in last_text(stranger), command
        assert number not in last_text(stranger)
    await liaison.send(f"/reply {number} 只有真正的联系人能收到")
    await wait(api, owner, "只有真正的联系人能收到")
    await stranger.send("我想看看")  # free text: no case, the FAQ answers
    await bot.drained()
    assert not any(number in m.plain for m in stranger.inbox)
    await owner.press("拒绝", request)
    assert "已拒绝 冒名者" in last_text(owner)
    await wait(api, stranger, "未获同意")
    assert request.button_labels == []  # decided: its buttons are gone
    audit = {r[0] for r in await bot.db.fetchall("SELECT action FROM audit_log")}
    assert {"request_contact", "refuse_contact"} <= audit
    await stranger.send("/mycases")
    assert number not in last_text(stranger)


async def test_the_liaison_approves_and_a_contact_removes_another(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    await register(owner)
    await admin.send(f"/assign 91340400MA2N0000XY {await staff_id(bot, '张警官')}")
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    colleague = await join(api, 1002, "李雷")
    request = await wait(api, liaison, "申请成为")
    await liaison.press("✅ 同意", request)
    await wait(api, colleague, "您已成为")
    await colleague.send("/mycases")
    assert number in last_text(colleague)
    # The first contact removes the colleague; an admin can list any enterprise's contacts.
    await owner.send("/contacts")
    assert "李雷" in last_text(owner)
    await owner.press("移出 李雷")
    assert "已将 李雷 移出联系人" in last_text(owner)
    await wait(api, colleague, "不再是")
    await colleague.send("/mycases")
    assert number not in last_text(colleague)
    await admin.send("/contacts 91340400MA2N0000XY")
    assert "王芳" in last_text(admin)
    assert "李雷" not in last_text(admin)
    await admin.send("/contacts 91340400MA2N0001XY")  # no such enterprise: the usage answer
    assert "用法" in last_text(admin)
    audit = {r[0] for r in await bot.db.fetchall("SELECT action FROM audit_log")}
    assert {"approve_contact", "remove_contact"} <= audit


async def test_the_roster_phone_shared_by_contact_button_is_proof_enough(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    async with bot.db.transaction() as tx:  # as an imported roster holds it
        await tx.execute("UPDATE enterprises SET phone = '+8613900002222'")
    typed = await join(api, 1002, "李雷")  # typing the number proves nothing
    assert "确认之前" in last_text(typed)
    shared = await join(api, 1003, "赵敏", shared="+8613900002222")
    assert "登记完成" in last_text(shared)
    contacts = await bot.enterprises.contacts_of(1)
    assert {c.name for c in contacts} == {"王芳", "赵敏"}


async def test_a_join_request_lapses_after_the_configured_days(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    await join(api, 1002, "李雷")
    request = await wait(api, owner, "申请成为")
    assert "7 天内有效" in request.plain
    bot.clock.advance(days=7, minutes=1)
    await owner.press("✅ 同意", request)
    assert "已经处理过或已过期" in (api.callback_answers[-1].text or "")
    assert {c.name for c in await bot.enterprises.contacts_of(1)} == {"王芳"}
