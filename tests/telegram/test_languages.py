"""/language and the Traditional Chinese texts, through the real Application (issue #10.9)."""

from __future__ import annotations

import pytest

from fake_telegram import FakeBotAPI
from tests.conftest import BotRunner
from tests.telegram.steps import last_text

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
