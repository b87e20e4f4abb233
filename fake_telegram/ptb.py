"""Glue for python-telegram-bot: bots and requests wired to a fake, update delivery."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update
from telegram.ext import Application
from telegram.request import HTTPXRequest

from .core import FakeBotAPI
from .transport import mock_transport

__all__ = ["FAKE_BASE_FILE_URL", "FAKE_BASE_URL", "connect_application", "fake_bot", "fake_request"]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
FAKE_BASE_URL = "http://fake-telegram/bot"
FAKE_BASE_FILE_URL = "http://fake-telegram/file/bot"


def fake_request(api: FakeBotAPI, **kwargs: Any) -> HTTPXRequest:
    """An ``HTTPXRequest`` whose traffic goes to ``api`` in process."""
    return HTTPXRequest(httpx_kwargs={"transport": mock_transport(api)}, **kwargs)


def fake_bot(api: FakeBotAPI, token: str | None = None, **kwargs: Any) -> Bot:
    """A real ``telegram.Bot`` talking to ``api`` (both request objects are in-process).

    Use as ``async with fake_bot(api) as bot:`` so it is initialised and shut down.
    """
    return Bot(
        token or api.token or DEFAULT_TOKEN,
        base_url=FAKE_BASE_URL,
        base_file_url=FAKE_BASE_FILE_URL,
        request=fake_request(api),
        get_updates_request=fake_request(api),
        **kwargs,
    )


def connect_application(
    api: FakeBotAPI, application: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    """Deliver user updates straight to ``application.process_update`` (returns when handled).

    The application must be initialised (``await application.initialize()``).
    """

    async def on_update(data: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(data, application.bot))

    api.on_update = on_update
