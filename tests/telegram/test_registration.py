"""Registration (PRODUCT §3.1) as owners live it: through the fake Bot API, button by button."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import code_number
from tests.conftest import BotRunner, FakeClock, make_settings
from tests.telegram.people import wait
from tests.telegram.steps import BUTTONS, Answers, fill_until_summary, last_text, register


async def count(bot: BotRunner, table: str) -> int:
    row = await bot.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_happy_path_simplified_chinese(bot: BotRunner, owner: FakeUser) -> None:
    await owner.send("/start")
    assert "登记您的企业" in last_text(owner)
    await owner.press(BUTTONS["zh-hans"]["register"])
    assert "个人信息说明" in last_text(owner)
    await owner.press(BUTTONS["zh-hans"]["agree"])
    assert "企业名称" in last_text(owner)
    await owner.send("淮南市春风机械制造有限公司")
    assert "统一社会信用代码" in last_text(owner)
    await owner.send("91340400ma2n0000xy")
    assert "所在区县" in last_text(owner)
    await owner.press("田家庵区")
    assert "所属行业" in last_text(owner)
    await owner.press("制造业")
    assert "联系人姓名" in last_text(owner)
    await owner.send("王芳")
    assert "联系电话" in last_text(owner)
    phone_question = owner.last
    assert phone_question is not None
    assert phone_question.reply_markup is not None
    assert phone_question.reply_markup["keyboard"][0][0]["request_contact"] is True
    await owner.send("138-1234-5678")
    summary = last_text(owner)
    for shown in ("淮南市春风机械制造有限公司", "91340400MA2N0000XY", "田家庵区", "制造业", "王芳"):
        assert shown in summary
    assert "138 1234 5678" in summary
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    assert "登记完成" in last_text(owner)

    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.credit_code == "91340400MA2N0000XY"
    assert registration.enterprise.district == "tianjiaan"
    assert registration.enterprise.industry == "manufacturing"
    assert registration.contact.phone == "+8613812345678"
    assert registration.contact.consented_at is not None
    assert await count(bot, "dialogs") == 0


async def test_happy_path_traditional_chinese(bot: BotRunner, api: FakeBotAPI) -> None:
    owner = api.user(2002, first_name="陳", language_code="zh-hk")
    await owner.send("/register")
    assert "個人資料說明" in last_text(owner)
    await owner.press(BUTTONS["zh-hant"]["agree"])
    await owner.send("淮南市春風貿易有限公司")
    await owner.send(code_number(7))
    await owner.press("田家庵區")
    await owner.press("批發和零售")
    await owner.send("陳大文")
    await owner.send("0554-6612345")
    assert "請核對登記資料" in last_text(owner)
    await owner.press(BUTTONS["zh-hant"]["confirm"])
    assert "登記完成" in last_text(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.name == "淮南市春風貿易有限公司"
    assert registration.contact.phone == "+865546612345"


async def test_happy_path_english(bot: BotRunner, api: FakeBotAPI) -> None:
    owner = api.user(3003, first_name="Alice", language_code="en-GB")
    await owner.send("/register")
    assert "Your personal data" in last_text(owner)
    await owner.press(BUTTONS["en"]["agree"])
    assert "enterprise's name" in last_text(owner)
    await owner.send("Spring Wind Machinery Co., Ltd.")
    await owner.send(code_number(8))
    await owner.press("Datong District")
    await owner.press("Logistics" if False else "Transport and logistics")
    await owner.send("Alice Wang")
    await owner.send("+86 139 0000 1111")
    assert "Please check your registration" in last_text(owner)
    await owner.press(BUTTONS["en"]["confirm"])
    assert "Registration complete" in last_text(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.district == "datong"
    assert registration.contact.phone == "+8613900001111"


async def start_at_credit_code(owner: FakeUser) -> None:
    await owner.send("/register")
    await owner.press(BUTTONS["zh-hans"]["agree"])
    await owner.send("春风机械")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("9134040", "代码应为 18 位，您输入了 7 位"),
        ("91340400MA2N0000XY7", "您输入了 19 位"),
        ("91340400MA2NOOOOXY", "「O」可能是「0」"),
        ("91340400MA2N0000X!", "代码中不能有「!」"),
        ("91A40400MA2N0000XY", "第 3 到 8 位是行政区划代码"),
        ("91340400MA2N0000X1", "最后一位应为「Y」"),
        ("91340400MA2N0001XY", "校验位不符"),
    ],
)
async def test_each_bad_credit_code_says_which_rule(
    bot: BotRunner, owner: FakeUser, typed: str, says: str
) -> None:
    await start_at_credit_code(owner)
    await owner.send(typed)
    assert says in owner.inbox[-1].plain
    assert "统一社会信用代码有误" in owner.inbox[-1].plain
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert dialog.state == "credit_code"
    await owner.send("91340400MA2N0000XY")  # corrected: the dialog moves on
    assert "所在区县" in last_text(owner)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("电话号码", "这不像电话号码"),
        ("6612345", "座机号码请带上区号"),
        ("+852 9123 4567", "只支持中国大陆"),
        ("1381234567", "这个号码无效"),
        ("400-810-8888", "不能作为联系电话"),
    ],
)
async def test_bad_phones_are_refused_with_reason(
    bot: BotRunner, owner: FakeUser, typed: str, says: str
) -> None:
    await fill_until_summary(owner, Answers(phone=typed))
    assert says in last_text(owner)
    await owner.send("13812345678")
    assert "请核对登记信息" in last_text(owner)


async def test_contact_button_shares_own_number(bot: BotRunner, owner: FakeUser) -> None:
    await fill_until_summary(owner, Answers(phone="x"))  # stops at the phone question
    await owner.share_contact("8613911112222")
    received = owner.inbox[-2]
    assert "139 1111 2222" in received.plain
    assert received.reply_markup == {"remove_keyboard": True}
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.contact.phone == "+8613911112222"


async def test_someone_elses_contact_card_is_refused(bot: BotRunner, owner: FakeUser) -> None:
    await fill_until_summary(owner, Answers(phone="x"))
    await owner.share_contact("+8613911112222", user_id=4242, first_name="李四")
    assert "这是别人的联系人名片" in owner.inbox[-2].plain
    assert "联系电话" in last_text(owner)
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert "phone" not in dialog.data
    await owner.share_contact("+8613911112222", first_name="无名", anonymous=True)
    assert "这是别人的联系人名片" in owner.inbox[-2].plain


STEPS = [
    ("consent", []),
    ("enterprise_name", ["agree"]),
    ("credit_code", ["agree", "春风机械"]),
    ("district", ["agree", "春风机械", "91340400MA2N0000XY"]),
    ("industry", ["agree", "春风机械", "91340400MA2N0000XY", "@田家庵区"]),
    ("contact_name", ["agree", "春风机械", "91340400MA2N0000XY", "@田家庵区", "@制造业"]),
    ("phone", ["agree", "春风机械", "91340400MA2N0000XY", "@田家庵区", "@制造业", "王芳"]),
    (
        "confirm",
        ["agree", "春风机械", "91340400MA2N0000XY", "@田家庵区", "@制造业", "王芳", "13812345678"],
    ),
]


async def walk(owner: FakeUser, steps: list[str]) -> None:
    """/register, then each answer: "agree" presses consent, "@X" presses X, else types it."""
    await owner.send("/register")
    for step in steps:
        if step == "agree":
            await owner.press(BUTTONS["zh-hans"]["agree"])
        elif step.startswith("@"):
            await owner.press(step[1:])
        else:
            await owner.send(step)


@pytest.mark.parametrize(("state", "steps"), STEPS, ids=[s for s, _ in STEPS])
async def test_cancel_at_every_step(
    bot: BotRunner, owner: FakeUser, state: str, steps: list[str]
) -> None:
    await walk(owner, steps)
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert dialog.state == state
    await owner.send("/cancel")
    assert "已退出登记" in last_text(owner)
    assert "没有保存" in last_text(owner)
    assert await bot.dialogs.load_dialog("registration", owner.id, owner.id) is None
    assert await count(bot, "enterprises") == 0
    assert await count(bot, "contacts") == 0
    await owner.send("春风机械")  # after cancelling, text is no longer an answer...
    assert "没有找到与您的问题足够匹配的解答" in last_text(owner)  # ...but a question to the FAQ


@pytest.mark.parametrize(("state", "steps"), STEPS[1:], ids=[s for s, _ in STEPS[1:]])
async def test_crash_mid_dialog_resumes_at_same_step(
    bot: BotRunner, owner: FakeUser, state: str, steps: list[str]
) -> None:
    await walk(owner, steps)
    await bot.restart()  # the process dies: no shutdown, no persistence flush
    remaining = [s for _, full in STEPS[-1:] for s in full][len(steps) :]
    await walk_rest(owner, remaining)
    if state != "confirm":
        assert "请核对登记信息" in last_text(owner)
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.name == "春风机械"
    assert registration.enterprise.district == "tianjiaan"
    assert registration.contact.name == "王芳"


async def walk_rest(owner: FakeUser, steps: list[str]) -> None:
    for step in steps:
        if step.startswith("@"):
            await owner.press(step[1:])
        else:
            await owner.send(step)


async def test_crash_then_register_command_asks_the_pending_question(
    bot: BotRunner, owner: FakeUser
) -> None:
    await walk(owner, ["agree", "春风机械"])
    await bot.restart()
    await owner.send("/register")
    assert "统一社会信用代码" in last_text(owner)


async def test_user_text_is_shown_back_verbatim(bot: BotRunner, owner: FakeUser) -> None:
    name = '<b>A&B</b> "Co"'
    await fill_until_summary(owner, Answers(enterprise=name, contact="<i>王</i> & 李"))
    summary = last_text(owner)
    assert name in summary
    assert "<i>王</i> & 李" in summary
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    assert name in last_text(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.name == name


async def test_fifty_owners_register_at_once(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock
) -> None:
    # Correctness under concurrency, not Telegram's throughput: with the production limit of
    # 30 messages/s the ~700 calls of this test would take 23 s of CI time.
    settings = make_settings(tmp_path, LEGAL_AID_TELEGRAM_MAX_MESSAGES_PER_SECOND="0")
    bot = BotRunner(api, settings, clock)
    await bot.start()
    try:
        await _fifty_owners(bot, api)
    finally:
        await bot.stop()


async def _fifty_owners(bot: BotRunner, api: FakeBotAPI) -> None:
    owners = [api.user(10_000 + i, first_name=f"Owner{i}") for i in range(50)]
    answers = [Answers(enterprise=f"企业{i}号", code=code_number(100 + i)) for i in range(50)]
    await asyncio.gather(*(register(o, a) for o, a in zip(owners, answers, strict=True)))
    assert await count(bot, "enterprises") == 50
    assert await count(bot, "contacts") == 50
    for o, a in zip(owners, answers, strict=True):
        registration = await bot.enterprises.registration_of(o.id)
        assert registration is not None
        assert (registration.enterprise.name, registration.enterprise.credit_code) == (
            a.enterprise,
            a.code,
        )
        assert "登记完成" in last_text(o)


async def test_second_contact_joins_the_same_enterprise(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    colleague = api.user(1002, first_name="李")
    await colleague.send("/register")
    await colleague.press(BUTTONS["zh-hans"]["agree"])
    await colleague.send("春风公司")
    await colleague.send("91340400MA2N0000XY")
    assert "已在平台登记：淮南市春风机械制造有限公司" in colleague.inbox[-2].plain
    assert "联系人姓名" in last_text(colleague)  # district and industry are not asked again
    await colleague.send("李雷")
    await colleague.send("13900001111")
    summary = last_text(colleague)
    assert "淮南市春风机械制造有限公司" in summary
    assert "田家庵区" in summary
    await colleague.press(BUTTONS["zh-hans"]["confirm"])
    assert await count(bot, "enterprises") == 1
    first = await bot.enterprises.registration_of(owner.id)
    second = await bot.enterprises.registration_of(colleague.id)
    assert first is not None
    assert second is not None
    assert first.enterprise.id == second.enterprise.id
    assert "等待" in last_text(colleague) or "确认" in last_text(colleague)
    contacts = await bot.enterprises.contacts_of(first.enterprise.id)
    assert {c.name for c in contacts} == {"王芳"}  # a second contact joins once approved
    await wait(api, owner, "申请成为")
    await owner.press("✅ 同意")
    await wait(api, colleague, "您已成为")
    contacts = await bot.enterprises.contacts_of(first.enterprise.id)
    assert {c.name for c in contacts} == {"王芳", "李雷"}


async def test_registered_owner_views_and_edits_registration(
    bot: BotRunner, owner: FakeUser
) -> None:
    await register(owner)
    await owner.send("/register")
    assert "您的登记信息" in last_text(owner)
    await owner.press(BUTTONS["zh-hans"]["edit"])
    assert "统一社会信用代码" not in owner.last.button_labels  # type: ignore[union-attr]
    await owner.press("联系电话")
    await owner.send("13700002222")
    assert "137 0000 2222" in last_text(owner)
    await owner.press(BUTTONS["zh-hans"]["save"])
    assert "已保存修改" in last_text(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.contact.phone == "+8613700002222"
    assert await count(bot, "contacts") == 1


async def test_edit_a_field_before_confirming(bot: BotRunner, owner: FakeUser) -> None:
    await fill_until_summary(owner)
    await owner.press(BUTTONS["zh-hans"]["edit"])
    await owner.press("所在区县")
    await owner.press("寿县")
    summary = last_text(owner)
    assert "寿县" in summary
    assert "田家庵区" not in summary
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.enterprise.district == "shouxian"


async def test_typed_district_is_accepted_when_unambiguous(bot: BotRunner, owner: FakeUser) -> None:
    await walk(owner, ["agree", "春风机械", "91340400MA2N0000XY"])
    await owner.send("西湖区")
    assert "没有找到「西湖区」这个选项" in owner.inbox[-2].plain
    await owner.send("田家庵")
    assert "所属行业" in last_text(owner)


async def test_photo_where_text_is_asked(bot: BotRunner, owner: FakeUser) -> None:
    await walk(owner, ["agree"])
    await owner.send_photo()
    assert "这一步需要输入文字" in owner.inbox[-2].plain
    assert "企业名称" in last_text(owner)
    await owner.send_sticker()
    assert "企业名称" in last_text(owner)


async def test_old_button_answers_expired_and_changes_nothing(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await walk(owner, ["agree", "春风机械", "91340400MA2N0000XY"])
    district_question = owner.last
    assert district_question is not None
    await owner.press("田家庵区")
    # The old keyboard was removed; a client that still shows it sends its data anyway.
    stale = owner.find_button("制造业")[0]
    data = next(b["callback_data"] for b in stale.buttons if b["text"] == "制造业")
    await owner.press("制造业")
    await owner.press_data(stale, data)  # pressed twice: the dialog is past that step now
    assert api.callback_answers[-1].text is not None
    assert "按钮已经失效" in api.callback_answers[-1].text
    assert "联系人姓名" in last_text(owner)
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert dialog.state == "contact_name"


async def test_forged_callback_data_is_refused(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await walk(owner, ["agree", "春风机械", "91340400MA2N0000XY"])
    question = owner.last
    assert question is not None
    data = question.buttons[0]["callback_data"]
    forged = data.replace("tianjiaan", "datong")
    await owner.press_data(question, forged)
    assert "按钮已经失效" in (api.callback_answers[-1].text or "")
    other = api.user(1003, first_name="Mallory")
    await other.press_data(question, data)  # someone else's button
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert dialog.state == "district"


async def test_other_command_mid_dialog_keeps_the_dialog(bot: BotRunner, owner: FakeUser) -> None:
    await walk(owner, ["agree"])
    await owner.send("/start")
    assert "请先回答上面的问题" in owner.inbox[-2].plain
    assert "企业名称" in last_text(owner)
    await owner.send("/help")  # works anywhere
    assert "/register" in last_text(owner)
    await owner.send("春风机械")
    assert "统一社会信用代码" in last_text(owner)


async def test_viewing_the_registration_is_not_editing_it(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    await owner.send("/register")
    assert "您的登记信息" in last_text(owner)
    await owner.send("/mycases")  # not trapped in a dialog
    assert "您正在登记企业" not in last_text(owner)
    await owner.send("/ask")
    assert "提出求助" in last_text(owner)
    await owner.send("/cancel")
    # Edit, then save without changing anything: nothing is claimed to be saved.
    await owner.send("/register")
    await owner.press(BUTTONS["zh-hans"]["edit"])
    await owner.press("↩️ 返回")
    await owner.press(BUTTONS["zh-hans"]["save"])
    assert "没有修改任何内容" in last_text(owner)
    assert await bot.dialogs.load_dialog("registration", owner.id, owner.id) is None
