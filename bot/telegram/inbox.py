"""The durable inbox's pump: updates are stored first, then handled from the database.

Polling (bot/telegram/polling.py) and the webhook server (bot/telegram/webhook.py) only call
`receive`, and confirm an update to Telegram once it returned. The pump claims the first waiting
update of each chat, at most `slots` at once, and hands it to `Application.process_update`:
one chat's updates in order (also across a restart: the order is in the rows), different chats
concurrently, and a flooding chat holds one slot at most, so it never goes before other chats.

An update's effect writes mark it handled in their own transaction (Database.transaction);
an update whose handler only replied is marked when the handler returns, in the pump's next
claim transaction. A handler that fails is retried after a delay, a bounded number of times,
then kept as failed with its error (docs/architecture.md, "The durable inbox").
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.domain.inbox import Handling, InboxRow, InboxState, Incoming
from bot.domain.ports import Clock, InboxPort

_LOGGER = logging.getLogger(__name__)
# How often handled updates past their retention are pruned.
PRUNE_EVERY = timedelta(hours=1)
# The longest the pump sleeps with nothing to do (a wake comes sooner when anything happens).
IDLE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class InboxLimits:
    """How the pump handles: updates at once, tries, retry delay, how long handled ones stay."""

    slots: int
    max_attempts: int
    retry_seconds: float
    retention: timedelta


@dataclass(slots=True)
class _Try:
    """One try of one update, as the error handler sees it."""

    last: bool
    error: BaseException | None = None
    mark: Handling | None = None

    @property
    def final(self) -> bool:
        """No try follows: the last one, or its effects were written (a retry would repeat)."""
        return self.last or (self.mark is not None and self.mark.written)


_TRY: contextvars.ContextVar[_Try | None] = contextvars.ContextVar("inbox_try", default=None)


def failed_try(error: BaseException | None) -> bool:
    """Called by the error handler: this try failed. Return whether the user should be told
    (the last try, or an update not from the inbox); a try that will be retried is silent."""
    current = _TRY.get()
    if current is None:
        return True
    current.error = error or RuntimeError("handler failed")
    return current.final


def chat_key(update: Update) -> int:
    """The chat an update is ordered within (its chat, else its user, else 0)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


def incoming(update: Update, payload: str | None = None) -> Incoming:
    """An update as the inbox stores it (payload: the JSON as received, when there is one)."""
    if payload is None:
        payload = json.dumps(update.to_dict(), ensure_ascii=False)
    return Incoming(update.update_id, chat_key(update), payload)


