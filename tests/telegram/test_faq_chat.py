"""The FAQ in the chat (§3.4): browse, free-text questions, feedback, on to a counsel."""

from __future__ import annotations

from datetime import UTC, datetime

from fake_telegram import FakeBotAPI, FakeUser
from tests.conftest import BotRunner, FakeClock
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


QUESTION = "疫情期间企业社保费能否缓缴或减免？"


async def test_answer_shows_its_review_date_and_dated_measures(
    bot: BotRunner, api: FakeBotAPI, owner: FakeUser, clock: FakeClock
) -> None:
    clock.moment = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    await owner.send(QUESTION)
    text = last_text(owner)
    assert text.startswith(QUESTION)
    assert "用人单位应当按时足额缴纳社保费" in text  # the lasting part stays
    assert "⏹ 曾于2020年2月至2020年12月实施，现已结束：中小微企业免征" in text
    assert "本条于2026年12月1日经法律审核人员审核。" in text
    en = api.user(3003, first_name="Ann", language_code="en")
    await en.send("Can we defer or reduce social insurance contributions during the epidemic?")
    text = last_text(en)
    assert "An employer must pay its contributions in full and on time" in text
    assert "Applied from February 2020 to December 2020, now ended" in text
    assert "Reviewed on 1 December 2026 (legal reviewer)." in text


async def test_a_measure_in_force_is_shown_as_such_and_a_future_one_not_at_all(
    bot: BotRunner, owner: FakeUser, clock: FakeClock
) -> None:
    clock.moment = datetime(2020, 6, 1, 2, 0, tzinfo=UTC)
    await owner.send(QUESTION)
    text = last_text(owner)
    assert "📅 阶段性措施（2020年2月起至2020年12月止）：中小微企业免征" in text
    assert "稳岗返还：参保缴费满12个月" not in text  # the 2025 measure was not in force yet
    assert "已结束" not in text


async def test_a_borderline_question_gets_did_you_mean_buttons(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("员工的事")
    message = owner.last
    assert message is not None
    assert "您是不是想问下面这些问题" in message.plain
    suggestions = [b for b in message.button_labels if b.startswith("🔎 ")]
    assert len(suggestions) == 3
    assert message.button_labels[3:] == ["🧑‍⚖️ 请律师解答", "📚 按主题浏览"]
    await owner.press(suggestions[0], message)
    answer = owner.last
    assert answer is not None
    assert suggestions[0][2:] in answer.plain.split("\n")[0]
    assert DISCLAIMER in answer.plain
    assert "👍 有帮助" in answer.button_labels  # the owner's question is kept for feedback
    row = await bot.db.fetchone("SELECT text, best_entry FROM faq_queries")
    assert row is not None
    assert tuple(row) == ("员工的事", None)  # unanswered, for admins


async def test_small_talk_gets_a_greeting_back_and_is_not_kept(
    bot: BotRunner, owner: FakeUser
) -> None:
    await owner.send("你好，请问有人在吗？")
    message = owner.last
    assert message is not None
    assert message.plain.startswith("您好！请直接用自己的话输入您的问题")
    assert "没有找到" not in message.plain
    assert message.button_labels == ["📚 按主题浏览"]
    await owner.press("📚 按主题浏览", message)
    assert "请选择主题" in last_text(owner)
    # A greeting is not a question nobody could answer: admins do not see it.
    assert await bot.db.fetchone("SELECT text FROM faq_queries") is None
    # A greeting before a question does not stand in the question's way.
    await owner.send("你好，停业期间房租能减免吗？谢谢")
    assert DISCLAIMER in last_text(owner)
    row = await bot.db.fetchone("SELECT best_entry FROM faq_queries")
    assert row is not None
    assert row[0] == "lease-rent-relief"
