"""Long polling that confirms an update to Telegram only once the inbox has stored it.

PTB's Updater moves the getUpdates offset as soon as updates are in memory, so a crash loses
them. Here the offset of the next getUpdates (which is what confirms) moves past a batch only
after `InboxPump.receive` stored it in one transaction; a batch that cannot be stored is not
confirmed, and Telegram hands it over again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.telegram.inbox import InboxPump, incoming

_LOGGER = logging.getLogger(__name__)
# Waits after a failed getUpdates or store: doubling from the first to the last.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0


class Poller:
    """Fetch updates, store them, then confirm them with the next call's offset."""

    def __init__(self, bot: Bot, pump: InboxPump, timeout: float) -> None:
        self.bot = bot
        self.pump = pump
        self.timeout = timeout
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Drop any webhook (polling and a webhook exclude each other), then poll."""
        await self.bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="polling")

    @property
    def running(self) -> bool:
        """Whether it is polling."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop polling and confirm what was stored (so it is not sent again)."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset,
                    timeout=int(self.timeout),
                    allowed_updates=Update.ALL_TYPES,
                )
            except TimedOut:
                continue  # a long poll that ended without an answer: poll again
            except InvalidToken:
                _LOGGER.error("The Bot API refused the token; polling stopped")
                raise
            except RetryAfter as exc:
                await self._pause(_seconds(exc.retry_after))
                continue
            except (Conflict, TelegramError) as exc:
                _LOGGER.warning("getUpdates failed (%s); trying again in %.0f s", exc, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = BACKOFF_FIRST
            if updates:
                await self._store(updates)
                self.offset = updates[-1].update_id + 1

    async def _store(self, updates: tuple[Update, ...]) -> None:
        """Store the batch, retrying until it is stored: until then it is not confirmed."""
        backoff = BACKOFF_FIRST
        while True:
            try:
                await self.pump.receive([incoming(u) for u in updates])
                return
            except Exception:
                _LOGGER.exception(
                    "Could not store %d update(s); Telegram keeps them; trying again in %.0f s",
                    len(updates),
                    backoff,
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