class InboxPump:
    """Stores received updates and handles them from the database."""

    def __init__(self, store: InboxPort, clock: Clock, limits: InboxLimits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._done: list[int] = []
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        # Group commit: updates received while a store runs are stored together next.
        self._store_lock = asyncio.Lock()
        self._batch: list[tuple[Incoming, asyncio.Future[bool]]] = []
        self._last_prune: datetime | None = None
        # When the earliest retry falls due, as far as known: read from the database at start
        # and once it has passed, kept up to date by this pump's own failures in between.
        self._retry_at: datetime | None = None
        self._retry_known = False

    def attach(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The application whose handlers handle the updates."""
        self._app = application

    # == receiving ==============================================================================
    async def receive(self, updates: Sequence[Incoming]) -> list[bool]:
        """Store updates durably (raises if they could not be); return which were new.

        Only after this returns may Telegram be told they arrived. Concurrent calls are
        stored together in one transaction.
        """
        loop = asyncio.get_running_loop()
        mine = [(update, loop.create_future()) for update in updates]
        self._batch.extend(mine)
        async with self._store_lock:
            batch, self._batch = self._batch, []
            if batch:
                try:
                    new = set(await self.store.store([u for u, _ in batch], self.clock.now()))
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    raise
                for update, future in batch:
                    future.set_result(update.update_id in new)
        self.wake()
        return [await future for _, future in mine]

    async def deliver(self, update: Incoming) -> None:
        """Store an update and return once it was handled (for tests and the sandbox)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(update.update_id, []).append(waiter)
        try:
            (new,) = await self.receive([update])
            if new:
                await waiter
        finally:
            waiting = self._waiters.get(update.update_id, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiters.pop(update.update_id, None)

    def wake(self) -> None:
        """Look at the inbox now (an update was stored, or the clock moved)."""
        self._wake.set()

    # == handling ===============================================================================
    def start(self) -> None:
        """Start handling (putting back first what a crash left half-handled)."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="inbox-pump")

    async def stop(self) -> None:
        """Stop claiming; let updates being handled finish; record them."""
        self._stopping = True
        self.wake()
        if self._task is not None:
            await self._task
            self._task = None

    def abandon(self) -> None:
        """Drop everything at once, as a killed process would (tests)."""
        for task in [self._task, *self._handling.values()]:
            if task is not None:
                task.cancel()
        self._task = None
        self._handling.clear()

    async def _run(self) -> None:
        recovered = await self.store.recover(self.limits.max_attempts, self.clock.now())
        if recovered:
            _LOGGER.warning("Handling again %d update(s) a crash interrupted", recovered)
        # One cycle per wake: a claim takes every update that can start now, so the next one
        # can only come with a wake (an update stored, one finished) or when a retry is due.
        while not self._stopping:
            self._wake.clear()
            try:
                await self._cycle()
                await self._prune()
                idle = await self._idle_seconds()
            except Exception:  # the database is busy or gone: logged, tried again shortly
                _LOGGER.exception("The inbox could not be read; trying again")
                await self._sleep(1.0)
                continue
            await self._sleep(idle)
        if self._handling:
            await asyncio.wait(list(self._handling.values()))
        with contextlib.suppress(Exception):
            await self._cycle(limit=0)

    async def _cycle(self, limit: int | None = None) -> None:
        """Record finished updates and start the next ones."""
        free = self.limits.slots - len(self._handling) if limit is None else limit
        if not self._done and free <= 0:
            return  # nothing to record, no slot to fill: no transaction
        done, self._done = self._done, []
        try:
            rows = await self.store.cycle(done, self.clock.now(), free)
        except BaseException:
            self._done[:0] = done
            raise
        for row in rows:
            task = asyncio.create_task(self._handle(row), name=f"inbox:{row.update_id}")
            self._handling[row.update_id] = task

    async def _idle_seconds(self) -> float:
        now = self.clock.now()
        if not self._retry_known or (self._retry_at is not None and self._retry_at <= now):
            self._retry_at = await self.store.next_retry(now)
            self._retry_known = True
        if self._retry_at is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max((self._retry_at - now).total_seconds(), 0.01))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _prune(self) -> None:
        now = self.clock.now()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        pruned = await self.store.prune(now - self.limits.retention)
        if pruned:
            _LOGGER.info("Pruned %d handled update(s) older than the retention", pruned)

    async def _handle(self, row: InboxRow) -> None:
        assert self._app is not None, "attach the application first"
        attempt = _Try(last=row.attempts >= self.limits.max_attempts)
        token = _TRY.set(attempt)
        try:
            update = Update.de_json(json.loads(row.payload), self._app.bot)
            with self.store.handling(row.update_id, self.clock.now()) as attempt.mark:
                await self._app.process_update(update)
        except Exception as exc:  # process_update gives handler errors to on_error; not this
            attempt.error = exc
            _LOGGER.exception("Update %d could not be handled", row.update_id)
        finally:
            _TRY.reset(token)
        try:
            if attempt.error is None:
                self._done.append(row.update_id)
            else:
                await self._record_failure(row, attempt)
        finally:
            self._handling.pop(row.update_id, None)
            for waiter in self._waiters.get(row.update_id, []):
                if not waiter.done():
                    waiter.set_result(None)
            self.wake()

    async def _record_failure(self, row: InboxRow, attempt: _Try) -> None:
        now = self.clock.now()
        retry_at = None
        if not attempt.last:
            delay = self.limits.retry_seconds * 2 ** (row.attempts - 1)
            retry_at = now + timedelta(seconds=delay)
        error = f"{type(attempt.error).__name__}: {attempt.error}"[:1000]
        try:
            state = await self.store.failed(row.update_id, error, now, retry_at)
        except Exception:  # stays 'handling' until a restart puts it back: logged
            _LOGGER.exception("Could not record the failure of update %d", row.update_id)
            return
        if state is InboxState.PENDING and retry_at is not None:
            self._retry_at = retry_at if self._retry_at is None else min(self._retry_at, retry_at)
        if state is InboxState.FAILED:
            _LOGGER.error(
                "Update %d failed %d time(s) and is kept as failed (legal-aid-bot db inbox)",
                row.update_id,
                row.attempts,
            )
