"""Tests of the fake Telegram Bot API, driven by a real python-telegram-bot ``Bot``."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonWebApp,
    ReplyKeyboardMarkup,
    Update,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from fake_telegram import (
    TINY_PNG,
    ApiError,
    FakeBotAPI,
    HtmlParseError,
    RateLimits,
    mock_transport,
    parse_html,
    server_port,
    snapshot,
    start_server,
    supported_methods,
)
from fake_telegram.__main__ import parse_args
from fake_telegram.console import Console
from fake_telegram.ptb import connect_application, fake_bot

TOKEN = "123456:TEST-TOKEN"
USER_ID = 10001
ADMIN_ID = 20002


def _keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}")] for label in labels]
    )


class FakeClock:
    """Manually advanced monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> FakeBotAPI:
    fake = FakeBotAPI(TOKEN)
    fake.user(USER_ID, "张三")
    fake.user(ADMIN_ID, "Admin", language_code="en")
    return fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    request = HTTPXRequest(httpx_kwargs={"transport": mock_transport(api)})
    updates_request = HTTPXRequest(httpx_kwargs={"transport": mock_transport(api)})
    async with Bot(
        TOKEN,
        base_url="http://fake/bot",
        base_file_url="http://fake/file/bot",
        request=request,
        get_updates_request=updates_request,
    ) as real_bot:
        yield real_bot


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when building RetryAfter with int periods; opt in to timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


