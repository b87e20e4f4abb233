"""Every kind of message reaches the case (issue 16; PRODUCT §3.2, §3.3, §4): relayed both ways
by copy with the case's signature, albums kept together, every kind accepted during /ask."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.domain.cases import AlbumKey, AlbumRelayed
from fake_telegram import FakeBotAPI, FakeUser, Message, server_port, start_server
from tests.conftest import ADMIN_ID, REPO, TOKEN, BotRunner, FakeClock, make_settings
from tests.telegram.people import onboard, open_case, wait
from tests.telegram.steps import register
from tests.test_cli import bot_env

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


async def _liaison(api: FakeBotAPI, admin: FakeUser, owner: FakeUser) -> FakeUser:
    """The district's liaison, and a registered owner."""
    liaison = await onboard(api, admin, 7001, "liaison", "张警官", title="田家庵分局民警")
    await register(owner)
    return liaison


async def _asking(api: FakeBotAPI, admin: FakeUser, owner: FakeUser) -> FakeUser:
    """A liaison, and an owner in /ask at the description."""
    liaison = await _liaison(api, admin, owner)
    await owner.send("/ask")
    await owner.press("治安业务")
    return liaison


async def _case(api: FakeBotAPI, admin: FakeUser, owner: FakeUser) -> tuple[FakeUser, str]:
    liaison = await _liaison(api, admin, owner)
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
    liaison = await _asking(api, admin, owner)
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
    liaison = await _asking(api, admin, owner)
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


async def _albums_complete(bot: BotRunner) -> None:
    """Let the album wait pass on the bot's clock, and wake the due work that relays them."""
    bot.clock.advance(seconds=bot.settings.cases.album_wait_seconds + 0.5)
    await bot.app.bot_data["due"].run_due(bot.clock.now())
    await bot.drained()


