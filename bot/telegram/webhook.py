"""The webhook server: answers Telegram 200 only once the inbox has stored the update.

PTB's webhook server answers as soon as an update is queued in memory. Here a POST is answered
200 after `InboxPump.receive` stored it (concurrent POSTs are stored together), 500 when it
could not be stored, so that Telegram sends it again, and 403 without the secret token.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Bot, Update

from bot.telegram.inbox import InboxPump, incoming

_LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram"


class WebhookServer:
    """An aiohttp server for Telegram's webhook POSTs."""

    def __init__(self, bot: Bot, pump: InboxPump, secret_token: str) -> None:
        self.bot = bot
        self.pump = pump
        self.secret_token = secret_token
        self._runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int, url: str) -> None:
        """Listen, then tell Telegram where to send updates (again, when retried)."""
        if self._runner is None:
            app = web.Application(client_max_size=10 * 1024 * 1024)
            app.router.add_post(PATH, self._receive)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, listen, port).start()
            self._runner = runner
        await self.bot.set_webhook(
            url, secret_token=self.secret_token, allowed_updates=Update.ALL_TYPES
        )

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen, when started with port 0)."""
        assert self._runner is not None, "not started"
        return int(self._runner.addresses[0][1])

    @property
    def running(self) -> bool:
        """Whether it is serving."""
        return self._runner is not None

    async def stop(self) -> None:
        """Stop serving (Telegram keeps what it could not deliver, and retries)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            return web.Response(status=403)
        body = await request.text()
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError):
            _LOGGER.warning("A webhook request that is not an update was refused")
            return web.Response(status=400)
        try:
            await self.pump.receive([incoming(update, body)])
        except Exception:  # not stored: a non-2xx answer, so that Telegram sends it again
            _LOGGER.exception("Could not store update %d; Telegram will retry", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)
