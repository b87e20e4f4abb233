"""The FAQ in the chat (§3.4): browse, free-text questions, feedback, on to a counsel."""

from __future__ import annotations

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner
from tests.telegram.people import wait
from tests.telegram.steps import last_text, register

DISCLAIMER = "以上为一般性法律信息，不构成针对您个案的法律意见"


async def test_browse_topics_questions_and_answer(bot: BotRunner, owner: FakeUser) -> None:
    await owner.send("/faq")
    assert "请选择主题" in last_text(owner)
    assert owner.last is not None
    topics = owner.last.button_labels
    assert len(topics) == 6
    labour = next(t for t in topics if "劳动" in t)
    await owner.press(labour)
    page = owner.last
    assert page is not None
    assert len([b for b in page.button_labels if b.startswith(("下一页", "📚"))]) >= 1
    questions = [b for b in page.button_labels if not b.startswith(("下一页", "◀️", "📚"))]
    assert 1 <= len(questions) <= 6
    if "下一页 ▶️" in page.button_labels:
        await owner.press("下一页 ▶️", page)
        assert owner.last is not None
        assert "◀️ 上一页" in owner.last.button_labels
    await owner.press(questions[0], page)
    answer = last_text(owner)
    assert questions[0][:20] in answer
    assert DISCLAIMER in answer
    assert "依据：" in answer
    assert owner.last is not None
    assert owner.last.button_labels[-1] == "🧑‍⚖️ 请律师解答"


async def test_free_text_question_gets_best_answer_alternatives_and_feedback(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("停工期间员工的工资到底要怎么发？")
    answer = owner.last
    assert answer is not None
    assert "工资" in answer.plain.split("\n")[0]
    assert DISCLAIMER in answer.plain
    alternatives = [b for b in answer.button_labels if b.startswith("❓")]
    assert len(alternatives) <= 2
    assert "👍 有帮助" in answer.button_labels
    await owner.press("👎 没帮助", answer)
    assert "抱歉没能帮上忙" in last_text(owner)
    row = await bot.db.fetchone("SELECT text, best_entry, helpful FROM faq_queries")
    assert row is not None
    assert tuple(row) == ("停工期间员工的工资到底要怎么发？", "wages-during-shutdown", 0)
    if alternatives:
        await owner.press(alternatives[0], answer)
        assert DISCLAIMER in last_text(owner)


async def test_unmatched_question_is_kept_for_admins(bot: BotRunner, owner: FakeUser) -> None:
    await owner.send("今天天气怎么样")
    assert "没有找到与您的问题足够匹配的解答" in last_text(owner)
    assert owner.last is not None
    assert owner.last.button_labels == ["🧑‍⚖️ 请律师解答", "📚 按主题浏览"]
    unanswered = await bot.app.bot_data["services"].faq._queries.unanswered()
    assert [q.text for q in unanswered] == ["今天天气怎么样"]


async def test_ask_a_counsel_opens_ask_with_the_question(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser
) -> None:
    await register(owner)
    question = "房东不肯减租，我们店停业三个月了怎么办"
    await owner.send(question)
    await owner.press("🧑‍⚖️ 请律师解答")
    assert question in last_text(owner)  # the request starts from the question
    await owner.press("合同履行与不可抗力")
    assert "这件事紧急吗" in last_text(owner)  # no need to describe it again
    await owner.press("一般")
    assert question in last_text(owner)
    await owner.press("✅ 提交求助")
    await wait(api, owner, "已收到您的求助")
    row = await bot.db.fetchone("SELECT description, category FROM cases")
    assert row is not None
    assert tuple(row) == (question, "contracts")


async def test_unregistered_owner_asking_a_counsel_is_led_to_register(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("公司被法院冻结账户了怎么办")
    await owner.press("🧑‍⚖️ 请律师解答")
    assert "请先登记企业" in last_text(owner)


async def test_traditional_and_english_questions(bot: BotRunner, api: FakeBotAPI) -> None:
    hk = api.user(3001, first_name="陳", language_code="zh-hk")
    await hk.send("疫情期間員工被隔離，工資還要照發嗎？")
    text = last_text(hk)
    assert "隔離" in text or "工資" in text
    assert "以上為一般性法律資訊" in text
    en = api.user(3002, first_name="Ann", language_code="en")
    await en.send("Can we delay paying our bank loan because of the lockdown?")
    text = last_text(en)
    assert "General information, not legal advice" in text
    assert "loan" in text.lower()
