"""Loopback HTTP server (aiohttp) serving a :class:`FakeBotAPI` plus test-control endpoints.

Bot API: ``POST|GET /bot<TOKEN>/<method>``; files: ``GET /file/bot<TOKEN>/<path>`` (PTB's
default ``base_file_url`` form) and also ``GET /bot<TOKEN>/<path>``. Control endpoints live
under ``/_fake/`` (see :func:`create_app`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .core import FakeBotAPI
from .models import Message
from .wire import dispatch

__all__ = [
    "API_KEY",
    "control",
    "create_app",
    "json_body",
    "json_response",
    "server_port",
    "start_server",
]

API_KEY = web.AppKey("fake_bot_api", FakeBotAPI)
_MAX_BODY = 60 * 1024 * 1024
ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with non-ASCII text as is."""
    return web.json_response(data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def control(func: ControlHandler) -> ControlHandler:
    """Turn bad input and failed assertions of a control endpoint into 400 JSON answers."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await func(request)
        except (AssertionError, ValueError, KeyError, TypeError) as err:
            return json_response({"ok": False, "description": str(err)}, status=400)

    return wrapper


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object ({} without a body); ValueError if not an object."""
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("JSON object expected")
    return data


def _user(request: web.Request, body: dict[str, Any]) -> Any:
    """The fake user of the path, created on first use."""
    api = request.app[API_KEY]
    user_id = int(request.match_info["user_id"])
    if user_id in api.users:
        return api.users[user_id]
    return api.user(
        user_id,
        first_name=body.get("first_name", "Test"),
        language_code=body.get("language_code", "zh-hans"),
    )


def _message_out(message: Message) -> dict[str, Any]:
    return {"ok": True, "message": message.to_dict()}


@control
async def _send(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    return json_response(_message_out(await _user(request, body).send(str(body["text"]))))


@control
async def _press(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    user = _user(request, body)
    message = None
    if body.get("message_id") is not None:
        message = request.app[API_KEY].message(user.id, int(body["message_id"]))
    query_id = await user.press(str(body["label"]), message)
    return json_response({"ok": True, "callback_query_id": query_id})


@control
async def _contact(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    user = _user(request, body)
    message = await user.share_contact(str(body["phone_number"]), body.get("user_id"))
    return json_response(_message_out(message))


@control
async def _photo(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    return json_response(_message_out(await _user(request, body).send_photo(body.get("caption"))))


@control
async def _messages(request: web.Request) -> web.StreamResponse:
    api = request.app[API_KEY]
    chat_id = int(request.match_info["chat_id"])
    include_deleted = request.query.get("include_deleted") in ("1", "true")
    return json_response([m.to_dict() for m in api.history(chat_id, include_deleted)])


@control
async def _wait(request: web.Request) -> web.StreamResponse:
    """Long-poll for the next bot message: ``?after=<message_id>&timeout=<seconds>``."""
    api = request.app[API_KEY]
    chat_id = int(request.match_info["chat_id"])
    after = request.query.get("after")
    timeout = float(request.query.get("timeout", "5"))
    try:
        message = await api.wait_for_message(
            chat_id, timeout=timeout, after_message_id=int(after) if after else None
        )
    except TimeoutError as err:
        return json_response({"ok": False, "description": str(err)}, status=408)
    return json_response(_message_out(message))


@control
async def _reset(request: web.Request) -> web.StreamResponse:
    request.app[API_KEY].reset()
    return json_response({"ok": True})


@control
async def _config(request: web.Request) -> web.StreamResponse:
    """Switch rate limits, latency, faults: keys rate_limits, delay, server_error,
    lose_response, seed, fail_next {method, status, count}, callback_query_ttl."""
    api = request.app[API_KEY]
    body = await json_body(request)
    if "rate_limits" in body:
        api.rate_limits_enabled = bool(body["rate_limits"])
    if "delay" in body:
        api.delay = float(body["delay"])
    if "callback_query_ttl" in body:
        api.callback_query_ttl = float(body["callback_query_ttl"])
    if {"server_error", "lose_response", "seed"} & body.keys():
        api.set_fault_rate(
            float(body.get("server_error", 0.0)),
            float(body.get("lose_response", 0.0)),
            int(body.get("seed", 0)),
        )
    if isinstance(body.get("fail_next"), dict):
        rule = body["fail_next"]
        api.fail_next(rule.get("method"), int(rule.get("status", 500)), int(rule.get("count", 1)))
    return json_response(
        {
            "ok": True,
            "rate_limits": api.rate_limits_enabled,
            "delay": api.delay,
            "calls": dict(api.calls),
            "pending_updates": len(api.pending_updates),
        }
    )


async def _bot_api(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    reply = await dispatch(
        request.app[API_KEY],
        request.method,
        request.path,
        dict(request.query),
        request.headers.get("Content-Type", ""),
        body,
    )
    return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)


async def _on_shutdown(app: web.Application) -> None:
    app[API_KEY].interrupt_polls()


def create_app(api: FakeBotAPI) -> web.Application:
    """The aiohttp application: Bot API routes plus ``/_fake/`` control endpoints."""
    app = web.Application(client_max_size=_MAX_BODY)
    app[API_KEY] = api
    app.router.add_post("/_fake/users/{user_id}/send", _send)
    app.router.add_post("/_fake/users/{user_id}/press", _press)
    app.router.add_post("/_fake/users/{user_id}/contact", _contact)
    app.router.add_post("/_fake/users/{user_id}/photo", _photo)
    app.router.add_get("/_fake/chats/{chat_id}/messages", _messages)
    app.router.add_get("/_fake/chats/{chat_id}/wait", _wait)
    app.router.add_post("/_fake/reset", _reset)
    app.router.add_post("/_fake/config", _config)
    app.router.add_route("*", "/{tail:.*}", _bot_api)
    app.on_shutdown.append(_on_shutdown)
    return app


async def start_server(api: FakeBotAPI, host: str = "127.0.0.1", port: int = 8081) -> web.AppRunner:
    """Serve ``api`` on host:port (0 picks a free port, see :func:`server_port`).

    Stop with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(create_app(api), access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def server_port(runner: web.AppRunner) -> int:
    """The TCP port a started runner listens on."""
    address = runner.addresses[0]
    return int(address[1])