async def test_an_album_of_five_photos_is_one_relay_and_one_confirmation_in_order(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, number = await _case(api, admin, owner)
    mark_staff, mark_owner = liaison.inbox[-1].message_id, owner.inbox[-1].message_id
    album = await owner.send_album(5, caption="合同五页")
    await bot.drained()
    assert liaison.inbox[-1].message_id == mark_staff  # collected, not relayed one by one
    assert owner.inbox[-1].message_id == mark_owner  # and not confirmed one by one
    await _albums_complete(bot)

    arrived = [m for m in liaison.inbox if m.message_id > mark_staff]
    signature, *photos = arrived
    assert number in signature.plain
    assert "一组 5 项" in signature.plain
    assert [m.copied_from for m in photos] == [(owner.id, m.message_id) for m in album]
    assert len({m.media_group_id for m in photos}) == 1
    assert photos[0].media_group_id is not None
    assert photos[0].plain == "合同五页"
    confirmations = [m for m in owner.inbox if m.message_id > mark_owner]
    assert len(confirmations) == 1
    assert "已转给" in confirmations[0].plain
    history = await bot.db.fetchall(
        "SELECT file_kind, details FROM case_events WHERE kind = 'attachment'"
    )
    assert [r["file_kind"] for r in history] == ["album"]
    assert history[0]["details"].count('"kind": "photo"') == 5
    # A reply to any photo of the album reaches the case.
    await liaison.reply(photos[3], "第四页的签字不清楚")
    await wait(api, owner, "第四页的签字不清楚")
    # Nothing more happens when the due work runs again.
    await bot.drained()
    before = len(liaison.inbox)
    await _albums_complete(bot)
    assert len(liaison.inbox) == before
    # A second relay of the same album (another process's flush) is refused and rolled back.
    services = bot.app.bot_data["services"]
    actor = await services.accounts.actor(owner.id)
    case = await services.queries.get(actor, 1)
    items = list((await services.albums.album(_key(album))).items)
    queued = (await bot.outbox.stats()).pending
    with pytest.raises(AlbumRelayed):
        await services.relay.from_owner(actor, case, None, None, items, collected=_key(album))
    assert (await bot.outbox.stats()).pending == queued
    events = await bot.db.fetchall("SELECT id FROM case_events WHERE kind = 'attachment'")
    assert len(events) == 1


def _key(album: list[Message]) -> AlbumKey:
    group = album[0].media_group_id
    assert group is not None
    return AlbumKey(album[0].chat_id, group)


async def test_staff_send_an_album_to_the_owner(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, number = await _case(api, admin, owner)
    await liaison.press("💬 回复")
    mark = owner.inbox[-1].message_id
    sent = await liaison.send_album(3, kind="document", caption="需要填写的表格")
    await _albums_complete(bot)
    arrived = [m for m in owner.inbox if m.message_id > mark]
    assert number in arrived[0].plain
    assert "张警官（田家庵分局民警）" in arrived[0].plain
    assert [m.copied_from for m in arrived[1:]] == [(liaison.id, m.message_id) for m in sent]
    assert [m.kind for m in arrived[1:]] == ["document"] * 3
    assert len([m for m in liaison.inbox if "已发给企业" in m.plain]) == 1


async def test_an_album_during_ask_is_confirmed_once_and_reaches_staff_as_an_album(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison = await _asking(api, admin, owner)
    mark = owner.inbox[-1].message_id
    album = await owner.send_album(4)
    answers = [m for m in owner.inbox if m.message_id > mark]
    assert len(answers) == 1
    assert "已收到一组附件" in answers[0].plain
    await owner.send("仓库门口有人拦车，货运不出去")
    await owner.press("一般")
    assert owner.last is not None
    assert "附件：4 个" in owner.last.plain
    await owner.press("✅ 提交求助")
    card = await wait(api, liaison, "新事项 HN-000001")
    await bot.drained()
    after = [m for m in liaison.inbox if m.message_id > card.message_id]
    assert "一组 4 项" in after[0].plain
    assert [m.copied_from for m in after[1:]] == [(owner.id, m.message_id) for m in album]
    assert len({m.media_group_id for m in after[1:]}) == 1


async def test_an_album_over_the_attachment_limit_is_refused_once(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    await _asking(api, admin, owner)
    for _ in range(8):
        await owner.send_photo()
    mark = owner.inbox[-1].message_id
    await owner.send_album(5)
    answers = [m.plain for m in owner.inbox if m.message_id > mark]
    assert len(answers) == 2  # "album received", then the limit, once
    assert "其余部分没有保存" in answers[1]
    dialog = await bot.dialogs.load_dialog("intake", owner.id, owner.id)
    assert dialog is not None
    assert len(dialog.data["attachments"]) == 10


async def test_an_album_held_for_which_case_goes_whole_to_the_chosen_case(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, _ = await _case(api, admin, owner)
    second = await open_case(api, owner, "治安业务", "另一个仓库的门锁被人撬了")
    await wait(api, liaison, f"新事项 {second}")
    mark = owner.inbox[-1].message_id
    album = await owner.send_album(3)
    asked = [m for m in owner.inbox if m.message_id > mark]
    assert len(asked) == 1  # "which case?" once, not once per photo
    mark_staff = liaison.inbox[-1].message_id
    await owner.press(next(b for b in asked[0].button_labels if second in b))
    await bot.drained()
    arrived = [m for m in liaison.inbox if m.message_id > mark_staff]
    assert second in arrived[0].plain
    assert [m.copied_from for m in arrived[1:]] == [(owner.id, m.message_id) for m in album]
    assert len({m.media_group_id for m in arrived[1:]}) == 1


async def test_after_a_kill_a_half_received_album_is_relayed_whole_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    """kill -9 of a real bot process after 3 of 5 items: the restarted bot relays all 5, once."""
    api = FakeBotAPI(token=TOKEN)
    server = await start_server(api, "127.0.0.1", 0)
    database = tmp_path / "legal-aid.db"
    env = bot_env(
        tmp_path,
        server_port(server),
        LEGAL_AID_STORAGE_DATABASE=str(database),
        LEGAL_AID_TELEGRAM_POLL_TIMEOUT="1",
        LEGAL_AID_CASES_ALBUM_WAIT_SECONDS="4",
    )
    log = (tmp_path / "bot.log").open("wb")
    runner = BotRunner(api, make_settings(tmp_path), clock)
    await runner.start()
    try:
        owner = api.user(1001, first_name="王", last_name="芳")
        liaison, number = await _case(api, api.user(ADMIN_ID, "Admin"), owner)
        await runner.drained()
    finally:
        await runner.stop()

    def items() -> int:
        with sqlite3.connect(database) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM album_items").fetchone()[0])

    async def run_bot() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=REPO, stdout=log, stderr=log
        )

    def copies() -> list[Message]:
        return [m for m in liaison.inbox if m.kind == "photo" and m.copied_from is not None]

    process = await run_bot()
    try:
        group = api.new_media_group_id()
        album = [await owner.send_photo("合同第1页", media_group_id=group)]
        album += [await owner.send_photo(media_group_id=group) for _ in range(2)]
        await _until(lambda: items() == 3, within=30)
        process.kill()  # SIGKILL: no shutdown, nothing flushed
        await process.wait()
        assert copies() == []
        album += [await owner.send_photo(media_group_id=group) for _ in range(2)]
        process = await run_bot()
        await _until(lambda: len(copies()) == 5, within=40)
        await asyncio.sleep(5)  # longer than the album wait: nothing is relayed again
    finally:
        process.terminate()
        await process.wait()
        log.close()
        api.interrupt_polls()
        await server.cleanup()
    assert [m.copied_from for m in copies()] == [(owner.id, m.message_id) for m in album]
    assert len({m.media_group_id for m in copies()}) == 1
    signatures = [m for m in liaison.inbox if "一组 5 项" in m.plain]
    assert len(signatures) == 1
    assert number in signatures[0].plain
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT file_kind FROM case_events WHERE kind = 'attachment'"
        ).fetchall()
    assert rows == [("album",)]


async def _until(condition: Callable[[], bool], within: float) -> None:
    """Wait for a condition another process brings about (it has no event to wait on)."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


async def test_a_copy_telegram_refuses_is_told_to_its_sender(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    liaison, number = await _case(api, admin, owner)
    api.fail_next("copyMessage", status=400)  # e.g. the owner deleted it before the copy
    await owner.send_video(caption="现场视频")
    notice = await wait(api, owner, "未能转达")
    assert number in notice.plain
    assert "重新发送" in notice.plain
    await bot.drained()
    assert not [m for m in liaison.inbox if m.kind == "video"]


async def test_a_file_over_the_download_limit_is_relayed_by_copy(
    bot: BotRunner, api: FakeBotAPI, admin: FakeUser, owner: FakeUser
) -> None:
    """Bots may download 20 MB at most; a copy needs no download, so size is no limit."""
    liaison, number = await _case(api, admin, owner)
    sent = await owner.send_video(600, caption="监控录像", size=300 * 1024 * 1024)
    copy = await wait(api, liaison, "监控录像")
    assert number in copy.plain
    assert copy.kind == "video"
    assert copy.copied_from == (owner.id, sent.message_id)
    assert copy.media["file_size"] == 300 * 1024 * 1024
    history = await bot.db.fetchall("SELECT details FROM case_events WHERE file_kind = 'video'")
    assert '"duration": 600' in history[0]["details"]
