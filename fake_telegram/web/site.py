"""The page's HTTP side (aiohttp): the static page, its JSON API and the live event stream.

Everything a person does on the page goes through :class:`.FakeUser`, as in tests: the bot
sees real updates over the Bot API and cannot tell the page from Telegram.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from ..core import FakeBotAPI
from ..server import control, json_body, json_response
from ..users import FakeUser
from .hub import EventHub
from .people import People
from .views import button_at, command_menu

__all__ = ["STATIC", "Site"]

STATIC = Path(__file__).resolve().parent / "static"
_MAX_UPLOAD = 20 * 1024 * 1024
_KEEP_ALIVE_SECONDS = 15.0


class Site:
    """The page over an emulator: who can be played (``people``), live events (``hub``),
    and what the page says about the programme (``intro``: opaque JSON for the page)."""

    def __init__(
        self, api: FakeBotAPI, people: People | None = None, intro: dict[str, Any] | None = None
    ) -> None:
        self.api = api
        self.people = people or People(api)
        self.hub = EventHub(api)
        self.intro = intro or {}
        self.status = "ready"

    def set_status(self, status: str, detail: str = "") -> None:
        """Tell the page what the sandbox is doing ("starting", "seeding", "ready", ...)."""
        self.status = status
        self.hub.publish({"type": "status", "status": status, "detail": detail})

    # == the application ========================================================================
    def app(self) -> web.Application:
        """The aiohttp application serving the page."""
        app = web.Application(client_max_size=_MAX_UPLOAD)
        routes = app.router
        routes.add_get("/", self._index)
        routes.add_static("/static/", STATIC)
        routes.add_get("/api/bootstrap", self._bootstrap)
        routes.add_get("/api/events", self._events)
        routes.add_post("/api/people", control(self._add_person))
        routes.add_get("/api/chats/{user_id}/messages", control(self._messages))
        routes.add_get("/api/chats/{user_id}/commands", control(self._commands))
        routes.add_post("/api/chats/{user_id}/send", control(self._send))
        routes.add_post("/api/chats/{user_id}/press", control(self._press))
        routes.add_post("/api/chats/{user_id}/contact", control(self._contact))
        routes.add_post("/api/chats/{user_id}/location", control(self._location))
        routes.add_post("/api/chats/{user_id}/voice", control(self._voice))
        routes.add_post("/api/chats/{user_id}/upload", control(self._upload))
        routes.add_get("/api/files/{file_id}", self._file)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, _: web.Application) -> None:
        self.hub.close()

    # == reading ================================================================================
    async def _index(self, _: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _bootstrap(self, _: web.Request) -> web.StreamResponse:
        api = self.api
        return json_response(
            {
                "bot": {"id": api.bot_id, "username": api.bot_username, "name": api.bot_first_name},
                "people": self.people.to_list(),
                "refusals": [r.to_dict() for r in api.refusals[-200:]],
                "intro": self.intro,
                "status": self.status,
                "seq": self.hub.seq,
            }
        )

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        seq = self.hub.seq
        return json_response(
            {"seq": seq, "messages": [self.hub.view(m) for m in self.api.history(user.id)]}
        )

    async def _commands(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        return json_response({"commands": command_menu(self.api, user.id)})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.api.files.get(request.match_info["file_id"])
        if stored is None:
            return json_response({"ok": False, "description": "no such file"}, status=404)
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        disposition = "attachment" if request.query.get("download") else "inline"
        headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"}
        mime = stored.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.Response(body=stored.data, content_type=mime, headers=headers)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: one JSON object per event, keep-alive comments in between."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue = self.hub.subscribe()
        try:
            hello = {"type": "hello", "seq": self.hub.seq, "status": self.status}
            await response.write(_sse(hello, retry_ms=1000))
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), _KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await response.write(_sse(event))
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.hub.unsubscribe(queue)
        return response

    # == acting =================================================================================
    def _user(self, request: web.Request) -> FakeUser:
        user_id = int(request.match_info["user_id"])
        if user_id not in self.people:
            raise KeyError(f"nobody with id {user_id} on this page")
        return self.api.users[user_id]

    async def _add_person(self, request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        person = self.people.add_new(str(body.get("name", "")), str(body.get("language_code", "")))
        self.hub.publish({"type": "person", "person": person.to_dict()})
        return json_response({"ok": True, "person": person.to_dict()})

    async def _send(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        body = await json_body(request)
        text = str(body.get("text", ""))
        if not text.strip():
            raise ValueError("nothing to send")
        message = await user.send(text, reply_to_message_id=self._reply_to(user, body))
        return json_response({"ok": True, "message_id": message.message_id})

    async def _press(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        body = await json_body(request)
        message = self.api.message(user.id, int(body["message_id"]))
        if message is None or message.deleted:
            raise ValueError("that message is gone")
        button = button_at(message, int(body["row"]), int(body["column"]))
        if "callback_data" not in button:
            raise ValueError("not a callback button")
        query_id = await user.press_data(message, str(button["callback_data"]))
        return json_response({"ok": True, "callback_query_id": query_id})

    async def _contact(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        person = self.people.get(user.id)
        phone = person.phone if person and person.phone else f"+86138{user.id % 10**8:08d}"
        message = await user.share_contact(phone)
        return json_response({"ok": True, "message_id": message.message_id})

    async def _location(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        body = await json_body(request)
        message = await user.send_location(
            32.6264, 116.9998, reply_to_message_id=self._reply_to(user, body)
        )  # Huainan
        return json_response({"ok": True, "message_id": message.message_id})

    async def _voice(self, request: web.Request) -> web.StreamResponse:
        """A voice message of 12 seconds (the page records nothing: it stands for one)."""
        user = self._user(request)
        body = await json_body(request)
        message = await user.send_voice(12, reply_to_message_id=self._reply_to(user, body))
        return json_response({"ok": True, "message_id": message.message_id})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """A photo or document from the page: multipart fields file, caption, as, reply_to."""
        user = self._user(request)
        fields: dict[str, str] = {}
        content, file_name, mime = b"", "file", "application/octet-stream"
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                content = await part.read(decode=False)
                file_name = part.filename or file_name
                mime = part.headers.get("Content-Type", mime)
            elif part.name:
                fields[part.name] = await part.text()
        if not content:
            raise ValueError("the file is empty")
        caption = fields.get("caption") or None
        reply_to = self._reply_to(user, fields)
        if fields.get("as") == "photo" and mime in ("image/png", "image/jpeg", "image/gif"):
            message = await user.send_photo(
                caption, content, mime_type=mime, reply_to_message_id=reply_to
            )
        else:
            message = await user.send_document(
                file_name, caption, content, mime, reply_to_message_id=reply_to
            )
        return json_response({"ok": True, "message_id": message.message_id})

    def _reply_to(self, user: FakeUser, body: dict[str, Any]) -> int | None:
        value = body.get("reply_to")
        if value in (None, ""):
            return None
        target = self.api.message(user.id, int(value))
        if target is None or target.deleted:
            raise ValueError("the message replied to is gone")
        return target.message_id


def _sse(event: dict[str, Any], retry_ms: int | None = None) -> bytes:
    head = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    return f"{head}data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
