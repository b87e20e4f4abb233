"""Scenario steps shared by the Telegram tests: what an owner does, in the words they see."""

from __future__ import annotations

from dataclasses import dataclass

from fake_telegram import FakeUser, Message


@dataclass(frozen=True)
class Answers:
    """What an owner types through registration."""

    enterprise: str = "淮南市春风机械制造有限公司"
    code: str = "91340400MA2N0000XY"
    district: str = "田家庵区"
    industry: str = "制造业"
    contact: str = "王芳"
    phone: str = "138 1234 5678"


# Labels of buttons, per language, as a person reads them on the screen.
BUTTONS = {
    "zh-hans": {
        "agree": "✅ 同意并继续",
        "confirm": "✅ 确认提交",
        "edit": "✏️ 修改某一项",
        "cancel": "✖️ 取消",
        "save": "✅ 保存修改",
        "register": "📝 登记企业",
    },
    "zh-hant": {
        "agree": "✅ 同意並繼續",
        "confirm": "✅ 確認提交",
        "edit": "✏️ 修改某一項",
        "cancel": "✖️ 取消",
        "save": "✅ 儲存修改",
        "register": "📝 登記企業",
    },
    "en": {
        "agree": "✅ I agree, continue",
        "confirm": "✅ Confirm",
        "edit": "✏️ Edit a field",
        "cancel": "✖️ Cancel",
        "save": "✅ Save changes",
        "register": "📝 Register my enterprise",
    },
}


def last_text(user: FakeUser) -> str:
    """The plain text of the latest bot message to the user."""
    message = user.last
    assert message is not None, "the bot has not written to the user"
    return message.plain


def texts_since(user: FakeUser, count: int) -> list[str]:
    """Plain texts of the bot messages after the first count ones."""
    return [m.plain for m in user.inbox[count:]]


async def fill_until_summary(
    user: FakeUser, answers: Answers = Answers(), lang: str = "zh-hans"
) -> Message:
    """Go from /register to the summary, answering each question; return the summary message."""
    await user.send("/register")
    await user.press(BUTTONS[lang]["agree"])
    await user.send(answers.enterprise)
    await user.send(answers.code)
    await user.press(answers.district)
    await user.press(answers.industry)
    await user.send(answers.contact)
    await user.send(answers.phone)
    summary = user.last
    assert summary is not None
    return summary


async def register(user: FakeUser, answers: Answers = Answers(), lang: str = "zh-hans") -> None:
    """The whole registration, confirmed."""
    await fill_until_summary(user, answers, lang)
    await user.press(BUTTONS[lang]["confirm"])
