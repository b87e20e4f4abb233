"""The rate limiter of direct replies: an overall budget, and per-chat holds and buckets.

PTB's AIORateLimiter has no per-chat limit, and any 429 stops every chat's requests for the
retry_after it names: one user's flood slowed everyone's answers. Here a 429 holds only the
chat it was for, for Telegram's retry_after, and the request is then retried, a bounded number
of times. From that 429 on, the chat is paced by a token bucket of its own (about 1 message/s;
20/min for a group, as the outbox sender does) until it has been quiet long enough for the
bucket to fill (3 s): Telegram said this chat was too fast, and it is not asked again. A chat
Telegram never refused is not slowed: its answers are a person's own, and Telegram lets a
short burst through. Everything with a chat spends from one overall budget (Telegram's 30
messages/s). Requests without a chat (callback answers, menus) are not throttled; a 429 for one
is retried after its retry_after, holding nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.sender import Bucket

if TYPE_CHECKING:
    from bot.telegram.budget import SendBudget

_LOGGER = logging.getLogger(__name__)
Result = bool | dict[str, Any] | list[dict[str, Any]]
ChatKey = int | str
# Endpoints that put a message in a chat: they spend a paced chat's bucket. Edits, chat actions
# and the like do not (a button press edits and sends: one message), but a hold holds them too.
SENDING = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendaudio",
        "sendvoice",
        "sendanimation",
        "sendsticker",
        "sendlocation",
        "sendcontact",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
    }
)
# Idle chats are forgotten once this many are remembered.
_MAX_CHATS = 1024


@dataclass
class _Chat:
    held_until: float = 0.0
    # Set by a 429 for the chat, dropped once it is full again.
    bucket: Bucket | None = None


class ReplyRateLimiter(BaseRateLimiter[int]):
    """Overall budget; a 429 holds only its own chat, and paces that chat for a while."""

    def __init__(
        self,
        overall_per_second: float = 30.0,
        *,
        per_chat_per_second: float = 1.0,
        chat_burst: float = 3.0,
        group_per_minute: float = 20.0,
        max_retries: int = 3,
        max_hold: float = 60.0,
        budget: SendBudget | None = None,
    ) -> None:
        self._overall = Bucket(overall_per_second, overall_per_second)
        # Given, the overall budget is the one the outbox sender shares (replies first).
        self.budget = budget
        self._per_chat = per_chat_per_second
        self._group = group_per_minute / 60
        self._burst = chat_burst
        self.max_retries = max_retries
        self.max_hold = max_hold
        self._chats: dict[ChatKey, _Chat] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Forget every chat."""
        self._chats.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the chat and the overall budget, send, and retry a 429 after a hold."""
        key = _chat_key(data.get("chat_id"))
        sending = endpoint.lower() in SENDING
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            if key is not None:
                # A retry spends no second token of the chat: the hold has spaced it already.
                await self._acquire(key, sending=sending and attempt == 0)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                if attempt >= retries or delay > self.max_hold:
                    _LOGGER.warning(
                        "%s to chat %s: 429 (retry after %.0f s); giving up after %d retries",
                        endpoint,
                        key,
                        delay,
                        attempt,
                    )
                    raise
                attempt += 1
                _LOGGER.info("%s to chat %s: 429, holding it %.1f s", endpoint, key, delay)
                if key is None:
                    await asyncio.sleep(delay)
                else:
                    self._hold(key, delay)

    def held_until(self, key: ChatKey) -> float:
        """The monotonic time until which a chat is held (0 if it is not)."""
        chat = self._chats.get(key)
        return chat.held_until if chat else 0.0

    def _hold(self, key: ChatKey, delay: float) -> None:
        chat = self._chat(key)
        chat.held_until = max(chat.held_until, time.monotonic() + delay)
        # The retry after the hold is the chat's next message; the bucket fills from then on.
        rate = self._group if isinstance(key, str) or key < 0 else self._per_chat
        chat.bucket = Bucket(rate, self._burst, tokens=0.0, stamp=chat.held_until)

    async def _acquire(self, key: ChatKey, *, sending: bool) -> None:
        """Wait while the chat is held and, when sending, for its token; then for the budget."""
        chat = self._chat(key)
        while True:
            now = time.monotonic()
            if chat.held_until > now:
                await asyncio.sleep(chat.held_until - now)
                continue
            bucket = chat.bucket
            if bucket is None or not sending:
                break
            wait = bucket.wait(now)
            if wait <= 0:
                bucket.take(now)
                break
            await asyncio.sleep(wait)
        if self.budget is not None:
            await self.budget.acquire_reply()
            return
        while True:
            now = time.monotonic()
            wait = self._overall.wait(now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._overall.take(now)

    def _chat(self, key: ChatKey) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            if len(self._chats) >= _MAX_CHATS:
                self._forget_idle()
            chat = self._chats[key] = _Chat()
        elif chat.bucket is not None:
            now = time.monotonic()
            if chat.held_until <= now and chat.bucket.full(now):
                chat.bucket = None  # quiet long enough: not paced any more
        return chat

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for key, chat in list(self._chats.items()):
            if chat.held_until <= now and (chat.bucket is None or chat.bucket.full(now)):
                del self._chats[key]


def _chat_key(chat_id: object) -> ChatKey | None:
    """The chat a request is for: an int id, or a @username; None for requests without one."""
    if chat_id is None or isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    with contextlib.suppress(ValueError):
        return int(text)
    return text


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