# == basics ========================================================================================
async def test_get_me_and_get_chat(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123456
    assert me.username == "fake_legal_aid_bot"
    chat = await bot.get_chat(USER_ID)
    assert chat.first_name == "张三"
    assert chat.type == "private"


async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    wrong = fake_bot(api, token="999:WRONG")
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()
    finally:
        await wrong.shutdown()
    assert (await api.handle("999:WRONG", "getMe", {}))[0] == 401


async def test_any_token_accepted_without_token() -> None:
    api = FakeBotAPI()
    async with fake_bot(api, token="42:ANYTHING") as any_bot:
        assert (await any_bot.get_me()).id == 123456789


async def test_unknown_method_and_case_insensitive_names(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    status, body = await api.handle(TOKEN, "GETME", {})
    assert status == 200
    assert body["result"]["is_bot"] is True
    status, body = await api.handle(TOKEN, "fooBar", {})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert "setMyDescription" in supported_methods()
    assert await bot.set_my_description("法律援助")


async def test_form_json_and_query_bodies_are_decoded(api: FakeBotAPI) -> None:
    markup = json.dumps({"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]})
    async with httpx.AsyncClient(transport=mock_transport(api), base_url="http://x") as client:
        form = await client.post(
            f"/bot{TOKEN}/sendMessage",
            data={"chat_id": str(USER_ID), "text": "hi", "reply_markup": markup},
        )
        as_json = await client.post(
            f"/bot{TOKEN}/SendMessage", json={"chat_id": USER_ID, "text": "json"}
        )
        query = await client.get(f"/bot{TOKEN}/sendMessage?chat_id={USER_ID}&text=q")
    assert form.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "OK"
    assert as_json.json()["ok"] is True
    assert query.json()["result"]["text"] == "q"
    assert [m.plain for m in api.sent_to(USER_ID)] == ["hi", "json", "q"]


# == HTML parse mode ===============================================================================
async def test_html_is_parsed_into_plain_text_and_entities(api: FakeBotAPI, bot: Bot) -> None:
    html = '<b>粗</b> <a href="https://example.org/x?a=1&amp;b=2">链接</a> &lt;3 &#128512;&#x41;'
    message = await bot.send_message(USER_ID, html, parse_mode="html")
    assert message.text == "粗 链接 <3 😀A"
    assert [e.type for e in message.entities] == ["bold", "text_link"]
    assert message.entities[1].url == "https://example.org/x?a=1&b=2"
    recorded = api.last_bot_message(USER_ID)
    assert recorded is not None
    assert recorded.text == html
    assert recorded.plain == "粗 链接 <3 😀A"
    assert recorded.parse_mode == "HTML"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("你好<foo>", 'unsupported start tag "foo" at byte offset 6'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", "at byte offset 4"),
        ("&nbsp;", 'unsupported html entity "&nbsp;" at byte offset 0'),
        ("<b>unclosed", 'can\'t find end tag corresponding to start tag "b" at byte offset 0'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ('<span class="x">s</span>', 'tag "span" must have class "tg-spoiler"'),
        ("<b", "unclosed start tag at byte offset 0"),
    ],
)
async def test_bad_html_is_refused(bot: Bot, html: str, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER_ID, html, parse_mode="HTML")
    assert caught.value.message.lower().startswith("can't parse entities: ")
    assert reason in caught.value.message.lower()


def test_html_parser_details() -> None:
    parsed = parse_html(
        '😀<i>x</i><pre><code class="language-python">p</code></pre>'
        '<blockquote expandable>q</blockquote><tg-emoji emoji-id="5368324170671202286">👍'
        '</tg-emoji><span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
    )
    assert parsed.plain == "😀xpq👍st"
    assert parsed.entities == [
        {"offset": 2, "length": 1, "type": "italic"},  # the emoji counts 2 UTF-16 units
        {"offset": 3, "length": 1, "type": "pre", "language": "python"},
        {"offset": 4, "length": 1, "type": "expandable_blockquote"},
        {
            "offset": 5,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
        {"offset": 7, "length": 1, "type": "spoiler"},
        {"offset": 8, "length": 1, "type": "spoiler"},
    ]
    with pytest.raises(HtmlParseError) as caught:
        parse_html("ok &bogus")
    assert caught.value.byte_offset == 3


async def test_markdown_is_recorded_unvalidated(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(USER_ID, "*bold* _x", parse_mode="MarkdownV2")
    assert message.text == "*bold* _x"
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(USER_ID, "x", parse_mode="HTML5")


# == lengths =======================================================================================
async def test_text_length_limits(bot: Bot) -> None:
    await bot.send_message(USER_ID, "a" * 4096)
    await bot.send_message(USER_ID, "&amp;" * 4096, parse_mode="HTML")  # 4096 after decoding
    for too_long in ("a" * 4097, "😀" * 2049):  # 2049 emoji = 4098 UTF-16 units
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER_ID, too_long)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER_ID, "<b>" + "&amp;" * 4097 + "</b>", parse_mode="HTML")
    for empty in ("", "   \n", "<b> </b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER_ID, empty, parse_mode="HTML")


async def test_caption_length_limit(bot: Bot) -> None:
    await bot.send_photo(USER_ID, TINY_PNG, caption="c" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER_ID, TINY_PNG, caption="c" * 1025)


# == keyboards =====================================================================================
async def test_callback_data_limit(bot: Bot) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=_keyboard("x" * 61))  # "cb:" + 61 = 64
    for label in ("x" * 62, "中" * 21):  # 65 bytes, 3 + 63 bytes of UTF-8
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER_ID, "no", reply_markup=_keyboard(label))


async def test_inline_button_rules(api: FakeBotAPI, bot: Bot) -> None:
    for url in ("ftp://example.org", "http://localhost:8080/x", "javascript:alert(1)"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("go", url=url)]])
        with pytest.raises(BadRequest) as caught:
            await bot.send_message(USER_ID, "x", reply_markup=markup)
        assert caught.value.message == f"Inline keyboard button url '{url}' is invalid"
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("go", url="https://example.org")]])
    await bot.send_message(USER_ID, "x", reply_markup=ok)
    two_actions = {
        "inline_keyboard": [[{"text": "b", "url": "https://a.cn", "callback_data": "d"}]]
    }
    no_action = {"inline_keyboard": [[{"text": "b"}]]}
    for markup_json in (two_actions, no_action):
        with pytest.raises(ApiError, match="can't parse inline keyboard button"):
            await api.call("sendMessage", chat_id=USER_ID, text="x", reply_markup=markup_json)


async def test_reply_keyboard_is_recorded_but_not_echoed(api: FakeBotAPI, bot: Bot) -> None:
    markup = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True)]])
    message = await bot.send_message(USER_ID, "请分享", reply_markup=markup)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    recorded = api.last_bot_message(USER_ID)
    assert recorded is not None
    assert recorded.reply_keyboard_labels == ["分享手机号"]


