"""The sandbox page's HTTP API and live events (fake_telegram.web), without a browser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from fake_telegram import FakeBotAPI
from fake_telegram.web import People, Person, Site

TOKEN = "123456:TEST-TOKEN"
OWNER = 1001


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI(TOKEN, bot_username="sandbox_bot")


@pytest.fixture
def site(api: FakeBotAPI) -> Site:
    people = People(api)
    people.add(Person(OWNER, "王芳", "zh-hans", "Owner", "owners", "+8613812345678", open=True))
    return Site(api, people, {"steps": ["one"]})


@pytest.fixture
async def client(site: Site) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(site.app())) as test_client:
        yield test_client


async def test_bootstrap_and_adding_a_person(client: TestClient[Any, Any], api: FakeBotAPI) -> None:
    data = await (await client.get("/api/bootstrap")).json()
    assert data["bot"]["username"] == "sandbox_bot"
    assert [p["name"] for p in data["people"]] == ["王芳"]
    assert data["intro"] == {"steps": ["one"]}
    added = await client.post("/api/people", json={"name": "Hans", "language_code": "de"})
    person = (await added.json())["person"]
    assert person["group"] == "added"
    assert api.users[person["id"]].language_code == "de"
    refused = await client.post("/api/people", json={"name": " ", "language_code": "de"})
    assert refused.status == 400
    page = await client.get("/")
    assert page.status == 200
    assert '<script type="module" src="/static/app.js">' in await page.text()
    assert (await client.get("/static/app.js")).status == 200


async def test_sending_replying_and_pressing_become_updates(
    client: TestClient[Any, Any], api: FakeBotAPI
) -> None:
    keyboard = {
        "inline_keyboard": [
            [{"text": "A", "callback_data": "a"}, {"text": "B", "callback_data": "b"}]
        ]
    }
    sent = await api.call("sendMessage", chat_id=OWNER, text="pick", reply_markup=keyboard)
    answer = await client.post(
        f"/api/chats/{OWNER}/send", json={"text": "<b>me</b> & you", "reply_to": sent["message_id"]}
    )
    assert answer.status == 200
    update = api.pending_updates[-1]["message"]
    assert update["text"] == "<b>me</b> & you"
    assert update["reply_to_message"]["message_id"] == sent["message_id"]
    pressed = await client.post(
        f"/api/chats/{OWNER}/press", json={"message_id": sent["message_id"], "row": 0, "column": 1}
    )
    assert pressed.status == 200
    assert api.pending_updates[-1]["callback_query"]["data"] == "b"
    gone = await client.post(
        f"/api/chats/{OWNER}/press", json={"message_id": sent["message_id"], "row": 3, "column": 0}
    )
    assert gone.status == 400
    stranger = await client.post("/api/chats/4242/send", json={"text": "hi"})
    assert stranger.status == 400
    await client.post(f"/api/chats/{OWNER}/contact", json={})
    contact = api.pending_updates[-1]["message"]["contact"]
    assert (contact["phone_number"], contact["user_id"]) == ("+8613812345678", OWNER)


async def test_the_command_menu_follows_telegrams_scopes(
    client: TestClient[Any, Any], api: FakeBotAPI
) -> None:
    async def menu() -> list[str]:
        data = await (await client.get(f"/api/chats/{OWNER}/commands")).json()
        return [c["command"] for c in data["commands"]]

    assert await menu() == []
    commands = json.dumps([{"command": "start", "description": "Start"}])
    await api.call("setMyCommands", commands=commands)
    assert await menu() == ["start"]
    private = json.dumps([{"command": "ask", "description": "Ask"}])
    await api.call("setMyCommands", commands=private, scope={"type": "all_private_chats"})
    zh = json.dumps(
        [{"command": "ask", "description": "提问"}, {"command": "faq", "description": "问答"}]
    )
    await api.call(
        "setMyCommands", commands=zh, scope={"type": "all_private_chats"}, language_code="zh"
    )
    assert await menu() == ["ask", "faq"]  # the user's client language is zh-hans
    own = json.dumps([{"command": "invite", "description": "Invite"}])
    await api.call("setMyCommands", commands=own, scope={"type": "chat", "chat_id": OWNER})
    assert await menu() == ["invite"]


async def test_events_stream_messages_answers_and_refusals(
    client: TestClient[Any, Any], api: FakeBotAPI
) -> None:
    async with client.get("/api/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")

        async def next_event() -> dict[str, Any]:
            while True:
                line = (await stream.content.readline()).decode()
                if line.startswith("data: "):
                    event: dict[str, Any] = json.loads(line[6:])
                    return event

        hello = await next_event()
        assert hello["type"] == "hello"
        keyboard = {
            "inline_keyboard": [[{"text": "Go", "url": "https://t.me/sandbox_bot?start=x"}]]
        }
        await api.call(
            "sendMessage",
            chat_id=OWNER,
            text="<b>Hi</b> <tg-spoiler>s</tg-spoiler>",
            parse_mode="HTML",
            reply_markup=keyboard,
        )
        new = await next_event()
        assert (new["type"], new["event"], new["chat_id"]) == ("message", "new", OWNER)
        view = new["message"]
        assert view["text"] == "Hi s"
        assert [e["type"] for e in view["entities"]] == ["bold", "spoiler"]
        assert view["inline_keyboard"] == [
            [{"text": "Go", "type": "url", "url": "https://t.me/sandbox_bot?start=x"}]
        ]
        assert view["rev"] == new["seq"]
        await api.call("editMessageText", chat_id=OWNER, message_id=view["id"], text="Bye")
        edit = await next_event()
        assert (edit["event"], edit["message"]["text"], edit["message"]["edited"]) == (
            "edit",
            "Bye",
            True,
        )
        await api.call("deleteMessage", chat_id=OWNER, message_id=view["id"])
        assert (await next_event())["event"] == "delete"
        status, _ = await api.handle(TOKEN, "sendMessage", {"chat_id": OWNER, "text": "x" * 5000})
        assert status == 400
        refusal = await next_event()
        assert refusal["type"] == "refusal"
        assert refusal["refusal"]["description"] == "Bad Request: message is too long"
        messages = await (await client.get(f"/api/chats/{OWNER}/messages")).json()
        assert messages["messages"] == []  # the deleted message is gone
        assert messages["seq"] == refusal["seq"]


async def test_uploads_and_downloads(client: TestClient[Any, Any], api: FakeBotAPI) -> None:
    form = aiohttp.FormData()
    form.add_field("file", b"\x89PNG\r\n\x1a\nrest", filename="shot.png", content_type="image/png")
    form.add_field("as", "photo")
    form.add_field("caption", "现场照片")
    assert (await client.post(f"/api/chats/{OWNER}/upload", data=form)).status == 200
    photo = api.pending_updates[-1]["message"]
    assert photo["caption"] == "现场照片"
    assert len(photo["photo"]) == 2
    form = aiohttp.FormData(quote_fields=False)  # as browsers send names: UTF-8, not %-quoted
    form.add_field("file", b"%PDF-1.4", filename="合同.pdf", content_type="application/pdf")
    form.add_field("as", "document")
    await client.post(f"/api/chats/{OWNER}/upload", data=form)
    document = api.pending_updates[-1]["message"]["document"]
    assert document["file_name"] == "合同.pdf"
    download = await client.get(f"/api/files/{document['file_id']}?download=1")
    assert await download.read() == b"%PDF-1.4"
    assert download.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert (await client.get("/api/files/nope")).status == 404
    messages = await (await client.get(f"/api/chats/{OWNER}/messages")).json()
    kinds = [(m["kind"], m["file"]["name"]) for m in messages["messages"]]
    assert kinds[1] == ("document", "合同.pdf")
    assert kinds[0][0] == "photo"


async def test_a_voice_message_and_a_location_from_the_page(
    client: TestClient[Any, Any], api: FakeBotAPI
) -> None:
    assert (await client.post(f"/api/chats/{OWNER}/voice", json={})).status == 200
    voice = api.pending_updates[-1]["message"]["voice"]
    assert voice["duration"] == 12
    await client.post(f"/api/chats/{OWNER}/location", json={})
    assert api.pending_updates[-1]["message"]["location"]["latitude"] == 32.6264
    messages = await (await client.get(f"/api/chats/{OWNER}/messages")).json()
    shown = [(m["kind"], m["media"]) for m in messages["messages"]]
    assert shown[0] == ("voice", voice)
    assert shown[1][0] == "location"
