"""The one sender that drains the outbox within Telegram's limits (PRODUCT §10).

Limits are the sender's own, not AIORateLimiter's: a token bucket for the whole bot (30/s), one
per chat (about 1/s after a small burst; 20/min for groups), and Telegram's retry_after applies
to the chat that got it, not to everyone. Case traffic goes before bulk sends; per-chat order
holds within each lane because only the oldest unsent message of a chat's lane can be claimed,
and a chat has at most one send in flight (docs/cases.md). Transient failures (5xx, timeouts,
network) are retried with exponential backoff and counted as uncertain: the Bot API has no
idempotency key, so such a send may have arrived. 400 and 403 are final: the reason is recorded,
a 403 marks the account inactive and its case's staff are told; an edit that changes nothing
(Telegram's 400 "message is not modified") counts as delivered. Every time written to the outbox
(claims, holds, retries, deliveries) comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.domain.models import Language
from bot.domain.outbox import OutboxRow, Outgoing
from bot.domain.ports import Clock, OutboxPort
from bot.rendering import Renderer
from bot.telegram.callbacks import CallbackCodec

if TYPE_CHECKING:
    from bot.telegram.budget import SendBudget

_LOGGER = logging.getLogger(__name__)
Undeliverable = Callable[[Outgoing, str], Awaitable[None]]


@dataclass
class Bucket:
    """A token bucket: capacity tokens, refilled at rate per second.

    It runs on time.monotonic, not on the injected clock: Telegram counts its rate limits in
    real elapsed seconds, so a clock moved by a test (or a wall clock stepped by NTP) must not
    hand out tokens that Telegram would answer with 429.
    """

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def ready(self, now: float) -> bool:
        """Whether a token is available now."""
        self._refill(now)
        return self.tokens >= 1

    def take(self, now: float) -> None:
        """Use one token (call after ready())."""
        self._refill(now)
        self.tokens -= 1

    def wait(self, now: float) -> float:
        """Seconds until the next token."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        """Idle long enough to forget."""
        self._refill(now)
        return self.tokens >= self.capacity


@dataclass(frozen=True, slots=True)
class SenderLimits:
    """Telegram's limits as the sender applies them."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 20.0
    max_in_flight: int = 16
    retry_base: float = 1.0
    retry_max: float = 300.0
    max_attempts: int = 25