# == chats =========================================================================================
async def test_unknown_chat_and_blocked_user(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(55555, "hello")
    user = api.users[USER_ID]
    user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "hello")
    user.unblock()
    await bot.send_message(USER_ID, "hello again")
    user.block()
    await user.send("/start")  # writing to the bot unblocks it
    assert not user.blocked
    api.add_chat(-1001, "supergroup", title="律师群")
    await bot.send_message(-1001, "group ok")
    assert api.sent_to(-1001)[0].plain == "group ok"


async def test_reply_to_missing_message(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER_ID, "x", reply_to_message_id=999)
    incoming = await api.users[USER_ID].send("question")
    answer = await bot.send_message(USER_ID, "answer", reply_to_message_id=incoming.message_id)
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"


# == edits, deletes, callbacks =====================================================================
async def test_edit_message_rules(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(
        USER_ID, "<b>v1</b>", parse_mode="HTML", reply_markup=_keyboard("A")
    )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", USER_ID, sent.message_id, parse_mode="HTML", reply_markup=_keyboard("A")
        )
    edited = await bot.edit_message_text(
        "v2", USER_ID, sent.message_id, reply_markup=_keyboard("B")
    )
    assert edited.text == "v2"
    assert edited.edit_date is not None
    recorded = api.sent_to(USER_ID)[-1]
    assert recorded.edits == ["<b>v1</b>"]
    assert recorded.button_labels == ["B"]
    await bot.edit_message_text("v3", USER_ID, sent.message_id)  # no markup: keyboard removed
    assert recorded.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER_ID, sent.message_id)
    await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=_keyboard("C"))
    assert recorded.button_labels == ["C"]
    photo = await bot.send_photo(USER_ID, TINY_PNG, caption="old")
    await bot.edit_message_caption(
        USER_ID, photo.message_id, caption="<i>new</i>", parse_mode="HTML"
    )
    assert api.sent_to(USER_ID)[-1].plain == "new"
    assert api.sent_to(USER_ID)[-1].edits == ["old"]


async def test_delete_message(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER_ID, "temporary")
    assert await bot.delete_message(USER_ID, sent.message_id)
    assert api.sent_to(USER_ID) == []
    assert api.sent_to(USER_ID, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)


async def test_press_produces_a_callback_query_ptb_parses(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    await bot.send_message(USER_ID, "older", reply_markup=_keyboard("旧"))
    await bot.send_message(
        USER_ID, "<b>选择</b>", parse_mode="HTML", reply_markup=_keyboard("是", "否")
    )
    query_id = await user.press("否")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "cb:否"
    assert query.from_user.id == USER_ID
    assert query.message.text == "选择"
    assert query.message.reply_markup.inline_keyboard[1][0].text == "否"
    await user.press("旧")  # found on an older message
    assert (await bot.get_updates(offset=updates[-1].update_id + 1))[
        0
    ].callback_query.data == "cb:旧"
    with pytest.raises(AssertionError, match=r"no inline button '没有'.*'是', '否'"):
        await user.press("没有")

    assert await bot.answer_callback_query(query_id, text="已收到", show_alert=True)
    answer = api.callback_answers[-1]
    assert (answer.text, answer.show_alert, answer.data) == ("已收到", True, "cb:否")
    for invalid in (query_id, "12345"):  # answered already / never issued
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(invalid)


async def test_old_callback_query_expires(api: FakeBotAPI, bot: Bot) -> None:
    clock = FakeClock()
    api.clock = clock
    message = await bot.send_message(USER_ID, "x", reply_markup=_keyboard("A"))
    recorded = api.message(USER_ID, message.message_id)
    assert recorded is not None
    query_id = await api.users[USER_ID].press_data(recorded, "forged")
    assert api.pending_updates[-1]["callback_query"]["data"] == "forged"
    clock.now += api.callback_query_ttl + 1
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


# == rate limits and faults ========================================================================
@pytest.mark.usefixtures("ptb_timedelta")
async def test_rate_limits_private_chat(api: FakeBotAPI, bot: Bot) -> None:
    clock = FakeClock()
    api.clock = clock
    for _ in range(5):
        await bot.send_message(USER_ID, "off by default")
    api.rate_limits_enabled = True
    api.rate_limits = RateLimits(private_burst=3)
    for _ in range(3):
        await bot.send_message(USER_ID, "burst")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "too fast")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert await bot.send_chat_action(USER_ID, "typing")  # not a message: not counted
    clock.now += 1.0
    await bot.send_message(USER_ID, "after waiting")
    status, body = await api.handle(TOKEN, "sendMessage", {"chat_id": USER_ID, "text": "x"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


@pytest.mark.usefixtures("ptb_timedelta")
async def test_rate_limits_group_and_global(api: FakeBotAPI, bot: Bot) -> None:
    api.clock = clock = FakeClock()
    api.rate_limits_enabled = True
    api.add_chat(-500, "group")
    for _ in range(20):
        await bot.send_message(-500, "group")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(-500, "21st in a minute")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)

    clock.now += 60
    for user_id in range(1, 31):
        api.user(user_id)
        await bot.send_message(user_id, "one each")
    api.user(31)
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "31st in a second")


