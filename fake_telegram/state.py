"""The fake's shared state: the bot, users, chats, messages, updates, files and ids.

:class:`.FakeBotAPI` is this state plus the request pipeline (tokens, faults, latency); the
Bot API methods read and change it. Attributes with a leading underscore are shared with the
method modules of this package, not with its users (tests, bench, console).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import serialize
from .files import FileStore
from .models import (
    ApiError,
    CallbackAnswer,
    FakeChat,
    Message,
    Params,
    PendingQuery,
    StoredFile,
    bad_request,
)
from .ratelimit import RateLimiter, RateLimits
from .signals import Signal
from .users import FakeUser
from .validation import normalize_scope, scope_key
from .webhooks import WebhookPusher

__all__ = ["FakeState", "Listener", "Observer", "UpdateCallback", "Webhook"]

UpdateCallback = Callable[[dict[str, Any]], Awaitable[None]]
Listener = Callable[[str, Message], None]
# (event, subject): "message.new" / "message.edit" / "message.delete" with a Message (users'
# and the bot's), "callback_answer" with a CallbackAnswer, "refusal" with a Refusal.
Observer = Callable[[str, Any], None]


@dataclass
class Webhook:
    """What setWebhook set (an empty ``url``: no webhook, getUpdates works)."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] = field(default_factory=list)