class OutboxSender:
    """Background task: claim due messages, render them, send them, record what happened."""

    def __init__(
        self,
        store: OutboxPort,
        bot: Bot,
        renderer: Renderer,
        callbacks: CallbackCodec,
        language_of: Callable[[int], Awaitable[Language]],
        limits: SenderLimits,
        clock: Clock,
        on_undeliverable: Undeliverable | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self.store = store
        # Shared with the direct replies (bot/telegram/budget.py): Telegram has one limit.
        self.budget = budget
        self.clock = clock
        self.bot = bot
        self.renderer = renderer
        self.callbacks = callbacks
        self.language_of = language_of
        self.limits = limits
        self.on_undeliverable = on_undeliverable
        self._global = Bucket(limits.per_second, limits.per_second)
        self._chats: dict[int, Bucket] = {}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # The earliest retry this sender scheduled (on the injected clock): no database read is
        # needed to know when to look again. New messages wake the sender (and so does a test
        # that moves the clock); a 1 s poll covers the rest.
        self._due: datetime | None = None
        self._stopping = False
        self.sent = 0

    def wake(self) -> None:
        """Something was enqueued (or the clock moved): look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        """Start draining (recovering sends that were in flight at a crash first)."""
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming; let sends in flight finish."""
        if self._task is not None:
            # A flag, not only a cancel: on Python 3.11 a cancel that lands just as the wait
            # ends can be swallowed, and the loop would never stop.
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def abandon(self) -> None:
        """Drop everything at once, as a killed process would (tests of crash recovery)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
        for task in self._in_flight.values():
            task.cancel()

    async def _run(self) -> None:
        recovered = await self.store.recover()
        if recovered:
            _LOGGER.warning("Resending %d messages that were in flight at the last stop", recovered)
        while not self._stopping:
            self._wake.clear()
            try:
                pause = await self._dispatch()
            except Exception:  # a broken database must not end the sender for good
                _LOGGER.exception("Outbox sender failed; trying again shortly")
                pause = 1.0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()

    async def _dispatch(self) -> float:
        """Start as many sends as the limits allow; return how long to wait at most."""
        now = time.monotonic()
        for chat_id in [
            c for c, b in self._chats.items() if b.full(now) and c not in self._in_flight
        ]:
            del self._chats[chat_id]
        throttled = {c for c, b in self._chats.items() if not b.ready(now)}
        busy = set(self._in_flight) | throttled
        if not self._global.ready(now):
            return self._global.wait(now)
        tokens = int(self._global.tokens)
        if self.budget is not None:
            tokens = min(tokens, self.budget.for_sender(now))
            if tokens <= 0:
                return max(0.005, self.budget.sender_wait(now))
        slots = min(self.limits.max_in_flight - len(self._in_flight), tokens)
        rows = await self.store.claim(self.clock.now(), slots, busy)
        for row in rows:
            chat = row.outgoing.chat_id
            self._global.take(now)
            if self.budget is not None:
                self.budget.take(now)
            self._chat_bucket(chat).take(now)
            self._in_flight[chat] = asyncio.create_task(self._deliver(row))
        if rows:
            return 0.0
        waits = [1.0] + [b.wait(now) for c, b in self._chats.items() if c in throttled]
        if self._due is not None:
            left = (self._due - self.clock.now()).total_seconds()
            if left <= 0:
                self._due = None
            waits.append(max(0.0, left))
        return max(0.005, min(waits))

    def _later(self, until: datetime) -> None:
        """Remember to look again when a held message becomes due."""
        self._due = until if self._due is None else min(self._due, until)

    def _chat_bucket(self, chat_id: int) -> Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                rate = self.limits.group_per_minute / 60
            else:
                rate = self.limits.per_chat_per_second
            bucket = self._chats[chat_id] = Bucket(rate, self.limits.chat_burst)
        return bucket

    async def _deliver(self, row: OutboxRow) -> None:
        out = row.outgoing
        try:
            message_id = await self._send(row)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            until = self.clock.now() + timedelta(seconds=delay)
            await self.store.retry(row, until, f"429 retry after {delay}s", uncertain=False)
            await self.store.defer_chat(out.chat_id, until)
            self._later(until)
        except Forbidden as exc:
            await self._give_up(row, f"403 {exc.message}", blocked=True)
        except BadRequest as exc:
            # A chat that does not exist (any more) is as unreachable as a blocked one: the
            # account is marked inactive and bulk sends skip it until its owner writes again.
            gone = "chat not found" in exc.message.lower()
            await self._give_up(row, f"400 {exc.message}", blocked=gone)
        except _NothingToEdit as exc:
            await self._give_up(row, str(exc), blocked=False)
        except (NetworkError, TelegramError) as exc:  # 5xx, timeouts, connection errors
            await self._retry(row, f"{type(exc).__name__}: {exc}", uncertain=True)
        except Exception as exc:  # a bug (say, a template): log it, try again later
            _LOGGER.exception("Could not send outbox message %s", row.id)
            await self._retry(row, f"{type(exc).__name__}: {exc}", uncertain=False)
        else:
            await self.store.sent(row, message_id, self.clock.now())
            self.sent += 1
        finally:
            self._in_flight.pop(out.chat_id, None)
            self._wake.set()

    async def _retry(self, row: OutboxRow, error: str, *, uncertain: bool) -> None:
        if row.attempts >= self.limits.max_attempts:
            await self._give_up(
                row, f"gave up after {row.attempts} attempts: {error}", blocked=False
            )
            return
        delay = min(self.limits.retry_max, self.limits.retry_base * 2 ** (row.attempts - 1))
        until = self.clock.now() + timedelta(seconds=delay)
        await self.store.retry(row, until, error, uncertain=uncertain)
        self._later(until)

    async def _give_up(self, row: OutboxRow, error: str, *, blocked: bool) -> None:
        _LOGGER.warning(
            "Outbox message %s to chat %s failed: %s", row.id, row.outgoing.chat_id, error
        )
        await self.store.failed(row, error, blocked=blocked, at=self.clock.now())
        if self.on_undeliverable is not None:
            try:
                await self.on_undeliverable(row.outgoing, error)
            except Exception:
                _LOGGER.exception("Could not report an undeliverable message")

    async def _send(self, row: OutboxRow) -> int | None:
        out = row.outgoing
        lang = await self.language_of(out.chat_id)
        markup = self._markup(out, lang)
        if out.album and out.copy_from is not None:
            # copyMessages keeps the album together and in order; it takes no caption of ours.
            copies = await self.bot.copy_messages(
                out.chat_id, from_chat_id=out.copy_from[0], message_ids=out.album
            )
            ids = [c.message_id for c in copies]
            await self.store.link_also(row, ids[1:])
            return ids[0] if ids else None
        if out.copy_from is not None and not out.captioned:
            copied = await self.bot.copy_message(
                out.chat_id,
                from_chat_id=out.copy_from[0],
                message_id=out.copy_from[1],
                reply_markup=markup,
            )
            return copied.message_id
        text = self.renderer.render(out.template, lang, **out.context)
        if out.copy_from is not None:
            copied = await self.bot.copy_message(
                out.chat_id,
                from_chat_id=out.copy_from[0],
                message_id=out.copy_from[1],
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return copied.message_id
        if out.photo is not None:
            photo = await self.bot.send_photo(
                out.chat_id,
                out.photo,
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return photo.message_id
        if out.edit_of is not None:
            return await self._edit(row, text, markup)
        sent = await self.bot.send_message(
            out.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return sent.message_id

    async def _edit(self, row: OutboxRow, text: str, markup: InlineKeyboardMarkup | None) -> int:
        target = row.target_message_id
        if target is None:
            raise _NothingToEdit(f"outbox message {row.outgoing.edit_of} to edit was never sent")
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=row.outgoing.chat_id,
                message_id=target,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            # Already showing this text and these buttons (a repeated progress figure, or a
            # retry of an edit whose answer was lost): what had to arrive is there.
            if "message is not modified" not in exc.message.lower():
                raise
        return target

    def _markup(self, out: Outgoing, lang: Language) -> InlineKeyboardMarkup | None:
        if not out.buttons:
            return None
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self.renderer.label(lang, b.label, *b.label_args),
                        callback_data=self.callbacks.encode(out.chat_id, *b.action),
                    )
                    for b in row
                ]
                for row in out.buttons
            ]
        )


class _NothingToEdit(Exception):
    """An edit whose message was given up: there is no message to change."""


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
