"""Webhook delivery, as Telegram does it: POST each update, in order, until a 2xx answer.

Telegram needs a public HTTPS URL on port 443, 80, 88 or 8443 (setWebhook checks it). A test
or the sandbox reaches a bot on loopback the way a reverse proxy would: ``api.webhook_forward``
maps the URL Telegram was given to the local one. An update leaves the queue only when the bot
answered 2xx; any other answer, or no answer, is retried after a pause (Telegram's own pauses
grow; here ``webhook_retry_seconds``), so an update is never dropped by a failing bot.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from .state import FakeState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookPusher:
    """Delivers queued updates to the webhook while one is set and forwarded."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None
        self.answers: list[int] = []  # every HTTP status the bot answered, in order

    def poke(self) -> None:
        """Start delivering if there is a webhook to deliver to (idempotent)."""
        if not self.state.webhook.url or self.state.webhook_forward is None:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop delivering (updates not delivered stay queued)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while self.state.webhook.url and self.state.webhook_forward is not None:
                if not self.state._updates:
                    await self.state._updates_signal.wait(1.0)
                    continue
                update = self.state._updates[0]
                target = self.state.webhook_forward(self.state.webhook.url)
                headers = {}
                if self.state.webhook.secret_token:
                    headers[SECRET_HEADER] = self.state.webhook.secret_token
                try:
                    async with session.post(target, json=update, headers=headers) as answer:
                        status = answer.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                self.answers.append(status)
                if 200 <= status < 300:
                    if self.state._updates and self.state._updates[0] is update:
                        self.state._updates.pop(0)
                else:
                    await asyncio.sleep(self.state.webhook_retry_seconds)