class FakeState:
    """Everything the fake remembers, and the helpers to read and change it."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_id: int | None = None,
        bot_username: str = "fake_legal_aid_bot",
        bot_first_name: str = "Fake Bot",
    ) -> None:
        self.token = token
        prefix = (token or "").split(":", 1)[0]
        self.bot_id = (
            bot_id if bot_id is not None else int(prefix) if prefix.isdigit() else 123456789
        )
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock: Callable[[], float] = time.monotonic
        self.wall_clock: Callable[[], float] = time.time
        self.on_update: UpdateCallback | None = None
        self.listeners: list[Listener] = []
        self.observers: list[Observer] = []
        self.callback_query_ttl = 60.0
        # Where a webhook URL is reached from here (a reverse proxy's job; see webhooks.py).
        self.webhook_forward: Callable[[str], str] | None = None
        self.webhook_retry_seconds = 0.2
        self.webhook_pusher = WebhookPusher(self)
        self._updates_signal = Signal()
        self._messages_signal = Signal()
        self._init_state()

    def _init_state(self) -> None:
        """(Re)initialise everything but identity, clocks, delivery hooks and listeners."""
        self.rate_limits_enabled = False
        self._rate_limits = RateLimits()
        self._limiter = RateLimiter(self._rate_limits, lambda: self.clock())
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, FakeUser] = {}
        self.blocked: set[int] = set()
        self._file_store = FileStore()
        self.files = self._file_store.by_id  # the same dict, public as before
        self.webhook = Webhook()
        self._messages: dict[int, list[Message]] = {}
        self._index: dict[tuple[int, int], Message] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._media_groups = 0
        self._commands: dict[str, list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._pending_queries: dict[str, PendingQuery] = {}
        self._poll_owner = 0
        self._poll_interrupts = 0

    # == flood limits ============================================================================
    @property
    def rate_limits(self) -> RateLimits:
        """Flood limits in force when ``rate_limits_enabled`` (assigning resets the buckets)."""
        return self._rate_limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        self._rate_limits = limits
        self._limiter = RateLimiter(limits, lambda: self.clock())

    # == chats, users and messages ===============================================================
    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> FakeUser:
        """The fake user ``user_id``, created with a private chat of the same id if new.

        An existing user is returned unchanged (set its attributes to change the profile).
        """
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = FakeChat(
            user_id, "private", first_name=first_name, last_name=last_name, username=username
        )
        return user

    def add_chat(
        self, chat_id: int, type: str = "group", title: str | None = None, **names: str
    ) -> FakeChat:
        """Make a chat known (``type``: private, group, supergroup or channel)."""
        if type == "private":
            return self.user(chat_id, **names).chat
        chat = FakeChat(chat_id, type, title=title or f"Chat {chat_id}", **names)
        self.chats[chat_id] = chat
        return chat

    def history(self, chat_id: int, include_deleted: bool = False) -> list[Message]:
        """All messages of a chat in order, user's and bot's."""
        return [m for m in self._messages.get(chat_id, []) if include_deleted or not m.deleted]

    def sent_to(self, chat_id: int, include_deleted: bool = False) -> list[Message]:
        """The bot's messages to a chat, in order, in their current (edited) state."""
        return [m for m in self.history(chat_id, include_deleted) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> Message | None:
        """The bot's latest (not deleted) message in a chat."""
        sent = self.sent_to(chat_id)
        return sent[-1] if sent else None

    def message(self, chat_id: int, message_id: int) -> Message | None:
        """A recorded message by id (deleted ones included)."""
        return self._index.get((chat_id, message_id))

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands set for exactly this scope and language (like getMyCommands)."""
        return list(self._commands.get(scope_key(normalize_scope(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        """Menu button set for a chat (None: the default one), or None."""
        return self._menu_buttons.get(chat_id)

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file."""
        return self.files[file_id].data

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for getUpdates and not confirmed yet."""
        return list(self._updates)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event, message)`` on bot messages: 'new', 'edit', 'delete'."""
        self.listeners.append(listener)

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer(event, subject)`` on everything a chat window would show (see
        ``Observer``): users' messages as well as the bot's, button answers, refused calls."""
        self.observers.append(observer)

    def _notify(self, event: str, subject: Any) -> None:
        for observer in list(self.observers):
            observer(event, subject)

    def _emit(self, event: str, message: Message) -> None:
        for listener in list(self.listeners):
            listener(event, message)
        self._notify(f"message.{event}", message)
        self._messages_signal.notify_all()

    def _new_message(
        self, chat: FakeChat, *, from_bot: bool, sender_id: int, kind: str, **fields: Any
    ) -> Message:
        messages = self._messages.setdefault(chat.id, [])
        message = Message(
            message_id=messages[-1].message_id + 1 if messages else 1,
            chat_id=chat.id,
            from_bot=from_bot,
            sender_id=sender_id,
            date=self._now(),
            kind=kind,
            **fields,
        )
        messages.append(message)
        self._index[(chat.id, message.message_id)] = message
        if from_bot:
            self._emit("new", message)
        else:
            self._notify("message.new", message)
        return message

    def _now(self) -> int:
        return int(self.wall_clock())

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented helper signature
        *,
        after_message_id: int | None = None,
    ) -> Message:
        """Wait for the next bot message to ``chat_id`` (matching ``predicate``).

        "Next" means with a message_id above ``after_message_id`` (default: the chat's latest
        message when called). Pass the id of the user's message to avoid missing a fast reply.
        Raises TimeoutError.
        """
        if after_message_id is None:
            existing = self._messages.get(chat_id)
            after_message_id = existing[-1].message_id if existing else 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in self.sent_to(chat_id):
                if message.message_id > after_message_id and (
                    predicate is None or predicate(message)
                ):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [m.plain[:60] for m in self.sent_to(chat_id)[-3:]]
                raise TimeoutError(
                    f"no bot message to chat {chat_id} after #{after_message_id} within "
                    f"{timeout}s; latest bot messages: {recent}"
                )
            await self._messages_signal.wait(remaining)

    # == update delivery (used by FakeUser) ======================================================
    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to ``on_update`` or queue it for getUpdates."""
        if self.on_update is not None:
            await self.on_update(update)
        else:
            self._updates.append(update)
            self._updates_signal.notify_all()
            self.webhook_pusher.poke()

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def new_media_group_id(self) -> str:
        """A fresh album id (Telegram's are long decimal strings, unique per album)."""
        self._media_groups += 1
        return f"{int(self.wall_clock() * 1000)}{self._media_groups:04d}"

    def record_user_message(
        self, user: FakeUser, *, kind: str, chat_id: int | None = None, **fields: Any
    ) -> Message:
        """Record a message written by ``user`` (in their private chat by default).

        Writing in the private chat unblocks the bot, as restarting a blocked bot does.
        """
        chat = self.chats.get(chat_id if chat_id is not None else user.id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}; add it with api.add_chat() first")
        if chat.id == user.id:
            self.blocked.discard(user.id)
        return self._new_message(chat, from_bot=False, sender_id=user.id, kind=kind, **fields)

    async def deliver_message(self, message: Message) -> None:
        """Deliver a user's message as a ``message`` update."""
        update = {
            "update_id": self.next_update_id(),
            "message": serialize.message_json(self, message),
        }
        await self.deliver(update)

    async def deliver_callback(self, user: FakeUser, message: Message, data: str | None) -> str:
        """Deliver a ``callback_query`` update for ``message``; returns the query id."""
        query_id = str(4_000_000_000_000_000 + next(self._query_ids))
        self._pending_queries[query_id] = PendingQuery(
            query_id, user.id, message.chat_id, message.message_id, data, self.clock()
        )
        query = serialize.callback_query_json(self, query_id, user, message, data)
        await self.deliver({"update_id": self.next_update_id(), "callback_query": query})
        return query_id

    # == files (used by FakeUser) ================================================================
    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        ext: str = "bin",
    ) -> StoredFile:
        """Store bytes as a downloadable file of ``kind`` ('photo', 'document', ...)."""
        return self._file_store.store(kind, data, file_name=file_name, mime_type=mime_type, ext=ext)

    def photo_sizes(self, full: StoredFile) -> list[dict[str, Any]]:
        """PhotoSize list (thumbnail + full size) for a stored photo."""
        return self._file_store.photo_sizes(full)

    # == long polling ============================================================================
    def interrupt_polls(self) -> None:
        """End pending getUpdates calls now (they answer with what is queued)."""
        self._poll_interrupts += 1
        self._updates_signal.notify_all()

    # == helpers for the Bot API methods =========================================================
    def _find_chat(self, ref: int | str) -> FakeChat | None:
        if isinstance(ref, int):
            return self.chats.get(ref)
        name = ref.removeprefix("@").lower()
        return next((c for c in self.chats.values() if (c.username or "").lower() == name), None)

    def _chat(self, p: Params, key: str = "chat_id", *, sending: bool = True) -> FakeChat:
        chat = self._find_chat(p.chat_id(key))
        if chat is None:
            raise bad_request("chat not found")
        if sending and chat.type == "private" and chat.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _flood_check(self, chat: FakeChat) -> None:
        if not self.rate_limits_enabled:
            return
        retry_after = self._limiter.acquire(chat.id, chat.type)
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _bot_message(self, chat: FakeChat, kind: str, **fields: Any) -> Message:
        return self._new_message(chat, from_bot=True, sender_id=self.bot_id, kind=kind, **fields)
