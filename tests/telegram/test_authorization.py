"""Nobody acts beyond their role (§2, §10): every command as every role, forged buttons."""

from __future__ import annotations

import pytest

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import ADMIN_ID, BotRunner
from tests.telegram.people import join, onboard, open_case, registered_owner, wait
from tests.telegram.steps import last_text

NOT_AVAILABLE = "这个功能对您的账号不可用"
# PRODUCT §8, written out here independently of bot/telegram/commands.py (and /contacts of
# issue 9: owners approve and remove their enterprise's contacts, liaisons and admins too).
ALLOWED = {
    "owner": {"register", "ask", "mycases", "faq", "privacy", "deleteme", "contacts"},
    "liaison": {"cases", "reply", "note", "away", "back", "contacts"},
    "counsel": {"cases", "reply", "note", "away", "back"},
    "admin": {"cases", "reply", "note", "staff", "invite", "assign", "contacts"},
    # Roles of their own: deactivated staff keep nothing; a contact waiting for approval has
    # the owner's commands, which tell them they are waiting (checked below).
    "deactivated liaison": set(),
    "deactivated admin": set(),
    "pending contact": {"register", "ask", "mycases", "faq", "privacy", "deleteme", "contacts"},
}
RESTRICTED = sorted(set().union(*ALLOWED.values()))


@pytest.fixture
async def people(bot: BotRunner, api: FakeBotAPI) -> dict[str, FakeUser]:
    admin = api.user(ADMIN_ID)
    liaison = await onboard(api, admin, 7001, "liaison", "张警官")
    counsel = await onboard(
        api, admin, 7101, "counsel", "李律师", title="律师", specialties=("合同",)
    )
    owner = await registered_owner(api, 100, code_number(1))
    gone = await onboard(api, admin, 7050, "liaison", "离职民警")
    chief = await onboard(api, admin, 7550, "admin", "前主任", title="主任")
    await admin.send("/staff")
    await admin.press("停用 离职民警")
    await admin.send("/staff")
    await admin.press("停用 前主任")
    pending = await join(api, 300, "陌生人", code_number(1))
    return {
        "owner": owner,
        "liaison": liaison,
        "counsel": counsel,
        "admin": admin,
        "deactivated liaison": gone,
        "deactivated admin": chief,
        "pending contact": pending,
    }


async def test_every_restricted_command_as_every_role(
    bot: BotRunner, people: dict[str, FakeUser]
) -> None:
    for role, user in people.items():
        for command in RESTRICTED:
            await user.send(f"/{command}")
            answer = last_text(user)
            if command in ALLOWED[role]:
                assert NOT_AVAILABLE not in answer, (role, command, answer)
            else:
                assert NOT_AVAILABLE in answer, (role, command, answer)
            if role == "pending contact" and command in ("ask", "mycases", "contacts"):
                assert "等待" in answer, (role, command, answer)
            await user.send("/cancel")  # leave any dialog the command opened


async def test_staff_cannot_register_as_owner(bot: BotRunner, people: dict[str, FakeUser]) -> None:
    await people["liaison"].send("/register")
    assert NOT_AVAILABLE in last_text(people["liaison"])
    assert await bot.enterprises.registration_of(people["liaison"].id) is None


