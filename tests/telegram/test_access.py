"""Access you can trust (PRODUCT §2, §3.1, §5.1, §10): deactivation removes every power, a new
contact of an enterprise must be approved, assignments refuse what cannot be."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain.models import Role
from bot.storage.staff import StaffRepository
from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.people import onboard, open_case, wait
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