async def test_fail_next(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", status=500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(USER_ID, "lost")
    await bot.send_message(USER_ID, "delivered")
    assert [m.plain for m in api.sent_to(USER_ID)] == ["delivered"]
    api.fail_next(None, status=502)
    with pytest.raises(NetworkError):
        await bot.get_chat(USER_ID)
    assert api.calls["sendMessage"] == 3
    assert api.calls["getChat"] == 1


async def test_fault_rates(api: FakeBotAPI, bot: Bot) -> None:
    api.set_fault_rate(server_error=1.0)
    with pytest.raises(NetworkError):
        await bot.send_message(USER_ID, "never recorded")
    assert api.sent_to(USER_ID) == []
    api.set_fault_rate(lose_response=1.0)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER_ID, "recorded, answer lost")
    assert [m.plain for m in api.sent_to(USER_ID)] == ["recorded, answer lost"]
    api.set_fault_rate(server_error=0.5, seed=7)
    outcomes = []
    for _ in range(20):
        try:
            await bot.send_message(USER_ID, "maybe")
            outcomes.append(True)
        except NetworkError:
            outcomes.append(False)
    assert 0 < sum(outcomes) < 20
    api.set_fault_rate()
    api.delay = 0.05
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.get_me()
    assert loop.time() - started >= 0.05


# == updates =======================================================================================
async def test_get_updates_long_poll(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=0.2) == ()
    assert loop.time() - started >= 0.2

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await user.send("/start 邀请码")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0].message.text == "/start 邀请码"
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)

    await user.send("second")
    await user.send("third")
    again = await bot.get_updates(offset=updates[0].update_id + 1, limit=1)
    assert [u.message.text for u in again] == ["second"]
    assert len(api.pending_updates) == 2
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert api.pending_updates == []