async def test_forged_and_foreign_case_buttons_are_refused(
    bot: BotRunner, api: FakeBotAPI, people: dict[str, FakeUser]
) -> None:
    owner, liaison = people["owner"], people["liaison"]
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, liaison, number)
    resolve = liaison.find_button("🏁 已解决", card)[1]
    other = await registered_owner(api, 200, code_number(2))
    # Another enterprise's owner replays the liaison's button, and a tampered copy of it.
    await other.press_data(card, resolve)
    assert "无权" in (api.callback_answers[-1].text or "")
    await other.press_data(card, resolve.replace(":1~", ":2~"))
    assert "无权" in (api.callback_answers[-1].text or "")
    # The counsel, who never had the case, presses it too.
    await people["counsel"].press_data(card, resolve)
    assert "无权" in (api.callback_answers[-1].text or "")
    row = await bot.db.fetchone("SELECT status FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert row[0] == "open"
    # /reply and /note to a case that is not theirs.
    await people["counsel"].send(f"/reply {number} 我来答复")
    refused = last_text(people["counsel"])
    assert "没有您可以处理的事项" in refused
    # A number that does not exist gets the very same answer: numbers cannot be probed.
    missing = "HN-" + str(int(number[3:]) + 500).zfill(6)
    await people["counsel"].send(f"/reply {missing} 我来答复")
    assert last_text(people["counsel"]) == refused.replace(number, missing)
    await people["counsel"].send(f"/note {missing} 备注")
    assert last_text(people["counsel"]) == refused.replace(number, missing)
    await other.send("/mycases")
    assert number not in last_text(other)


async def test_button_of_a_case_transferred_away_is_refused(
    bot: BotRunner, api: FakeBotAPI, people: dict[str, FakeUser]
) -> None:
    owner, admin = people["owner"], people["admin"]
    second = await onboard(api, admin, 7002, "liaison", "王警官")
    number = await open_case(api, owner, "治安业务", "门口有人拦车")
    card = await wait(api, people["liaison"], number)
    await people["liaison"].press("↪️ 转交", card)
    await people["liaison"].press("王警官（民警）")
    await people["liaison"].send("换人处理")
    await wait(api, second, number)
    # The first liaison still has the old card, validly signed for them.
    await people["liaison"].press("🏁 已解决", card)
    assert "无权" in (api.callback_answers[-1].text or "")
    row = await bot.db.fetchone("SELECT status FROM cases WHERE number = ?", (number,))
    assert row is not None
    assert row[0] == "open"
    # ...but can still read its history (assigned before), as §4 allows.
    await people["liaison"].send(f"/note {number} 已移交")
    assert "无权" in last_text(people["liaison"])  # notes are for the current assignee


async def test_unregistered_user_is_led_to_register(bot: BotRunner, api: FakeBotAPI) -> None:
    stranger = api.user(555, first_name="Stranger")
    await stranger.send("/ask")
    assert "请先登记企业" in last_text(stranger)
    assert stranger.last is not None
    assert stranger.last.button_labels == ["📝 登记企业"]
    await stranger.send("/mycases")
    assert "请先登记企业" in last_text(stranger)


async def test_each_role_has_its_own_command_menu(
    bot: BotRunner, api: FakeBotAPI, people: dict[str, FakeUser]
) -> None:
    def menu(user: FakeUser) -> set[str]:
        return {c["command"] for c in api.commands({"type": "chat", "chat_id": user.id})}

    owner_menu = {c["command"] for c in api.commands({"type": "all_private_chats"})}
    assert ALLOWED["owner"] <= owner_menu
    staff_only = (ALLOWED["admin"] | ALLOWED["liaison"]) - ALLOWED["owner"]
    assert not staff_only & owner_menu  # owners never see staff commands
    assert ALLOWED["liaison"] <= menu(people["liaison"])
    assert "register" not in menu(people["liaison"])
    assert ALLOWED["counsel"] <= menu(people["counsel"])
    await bot.restart()  # configured admins get theirs at start
    assert ALLOWED["admin"] <= menu(people["admin"])
    assert "ask" not in menu(people["admin"])


async def test_forged_button_with_non_ascii_data_is_an_expired_button(
    bot: BotRunner, api: FakeBotAPI, people: dict[str, FakeUser]
) -> None:
    owner = people["owner"]
    await owner.send("/language")
    assert owner.last is not None
    for forged in ("lang:en~签名签名签名签名", "erase:yes~ÿÿÿÿÿÿÿÿ", "签名"):
        await owner.press_data(owner.last, forged)
        answer = api.callback_answers[-1].text or ""
        assert "按钮已经失效" in answer, (forged, answer)
    # A forged case button is refused like any other forged case button.
    await owner.press_data(owner.last, "case:accept:1~ÿÿÿÿÿÿÿÿ")
    assert "无权" in (api.callback_answers[-1].text or "")
    assert not any("出了问题" in m.plain for m in owner.inbox)
