"""Access you can trust (PRODUCT §2, §3.1, §5.1, §10): deactivation removes every power, a new
contact of an enterprise must be approved, assignments refuse what cannot be."""

from __future__ import annotations

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.people import onboard
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
