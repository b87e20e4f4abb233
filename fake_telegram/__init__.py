"""A fake Telegram Bot API for tests, benchmarks and manual runs.

- :class:`FakeBotAPI` (``core``): the request pipeline over the shared state (``state``);
  the Bot API methods (``methods/``, registered in ``registry``) enforce Telegram's rules;
  ``faults``, ``files`` and ``serialize`` hold fault injection, stored files and JSON.
- :class:`FakeUser` (``users``): a user writing to the bot, pressing buttons.
- :func:`mock_transport` (``transport``): in-process httpx transport for PTB.
- :func:`start_server` (``server``): aiohttp loopback server with ``/_fake/`` control routes.
- ``python -m fake_telegram [--interactive]``: standalone server / console.
"""

from .core import GENERIC_TRUE_METHODS, FakeBotAPI, supported_methods
from .html import HtmlParseError, ParsedText, parse_html, utf16_len
from .models import ApiError, CallbackAnswer, FakeChat, Message, StoredFile
from .ratelimit import RateLimits
from .server import create_app, server_port, start_server
from .transport import mock_transport
from .users import TINY_PNG, FakeUser

__all__ = [
    "GENERIC_TRUE_METHODS",
    "TINY_PNG",
    "ApiError",
    "CallbackAnswer",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "HtmlParseError",
    "Message",
    "ParsedText",
    "RateLimits",
    "StoredFile",
    "create_app",
    "mock_transport",
    "parse_html",
    "server_port",
    "start_server",
    "supported_methods",
    "utf16_len",
]
