"""Every kind of message reaches the case (issue 16; PRODUCT §3.2, §3.3, §4): relayed both ways
by copy with the case's signature, albums kept together, every kind accepted during /ask."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from fake_telegram import FakeBotAPI, FakeUser, Message
from tests.conftest import BotRunner
from tests.telegram.people import onboard, open_case, wait
from tests.telegram.steps import register

Send = Callable[[FakeUser], Awaitable[Message]]

# kind -> how a person sends one. Captioned kinds carry "说明" as their caption.
KINDS: dict[str, Send] = {
    "voice": lambda u: u.send_voice(42, caption="说明"),
    "audio": lambda u: u.send_audio(caption="说明"),
    "video": lambda u: u.send_video(caption="说明"),
    "animation": lambda u: u.send_animation(caption="说明"),
    "video_note": lambda u: u.send_video_note(),
    "sticker": lambda u: u.send_sticker("👌"),
    "location": lambda u: u.send_location(32.6264, 116.9998),
    "venue": lambda u: u.send_venue(),
    "contact": lambda u: u.share_contact("+8613955556666", user_id=55, first_name="李四"),
}
CAPTIONLESS = {"video_note", "sticker", "location", "venue", "contact"}


async def _case(api: FakeBotAPI, admin: FakeUser, owner: FakeUser) -> tuple[FakeUser, str]:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官", title="田家庵分局民警")
    await register(owner)
    number = await open_case(api, owner, "治安业务", "仓库门口有人拦车，货运不出去，怎么办？")
    await wait(api, liaison, f"新事项 {number}")
    return liaison, number


async def _copy_of(
    bot: BotRunner, api: FakeBotAPI, to: FakeUser, kind: str, after: int
) -> tuple[Message | None, Message]:
    """The copy of kind that reached to after message id after, and the message just before
    it (where the signature of a kind without caption goes)."""
    await bot.drained()
    arrived = [m for m in to.inbox if m.message_id > after]
    copy = next(m for m in arrived if m.kind == kind)
    before = [m for m in to.inbox if m.message_id < copy.message_id]
    return (before[-1] if before else None), copy


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_is_copied_both_ways_with_the_signature(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser, kind: str
) -> None:
    liaison, number = await _case(api, admin, owner)
    # owner -> staff
    mark = liaison.inbox[-1].message_id
    sent = await KINDS[kind](owner)
    before, copy = await _copy_of(bot, api, liaison, kind, mark)
    assert copy.copied_from == (owner.id, sent.message_id)
    assert copy.forwarded_from is None
    assert copy.media == sent.media
    if kind in CAPTIONLESS:
        assert copy.caption is None
        assert before is not None
        assert before.kind == "text"
        assert number in before.plain
        assert "春风" in before.plain
        assert "↓" in before.plain
    else:
        assert number in copy.plain
        assert "说明" in copy.plain
    confirmation = await wait(api, owner, "已转给")
    assert number in confirmation.plain

    # staff -> owner: the Reply button (a sticker or a location cannot be a Telegram reply
    # from every client), then the message
    mark = owner.inbox[-1].message_id
    await liaison.press("💬 回复")
    sent = await (
        liaison.share_contact("+8613800001111", user_id=77, first_name="王律师")
        if kind == "contact"
        else KINDS[kind](liaison)
    )
    before, copy = await _copy_of(bot, api, owner, kind, mark)
    assert copy.copied_from == (liaison.id, sent.message_id)
    signed = before.plain if kind in CAPTIONLESS and before is not None else copy.plain
    assert number in signed
    assert "张警官（田家庵分局民警）" in signed


async def test_a_location_reaches_the_liaison_as_a_location(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, _number = await _case(api, admin, owner)
    await owner.send_location(32.62640, 116.99980)
    await bot.drained()
    place = next(m for m in liaison.inbox if m.kind == "location")
    assert place.media == {"latitude": 32.6264, "longitude": 116.9998}
    history = await bot.db.fetchall(
        "SELECT file_kind, details FROM case_events WHERE kind = 'attachment'"
    )
    assert [r["file_kind"] for r in history] == ["location"]
    assert "32.62640, 116.99980" in history[0]["details"]


async def test_a_contact_card_is_information_never_the_owners_phone(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, _number = await _case(api, admin, owner)
    contacts = await bot.enterprises.contacts_of(1)
    phone_before = [c.phone for c in contacts]
    # Someone else's card, and then the owner's own: both are information for the case.
    await owner.share_contact("+8613955556666", user_id=55, first_name="李四")
    await owner.share_contact("+8613700002222")
    await bot.drained()
    cards = [m for m in liaison.inbox if m.kind == "contact"]
    assert [c.media["phone_number"] for c in cards] == ["+8613955556666", "+8613700002222"]
    assert [c.phone for c in await bot.enterprises.contacts_of(1)] == phone_before
    assert "13955556666" not in str(phone_before)
    assert any("2 条消息已转给" in m.plain for m in owner.inbox)  # both confirmed


async def test_a_poll_is_answered_saying_it_cannot_be_passed_on(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, _ = await _case(api, admin, owner)
    before = len(liaison.inbox)
    await owner.send_poll()
    assert owner.last is not None
    assert "投票无法转达" in owner.last.plain
    assert "语音消息" in owner.last.plain  # and what can
    await bot.drained()
    assert len(liaison.inbox) == before


async def test_a_voice_message_is_the_whole_description_of_a_request(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官", title="田家庵分局民警")
    await register(owner)
    await owner.send("/ask")
    await owner.press("治安业务")
    voice = await owner.send_voice(42)
    said = [m.plain for m in owner.inbox if m.message_id > voice.message_id]
    assert any("已收到语音消息（0:42）" in s for s in said)
    assert "紧急吗" in said[-1]  # the description is answered: next, the urgency
    await owner.press("一般")
    summary = owner.last
    assert summary is not None
    assert "描述：语音消息，0:42" in summary.plain
    assert "附件：1 个" in summary.plain
    await owner.press("✅ 提交求助")
    card = await wait(api, liaison, "新事项 HN-000001")
    assert "🎤 0:42" in card.plain
    await bot.drained()
    copy = next(m for m in liaison.inbox if m.kind == "voice")
    assert copy.copied_from == (owner.id, voice.message_id)
    assert copy.message_id > card.message_id


async def test_every_kind_is_an_attachment_during_ask(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await onboard(api, admin, 7001, "liaison", "张警官", title="田家庵分局民警")
    await register(owner)
    await owner.send("/ask")
    await owner.press("治安业务")
    await owner.send("仓库门口有人拦车，货运不出去")
    kinds = ["video", "video_note", "sticker", "location", "venue", "contact", "audio"]
    for kind in kinds:
        await KINDS[kind](owner)
        assert owner.last is not None
        assert "已收到附件" in owner.inbox[-2].plain or "已收到附件" in owner.last.plain
    await owner.send_poll()
    assert any("投票无法转达" in m.plain for m in owner.inbox[-3:])
    await owner.press("一般")
    summary = owner.last
    assert summary is not None
    assert f"附件：{len(kinds)} 个" in summary.plain
    await owner.press("✅ 提交求助")
    await wait(api, liaison, "新事项 HN-000001")
    await bot.drained()
    arrived = [m.kind for m in liaison.inbox if m.copied_from is not None]
    assert arrived == kinds
    # a kind without a caption is announced by a line of its own just before it
    sticker = next(m for m in liaison.inbox if m.kind == "sticker")
    before = [m for m in liaison.inbox if m.message_id < sticker.message_id][-1]
    assert "贴纸" in before.plain
    assert "HN-000001" in before.plain
