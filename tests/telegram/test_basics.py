"""/start /help /language /privacy /deleteme /cancel, menus, stray input: scenario tests."""

from __future__ import annotations

import logging

import pytest

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import TOKEN, BotRunner
from tests.telegram.steps import BUTTONS, last_text, register

OWNER_COMMANDS = [
    "start",
    "help",
    "register",
    "ask",
    "mycases",
    "faq",
    "contacts",
    "notices",
    "language",
    "privacy",
    "deleteme",
    "cancel",
]


async def test_start_offers_registration_then_greets_registered_owner(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("/start")
    assert "您好，王！" in last_text(owner)
    assert owner.last is not None
    assert owner.last.button_labels == ["📝 登记企业"]
    await register(owner)
    await owner.send("/start")
    assert "您已登记为「淮南市春风机械制造有限公司」的联系人" in last_text(owner)
    assert owner.last is not None
    assert owner.last.button_labels == ["📋 查看我的登记"]


async def test_help_lists_every_owner_command(bot: BotRunner, api: FakeBotAPI) -> None:
    owner = api.user(5005, first_name="Ann", language_code="en")
    await owner.send("/help")
    text = last_text(owner)
    for name in OWNER_COMMANDS:
        assert f"/{name} — " in text
    assert "Register, or view and edit your registration" in text


async def test_owner_command_menus_are_set_per_scope(bot: BotRunner, api: FakeBotAPI) -> None:
    scope = {"type": "all_private_chats"}
    default = [c["command"] for c in api.commands(scope)]
    assert default == OWNER_COMMANDS
    english = api.commands(scope, language_code="en")
    assert english[0] == {"command": "start", "description": "Start"}
    chinese = api.commands(scope, language_code="zh")
    assert chinese[2] == {"command": "register", "description": "登记企业，或查看、修改登记信息"}


async def test_language_follows_client_then_choice(bot: BotRunner, api: FakeBotAPI) -> None:
    user = api.user(6006, first_name="Lee", language_code="zh-TW")
    await user.send("/privacy")
    assert "個人資料說明" in last_text(user)
    await user.send("/language")
    await user.press("English")
    assert "I'll write to you in English" in last_text(user)
    await user.send("/privacy")
    assert "Your personal data" in last_text(user)
    # The chat's own menu now follows the chosen language.
    menu = api.commands({"type": "chat", "chat_id": user.id})
    assert menu[0]["description"] == "Start"
    await user.send("/language")
    await user.press("简体中文")
    assert "简体中文和您交流" in last_text(user)


async def test_unknown_language_falls_back_to_default(bot: BotRunner, api: FakeBotAPI) -> None:
    user = api.user(6007, first_name="Ivan", language_code="ru")
    await user.send("/privacy")
    assert "个人信息说明" in last_text(user)


async def test_deleteme_erases_personal_data_after_confirmation(
    bot: BotRunner, owner: FakeUser
) -> None:
    await register(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    await owner.send("/deleteme")
    assert "确定要删除您的个人信息吗" in last_text(owner)
    await owner.press("保留，不删除")
    assert "您的信息保持不变" in last_text(owner)
    assert await bot.enterprises.registration_of(owner.id) is not None
    await owner.send("/deleteme")
    await owner.press("🗑 确认删除我的个人信息")
    assert "已删除您的个人信息" in last_text(owner)
    assert await bot.enterprises.registration_of(owner.id) is None
    row = await bot.db.fetchone(
        "SELECT name, phone, telegram_id, erased_at FROM contacts WHERE id = ?",
        (registration.contact.id,),
    )
    assert row is not None
    assert (row["name"], row["phone"], row["telegram_id"]) == (None, None, None)
    assert row["erased_at"] is not None
    assert await bot.enterprises.enterprise_by_code(registration.enterprise.credit_code) is not None
    await owner.send("/deleteme")
    assert "没有找到您的登记信息" in last_text(owner)


async def test_erased_owner_can_register_again(bot: BotRunner, owner: FakeUser) -> None:
    await register(owner)
    await owner.send("/deleteme")
    await owner.press("🗑 确认删除我的个人信息")
    await owner.send("/register")
    await owner.press(BUTTONS["zh-hans"]["agree"])
    await owner.send("春风机械")
    await owner.send("91340400MA2N0000XY")  # the enterprise record stayed: linked again
    assert "已在平台登记" in owner.inbox[-2].plain
    await owner.send("王芳")
    await owner.send("13812345678")
    await owner.press(BUTTONS["zh-hans"]["confirm"])
    assert "登记完成" in last_text(owner)
    registration = await bot.enterprises.registration_of(owner.id)
    assert registration is not None
    assert registration.contact.name == "王芳"


async def test_cancel_with_nothing_to_cancel(bot: BotRunner, owner: FakeUser) -> None:
    await owner.send("/cancel")
    assert "当前没有进行中的操作" in last_text(owner)


async def test_unknown_command_and_stray_input_get_an_answer(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("/frobnicate")
    assert "没有这个命令" in last_text(owner)
    await owner.send_photo()
    assert "请先登记企业" in last_text(owner)
    await owner.send_location()
    assert "请先登记企业" in last_text(owner)
    await register(owner)
    await owner.send("你好")
    assert "请直接用自己的话输入您的问题" in last_text(owner)  # a greeting gets one back
    await owner.send("今天天气怎么样")
    assert "没有找到与您的问题足够匹配的解答" in last_text(owner)  # free text goes to the FAQ


async def test_old_button_outside_any_dialog_answers_expired(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    summary = next(m for m in reversed(owner.inbox) if "请核对登记信息" in m.plain)
    await owner.press_data(summary, "reg:confirm~AAAAAAAA")
    assert "按钮已经失效" in (api.callback_answers[-1].text or "")
    await owner.press_data(summary, "garbage")
    assert "按钮已经失效" in (api.callback_answers[-1].text or "")


async def test_failure_inside_a_handler_gets_a_kind_answer(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await owner.send("/register")
    api.fail_next("sendMessage", status=400)  # e.g. Telegram refuses the question once
    await owner.press(BUTTONS["zh-hans"]["agree"])
    assert "您已填写的内容都已保存" in last_text(owner)
    dialog = await bot.dialogs.load_dialog("registration", owner.id, owner.id)
    assert dialog is not None
    assert dialog.state == "enterprise_name"
    await owner.send("春风机械")
    assert "统一社会信用代码" in last_text(owner)


async def test_no_token_in_debug_log_of_a_whole_scenario(
    bot: BotRunner, owner: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.telegram.redaction import install_token_redaction, uninstall_token_redaction

    install_token_redaction(TOKEN)
    try:
        with caplog.at_level(logging.DEBUG):
            await register(owner)
            await owner.send("/deleteme")
            await owner.press("🗑 确认删除我的个人信息")
            logging.getLogger("test").error(
                "failed calling %s", f"{bot.settings.telegram.base_url}{TOKEN}/x"
            )
    finally:
        uninstall_token_redaction()
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "HTTP Request: POST" in text  # the HTTP client did log its URLs
    assert "<bot-token>" in text
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text