async def test_webhook_blocks_polling(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="an https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_wait_for_message(api: FakeBotAPI, bot: Bot) -> None:
    incoming = await api.users[USER_ID].send("hi")

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(USER_ID, "first")
        await bot.send_message(USER_ID, "wanted")

    task = asyncio.create_task(reply_later())
    got = await api.wait_for_message(
        USER_ID, lambda m: m.plain == "wanted", after_message_id=incoming.message_id
    )
    await task
    assert got.plain == "wanted"
    with pytest.raises(TimeoutError, match="no bot message"):
        await api.wait_for_message(USER_ID, timeout=0.05)


# == copy, forward, files ==========================================================================
async def test_copy_and_forward_messages(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    photo = await user.send_photo(caption="营业执照")
    copied = await bot.copy_message(ADMIN_ID, USER_ID, photo.message_id, caption="来自 10001")
    copy = api.sent_to(ADMIN_ID)[-1]
    assert copy.message_id == copied.message_id
    assert (copy.kind, copy.plain, copy.file_id) == ("photo", "来自 10001", photo.file_id)
    assert copy.copied_from == (USER_ID, photo.message_id)

    answer = await bot.send_message(ADMIN_ID, "<b>答复</b>", parse_mode="HTML")
    await bot.copy_message(USER_ID, ADMIN_ID, answer.message_id)  # a bot message, too
    assert api.last_bot_message(USER_ID).plain == "答复"

    forwarded = await bot.forward_message(ADMIN_ID, USER_ID, photo.message_id)
    assert forwarded.forward_origin.sender_user.id == USER_ID
    assert forwarded.caption == "营业执照"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(ADMIN_ID, USER_ID, 999)


async def test_media_kinds_parse_in_ptb_and_copy_as_telegram_does(
    api: FakeBotAPI, bot: Bot
) -> None:
    user = api.users[USER_ID]
    parsed: dict[str, Any] = {}

    async def remember(data: dict[str, Any]) -> None:
        parsed["message"] = Update.de_json(data, bot).message

    api.on_update = remember
    voice = await user.send_voice(42, caption="说明")
    assert parsed["message"].voice.duration.total_seconds() == 42
    venue = await user.send_venue("派出所", "洞山中路 1 号")
    assert parsed["message"].venue.title == "派出所"
    assert parsed["message"].location is not None  # a venue comes with its location
    gif = await user.send_animation()
    assert parsed["message"].animation is not None
    assert parsed["message"].document is not None  # and an animation as a document
    note = await user.send_video_note()
    sticker = await user.send_sticker()
    for message in (voice, venue, gif):
        await bot.copy_message(ADMIN_ID, USER_ID, message.message_id, caption="签名")
    assert [m.kind for m in api.sent_to(ADMIN_ID)] == ["voice", "venue", "animation"]
    assert api.sent_to(ADMIN_ID)[0].plain == "签名"
    # A kind that cannot carry a caption keeps none, whatever the request said.
    for message in (note, sticker):
        await bot.copy_message(ADMIN_ID, USER_ID, message.message_id, caption="签名")
        assert api.sent_to(ADMIN_ID)[-1].caption is None
    assert api.sent_to(ADMIN_ID)[1].caption is None  # the venue


async def test_copy_messages_keeps_the_album_in_order(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    album = await user.send_album(3, caption="合同三页")
    groups = {m.media_group_id for m in album}
    assert len(groups) == 1
    assert None not in groups
    ids = [m.message_id for m in album]
    with pytest.raises(BadRequest, match="strictly increasing"):
        await bot.copy_messages(ADMIN_ID, USER_ID, [ids[1], ids[0]])
    copies = await bot.copy_messages(ADMIN_ID, USER_ID, [*ids, 999])  # missing ones skipped
    assert len(copies) == 3
    sent = api.sent_to(ADMIN_ID)
    assert [m.message_id for m in sent] == [c.message_id for c in copies]
    assert [m.copied_from for m in sent] == [(USER_ID, i) for i in ids]
    new_groups = {m.media_group_id for m in sent}
    assert len(new_groups) == 1
    assert new_groups != groups  # a new album in the target chat
    assert sent[0].plain == "合同三页"  # its own captions travel with it
    await bot.copy_messages(ADMIN_ID, USER_ID, ids, remove_caption=True)
    assert api.sent_to(ADMIN_ID)[-3].caption is None
    with pytest.raises(BadRequest, match="not found"):
        await bot.copy_messages(ADMIN_ID, USER_ID, [998, 999])


async def test_file_upload_get_file_and_download(api: FakeBotAPI, bot: Bot) -> None:
    content = b"%PDF-1.4\n%test\n%%EOF\n"
    message = await bot.send_document(USER_ID, content, filename="合同.pdf", caption="合同")
    assert message.document.file_name == "合同.pdf"
    assert api.sent_to(USER_ID)[-1].file_id == message.document.file_id
    tg_file = await bot.get_file(message.document.file_id)
    assert tg_file.file_path.startswith("http://fake/file/bot" + TOKEN + "/documents/")
    assert bytes(await tg_file.download_as_bytearray()) == content

    photo = await bot.send_photo(USER_ID, TINY_PNG)
    assert len(photo.photo) == 2
    assert bytes(await (await photo.photo[-1].get_file()).download_as_bytearray()) == TINY_PNG
    resent = await bot.send_photo(ADMIN_ID, photo.photo[-1].file_id)  # by file_id
    assert resent.photo[-1].file_id == photo.photo[-1].file_id
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(USER_ID, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(USER_ID, "no-such-file-id")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")

    incoming = await api.users[USER_ID].send_document("证据.pdf")
    user_file = await bot.get_file(incoming.file_id)
    assert (await user_file.download_as_bytearray()).startswith(b"%PDF")


# == commands and menu ============================================================================
async def test_commands_per_scope_and_language(api: FakeBotAPI, bot: Bot) -> None:
    admin_commands = [BotCommand("cases", "待办案件"), BotCommand("notice", "发布通知")]
    scope = BotCommandScopeChat(ADMIN_ID)
    assert await bot.set_my_commands(admin_commands, scope=scope)
    assert await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    got = await bot.get_my_commands(scope=scope)
    assert [c.command for c in got] == ["cases", "notice"]
    assert await bot.get_my_commands() == ()  # default scope, no language: nothing set
    assert api.commands({"type": "chat", "chat_id": ADMIN_ID})[0]["description"] == "待办案件"
    assert api.commands(language_code="zh") == [{"command": "start", "description": "开始"}]
    with pytest.raises(BadRequest, match="Invalid language code"):
        await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh-hans")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands(admin_commands, scope=BotCommandScopeChat(4242))
    assert await bot.delete_my_commands(scope=scope)
    assert await bot.get_my_commands(scope=scope) == ()


async def test_menu_button_and_chat_action(api: FakeBotAPI, bot: Bot) -> None:
    button = MenuButtonWebApp("案件", WebAppInfo("https://example.org/app"))
    assert await bot.set_chat_menu_button(USER_ID, button)
    assert (await bot.get_chat_menu_button(USER_ID)).text == "案件"
    assert (await bot.get_chat_menu_button()).type == "commands"
    assert await bot.send_chat_action(USER_ID, "upload_document")
    assert api.chat_actions == [(USER_ID, "upload_document")]
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER_ID, "dancing")


# == users =========================================================================================
async def test_user_messages_parse_as_ptb_updates(api: FakeBotAPI, bot: Bot) -> None:
    received: list[Update] = []

    async def on_update(data: dict[str, Any]) -> None:
        received.append(Update.de_json(data, bot))

    api.on_update = on_update
    user = api.users[USER_ID]
    question = await bot.send_message(USER_ID, "请问？")
    recorded_question = api.message(USER_ID, question.message_id)
    assert recorded_question is not None
    await user.reply(recorded_question, "回答")
    await user.share_contact("+8613812345678")
    await user.share_contact("8613900000000", user_id=30003, first_name="李四")
    await user.send_sticker()
    await user.send_location()
    await user.send_photo("照片")
    assert received[0].message.reply_to_message.text == "请问？"
    assert received[1].message.contact.user_id == USER_ID
    assert received[1].message.contact.phone_number == "+8613812345678"
    assert received[2].message.contact.user_id == 30003
    assert received[3].message.sticker.emoji == "👍"
    assert received[4].message.location.latitude == pytest.approx(31.2304)
    assert received[5].message.caption == "照片"
    assert received[0].message.from_user.language_code == "zh-hans"
    assert [m.message_id for m in api.history(USER_ID)] == list(range(1, 8))
    assert user.last is not None
    assert user.inbox == [user.last]
    assert api.pending_updates == []  # delivered directly, not queued


async def test_application_end_to_end(api: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_html(
            "<b>欢迎</b>，请选择：", reply_markup=_keyboard("登记", "咨询")
        )

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("好的")
        await query.edit_message_text(f"已选择：{query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    application = ApplicationBuilder().bot(fake_bot(api)).updater(None).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(choose))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        connect_application(api, application)
        user = api.users[USER_ID]
        await user.send("/start")
        assert user.last is not None
        assert user.last.plain == "欢迎，请选择："
        await user.press("咨询")
        assert user.last.plain == "已选择：cb:咨询"
        assert user.last.reply_markup is None
        assert api.callback_answers[-1].text == "好的"
        await user.send("你好")
        assert user.last.plain == "你好"


async def test_application_polling_in_process(api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("echo: " + update.effective_message.text)

    application: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder().bot(fake_bot(api)).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        sent = await api.users[USER_ID].send("ping")
        reply = await api.wait_for_message(USER_ID, after_message_id=sent.message_id)
        assert reply.plain == "echo: ping"
        await application.updater.stop()
        await application.stop()
    assert api.pending_updates == []  # confirmed on stop


# == HTTP server ===================================================================================
async def test_server_long_poll_control_endpoints_and_files() -> None:
    api = FakeBotAPI(TOKEN)
    runner = await start_server(api, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server_port(runner)}"
    try:
        async with (
            Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as real_bot,
            httpx.AsyncClient(base_url=base) as control,
        ):
            poll = asyncio.create_task(real_bot.get_updates(timeout=5))
            await asyncio.sleep(0.1)
            sent = await control.post(f"/_fake/users/{USER_ID}/send", json={"text": "/start"})
            assert sent.json()["message"]["plain"] == "/start"
            updates = await asyncio.wait_for(poll, 3)
            assert updates[0].message.text == "/start"

            await real_bot.send_message(USER_ID, "选择", reply_markup=_keyboard("是"))
            pressed = await control.post(f"/_fake/users/{USER_ID}/press", json={"label": "是"})
            assert pressed.json()["ok"] is True
            missing = await control.post(f"/_fake/users/{USER_ID}/press", json={"label": "无"})
            assert missing.status_code == 400
            contact = await control.post(
                f"/_fake/users/{USER_ID}/contact", json={"phone_number": "+8613812345678"}
            )
            assert contact.json()["message"]["media"]["user_id"] == USER_ID
            history = (await control.get(f"/_fake/chats/{USER_ID}/messages")).json()
            assert [m["kind"] for m in history] == ["text", "text", "contact"]
            assert history[1]["buttons"] == ["是"]

            document = await real_bot.send_document(USER_ID, b"hello", filename="a.txt")
            tg_file = await real_bot.get_file(document.document.file_id)
            assert bytes(await tg_file.download_as_bytearray()) == b"hello"
            raw_path = f"/bot{TOKEN}/{tg_file.file_path.split(TOKEN + '/', 1)[1]}"
            assert (await control.get(raw_path)).content == b"hello"
            assert (await control.get("/botWRONG:TOKEN/getMe")).status_code == 401

            config = await control.post("/_fake/config", json={"rate_limits": True})
            assert config.json()["rate_limits"] is True
            await control.post("/_fake/reset")
            assert api.history(USER_ID) == []
            assert api.rate_limits_enabled is False
    finally:
        await runner.cleanup()


async def test_server_shutdown_ends_pending_long_poll() -> None:
    api = FakeBotAPI()
    runner = await start_server(api, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server_port(runner)}"
    async with Bot(TOKEN, base_url=f"{base}/bot") as real_bot:
        try:
            poll = asyncio.create_task(real_bot.get_updates(timeout=30))
            await asyncio.sleep(0.1)
        finally:
            await runner.cleanup()  # interrupts the poll instead of waiting 30 s
        assert await asyncio.wait_for(poll, 5) == ()


# == console and CLI ===============================================================================
async def test_console_plays_a_user(api: FakeBotAPI, bot: Bot) -> None:
    out = io.StringIO()
    console = Console(api, USER_ID, out=out)
    assert await console.execute("你好")
    await bot.send_message(USER_ID, "请选择", reply_markup=_keyboard("是"))
    assert "[是]  → cb:是" in out.getvalue()
    await console.execute(":press 是")
    await console.execute(":contact +8613812345678")
    await console.execute(":photo 照片")
    await console.execute(":user 30003")
    await console.execute("from another user")
    assert not await console.execute(":quit")
    kinds = [next(iter(k for k in u if k != "update_id")) for u in api.pending_updates]
    assert kinds == ["message", "callback_query", "message", "message", "message"]
    assert api.history(30003)[0].plain == "from another user"


def test_cli_arguments() -> None:
    args = parse_args(["--port", "9000", "--token", TOKEN, "--interactive", "--lang", "en"])
    assert (args.host, args.port, args.token, args.interactive, args.lang) == (
        "127.0.0.1",
        9000,
        TOKEN,
        True,
        "en",
    )
    assert parse_args([]).token is None


# == observers, refusals, snapshots (what the sandbox's page builds on) ===========================
async def test_observers_see_both_sides_answers_and_refusals(api: FakeBotAPI, bot: Bot) -> None:
    seen: list[tuple[str, Any]] = []
    api.add_observer(lambda event, subject: seen.append((event, subject)))
    user = api.users[USER_ID]
    asked = await user.send("你好")
    sent = await bot.send_message(
        USER_ID, "<b>hi</b>", parse_mode="HTML", reply_markup=_keyboard("A")
    )
    await bot.edit_message_text("<i>edited</i>", USER_ID, sent.message_id, parse_mode="HTML")
    query_id = await user.press_data(api.message(USER_ID, sent.message_id), "cb:A")  # type: ignore[arg-type]
    await bot.answer_callback_query(query_id, "done", show_alert=True)
    await bot.delete_message(USER_ID, asked.message_id)
    with pytest.raises(BadRequest):
        await bot.send_message(USER_ID, "<b>unclosed", parse_mode="HTML")
    events = [event for event, _ in seen]
    assert events == [
        "message.new",  # the user's
        "message.new",  # the bot's
        "message.edit",
        "callback_answer",
        "message.delete",  # the user's message, deleted by the bot
        "refusal",
    ]
    assert seen[0][1] is asked
    answer = seen[3][1]
    assert (answer.text, answer.show_alert, answer.chat_id) == ("done", True, USER_ID)
    refusal = seen[5][1]
    assert refusal is api.refusals[-1]
    assert refusal.method == "sendMessage"
    assert refusal.status == 400
    assert refusal.description.startswith("Bad Request: can't parse entities")
    assert (refusal.chat_id, refusal.text) == (USER_ID, "<b>unclosed")


async def test_users_reply_with_text_photos_and_documents(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    sent = await bot.send_message(USER_ID, "question")
    text = await user.send("answer", reply_to_message_id=sent.message_id)
    photo = await user.send_photo("pic", reply_to_message_id=sent.message_id)
    document = await user.send_document("a.pdf", reply_to_message_id=sent.message_id)
    for message in (text, photo, document):
        assert api.message_json(message)["reply_to_message"]["message_id"] == sent.message_id
    jpeg = await user.send_photo(content=b"\xff\xd8\xff\xe0jpeg", mime_type="image/jpeg")
    stored = api.files[jpeg.media[-1]["file_id"]]
    assert (stored.mime_type, stored.file_path.rsplit(".", 1)[1]) == ("image/jpeg", "jpg")


async def test_snapshot_keeps_chats_and_ids_growing(api: FakeBotAPI, bot: Bot) -> None:
    user = api.users[USER_ID]
    await user.send("/start")
    await bot.send_message(USER_ID, "<b>hello</b>", parse_mode="HTML", reply_markup=_keyboard("A"))
    await user.send_photo("pic")
    await bot.set_my_commands([BotCommand("start", "Start")], scope=BotCommandScopeChat(USER_ID))
    updates = await bot.get_updates()
    saved = json.loads(json.dumps(snapshot.dump(api)))  # through JSON, as the sandbox keeps it

    restored = FakeBotAPI(TOKEN)
    snapshot.load(restored, saved)
    assert [m.plain for m in restored.history(USER_ID)] == [m.plain for m in api.history(USER_ID)]
    assert restored.history(USER_ID)[1].button_labels == ["A"]
    photo = restored.history(USER_ID)[2]
    assert restored.file_bytes(photo.media[-1]["file_id"]) == TINY_PNG
    assert restored.commands({"type": "chat", "chat_id": USER_ID})[0]["command"] == "start"
    again = restored.users[USER_ID]
    later = await again.send("later")
    assert later.message_id == 4
    assert restored.pending_updates[-1]["update_id"] > updates[-1].update_id
    with pytest.raises(ValueError, match="snapshot version"):
        snapshot.load(restored, {**saved, "version": 99})
