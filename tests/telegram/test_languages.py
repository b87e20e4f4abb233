"""/language and the Traditional Chinese texts, through the real Application (issue #10.9)."""

from __future__ import annotations

import pytest

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.steps import Answers, last_text, register

LANGUAGE_NAMES = ["简体中文", "繁體中文", "English"]


@pytest.mark.parametrize("client", ["zh-hans", "zh-hant", "en"])
async def test_picker_names_each_language_once_in_its_own_script(
    bot: BotRunner, api: FakeBotAPI, client: str
) -> None:
    user = api.user(6100, first_name="Lee", language_code=client)
    await user.send("/language")
    assert user.last is not None
    prompt = last_text(user).rstrip(":：")
    parts = prompt.split(" / ")
    assert len(parts) == 3, prompt
    assert len(set(parts)) == 3, prompt  # Simplified, Traditional and English: no line twice
    assert user.last.button_labels == LANGUAGE_NAMES


@pytest.mark.parametrize(
    ("button", "says", "never"),
    [
        ("繁體中文", "繁體中文", ("简体", "簡體")),
        ("简体中文", "简体中文", ("繁體", "繁体")),
        ("English", "in English", ("中文",)),
    ],
)
async def test_switching_language_confirms_the_language_chosen(
    bot: BotRunner, api: FakeBotAPI, button: str, says: str, never: tuple[str, ...]
) -> None:
    user = api.user(6101, first_name="Lee", language_code="zh-hans")
    await user.send("/language")
    await user.press(button)
    confirmation = last_text(user)
    assert says in confirmation
    for word in never:
        assert word not in confirmation


async def test_traditional_texts_use_taiwan_and_hong_kong_vocabulary(
    bot: BotRunner, api: FakeBotAPI
) -> None:
    user = api.user(6102, first_name="陳", language_code="zh-hk")
    await user.send("/privacy")
    privacy = last_text(user)
    assert privacy.startswith("個人資料說明")  # not 個人信息
    assert "Telegram 帳號" in privacy  # not 賬號
    assert "平台管理人員" in privacy  # not 平臺
    assert "信息" not in privacy
    await user.send("/register")
    await user.press("✅ 同意並繼續")
    await user.send("淮南市春風貿易有限公司")
    question = last_text(user)
    assert "營業執照上的 18 位代碼" in question  # not 程式碼
    assert "程式碼" not in question


async def test_deleteme_keeps_the_chosen_language(bot: BotRunner, owner: FakeUser) -> None:
    await register(owner)  # the client says zh-hans
    await owner.send("/language")
    await owner.press("English")
    await owner.send("/deleteme")
    assert "your choice of language are kept" in last_text(owner)
    await owner.press("🗑 Yes, erase my personal data")
    assert "Your personal data has been erased" in last_text(owner)
    assert await bot.enterprises.registration_of(owner.id) is None
    await owner.send("/privacy")
    assert "Your personal data" in last_text(owner)  # still English, not the client's Chinese


async def test_cancel_says_cancelled_in_english(bot: BotRunner, api: FakeBotAPI) -> None:
    user = api.user(6103, first_name="Ann", language_code="en")
    await user.send("/register")
    await user.send("/cancel")
    assert last_text(user) == (
        "Registration cancelled. Nothing you entered was saved. "
        "Send /register whenever you are ready."
    )
    await register(user, Answers(district="Tianjia'an District", industry="Manufacturing"), "en")
    await user.send("/ask")
    await user.send("/cancel")
    assert last_text(user) == "Cancelled."  # it said "Left."
