"""The fake Bot API: state, Bot API methods and test helpers, independent of transport.

Transports (:mod:`.transport` for in-process httpx, :mod:`.server` for real HTTP) only decode
HTTP and call :meth:`FakeBotAPI.handle`. Test code drives users through :class:`FakeUser`
(see :meth:`FakeBotAPI.user`) and inspects what the bot sent with :meth:`FakeBotAPI.sent_to`.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import serialize
from .faults import Faults, fault_error
from .files import FileStore
from .models import (
    ApiError,
    CallbackAnswer,
    FakeChat,
    Message,
    Params,
    PendingQuery,
    StoredFile,
    UploadedFile,
    bad_request,
)
from .ratelimit import RateLimiter, RateLimits
from .signals import Signal
from .users import FakeUser
from .validation import (
    CHAT_ACTIONS,
    MAX_CALLBACK_ANSWER_LENGTH,
    RenderedText,
    check_caption,
    check_language_code,
    check_message_text,
    check_webhook_url,
    normalize_scope,
    render_text,
    scope_key,
    validate_commands,
    validate_menu_button,
    validate_reply_markup,
)

__all__ = ["GENERIC_TRUE_METHODS", "FakeBotAPI", "supported_methods"]

Handler = Callable[["FakeBotAPI", Params], Any]
UpdateCallback = Callable[[dict[str, Any]], Awaitable[None]]
Listener = Callable[[str, Message], None]

# Valid Bot API methods the fake accepts without modelling them: they answer ``true``.
GENERIC_TRUE_METHODS = frozenset(
    {
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setMyDefaultAdministratorRights",
        "setMessageReaction",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "deleteMessages",
        "leaveChat",
        "setChatTitle",
        "setChatDescription",
        "setChatPermissions",
        "banChatMember",
        "unbanChatMember",
        "restrictChatMember",
        "approveChatJoinRequest",
        "declineChatJoinRequest",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

_HANDLERS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method implementation (names are matched case-insensitively)."""

    def register(func: Handler) -> Handler:
        _HANDLERS[name.lower()] = (name, func)
        return func

    return register


def supported_methods() -> list[str]:
    """Canonical names of all methods the fake implements (incl. generic ones)."""
    return sorted({name for name, _ in _HANDLERS.values()} | GENERIC_TRUE_METHODS)


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] = field(default_factory=list)


class FakeBotAPI:
    """In-memory Telegram Bot API with Telegram's validation rules and test helpers.

    ``token=None`` accepts any token. Flood limits are off unless ``rate_limits_enabled``.
    Set ``on_update`` to deliver updates directly (e.g. to ``Application.process_update``);
    leave it ``None`` to queue them for ``getUpdates``.
    """

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
        self.callback_query_ttl = 60.0
        self._updates_signal = Signal()
        self._messages_signal = Signal()
        self._init_state()

    def _init_state(self) -> None:
        """(Re)initialise everything but identity, clocks, delivery hooks and listeners."""
        self.rate_limits_enabled = False
        self._rate_limits = RateLimits()
        self._limiter = RateLimiter(self._rate_limits, lambda: self.clock())
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, FakeUser] = {}
        self.blocked: set[int] = set()
        self._file_store = FileStore()
        self.files = self._file_store.by_id  # the same dict, public as before
        self.webhook = _Webhook()
        self._messages: dict[int, list[Message]] = {}
        self._index: dict[tuple[int, int], Message] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._commands: dict[str, list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._pending_queries: dict[str, PendingQuery] = {}
        self._faults = Faults()
        self._poll_owner = 0
        self._poll_interrupts = 0

    def reset(self) -> None:
        """Forget all chats, messages, updates, files, commands, faults and settings."""
        self.interrupt_polls()
        self._init_state()

    # == configuration ============================================================================
    @property
    def rate_limits(self) -> RateLimits:
        """Flood limits in force when ``rate_limits_enabled`` (assigning resets the buckets)."""
        return self._rate_limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        self._rate_limits = limits
        self._limiter = RateLimiter(limits, lambda: self.clock())

    def fail_next(self, method: str | None = None, status: int = 500, count: int = 1) -> None:
        """Make the next ``count`` calls of ``method`` (any but getUpdates if None) fail."""
        self._faults.fail_next(method, status, count)

    def set_fault_rate(
        self,
        server_error: float = 0.0,
        lose_response: float = 0.0,
        seed: int = 0,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Random faults: 500/502 without effect, or effect then a lost (502) response.

        ``methods`` limits them to the given method names (default: all but getUpdates).
        """
        self._faults.set_rate(server_error, lose_response, seed, methods)

    # == request entry points =====================================================================
    async def handle(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns (HTTP status, JSON body)."""
        try:
            self._check_token(token)
            name, handler = self._resolve(method)
        except ApiError as err:
            return err.status, err.payload()
        self.calls[name] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            self._faults.inject(name)
            result = handler(self, Params(params, files))
            if inspect.isawaitable(result):
                result = await result
        except ApiError as err:
            return err.status, err.payload()
        if self._faults.response_lost(name):
            return 502, fault_error(502).payload()
        return 200, {"ok": True, "result": result}

    async def call(self, method: str, **params: Any) -> Any:
        """Call a method directly (no HTTP); returns the result or raises :class:`ApiError`."""
        status, body = await self.handle(self.token or "", method, params)
        if not body.get("ok"):
            retry = body.get("parameters", {}).get("retry_after")
            raise ApiError(status, body["description"], retry)
        return body["result"]

    def _check_token(self, token: str) -> None:
        if self.token is not None and token != self.token:
            raise ApiError(401, "Unauthorized")

    @staticmethod
    def _resolve(method: str) -> tuple[str, Handler]:
        found = _HANDLERS.get(method.lower())
        if found is not None:
            return found
        for name in GENERIC_TRUE_METHODS:
            if name.lower() == method.lower():
                return name, lambda api, params: True
        raise ApiError(404, "Not Found")

    def file_for_download(self, token: str, file_path: str) -> StoredFile:
        """The file behind ``<base_file_url><token>/<file_path>``; ApiError if none."""
        self._check_token(token)
        stored = self._file_store.by_path(file_path)
        if stored is None:
            raise ApiError(404, "Not Found")
        return stored

    # == chats, users and messages ================================================================
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

    def _emit(self, event: str, message: Message) -> None:
        for listener in list(self.listeners):
            listener(event, message)
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

    # == JSON views ===============================================================================
    def bot_json(self) -> dict[str, Any]:
        """Bot API ``User`` object of the bot."""
        return serialize.bot_json(self)

    def user_json(self, user_id: int) -> dict[str, Any]:
        """Bot API ``User`` object of a (fake) user."""
        return serialize.user_json(self, user_id)

    def message_json(self, message: Message, with_reply: bool = True) -> dict[str, Any]:
        """Bot API ``Message`` object (current state)."""
        return serialize.message_json(self, message, with_reply)

    # == update delivery (used by FakeUser) =======================================================
    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to ``on_update`` or queue it for getUpdates."""
        if self.on_update is not None:
            await self.on_update(update)
        else:
            self._updates.append(update)
            self._updates_signal.notify_all()

    def next_update_id(self) -> int:
        return next(self._update_ids)

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
        update = {"update_id": self.next_update_id(), "message": self.message_json(message)}
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

    # == long polling =============================================================================
    def interrupt_polls(self) -> None:
        """End pending getUpdates calls now (they answer with what is queued)."""
        self._poll_interrupts += 1
        self._updates_signal.notify_all()

    def _confirm_updates(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    # == internal helpers for methods =============================================================
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

    def _reply_target(self, chat: FakeChat, p: Params) -> int | None:
        params = p.get_json("reply_parameters")
        if isinstance(params, dict):
            target = params.get("message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        else:
            target = p.get_int("reply_to_message_id")
            allow = p.get_bool("allow_sending_without_reply")
        if target is None:
            return None
        found = self.message(chat.id, int(target))
        if found is None or found.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return int(target)

    def _caption(self, p: Params) -> RenderedText | None:
        caption = p.get_str("caption")
        if caption is None:
            return None
        rendered = render_text(caption, p.get_str("parse_mode"), p.get_json("caption_entities"))
        check_caption(rendered)
        return rendered

    def _bot_message(self, chat: FakeChat, kind: str, **fields: Any) -> Message:
        return self._new_message(chat, from_bot=True, sender_id=self.bot_id, kind=kind, **fields)

    def _editable(self, p: Params) -> tuple[FakeChat, Message]:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the fake")
        chat = self._chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.message(chat.id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit_markup(self, p: Params) -> dict[str, Any] | None:
        markup = validate_reply_markup(p.get_json("reply_markup"))
        if markup is not None and not serialize.is_inline(markup):
            raise bad_request("only inline keyboards can be used in edited messages")
        return markup

    def _apply_edit(
        self,
        message: Message,
        rendered: RenderedText | None,
        markup: dict[str, Any] | None,
    ) -> None:
        """Update a bot message in place (``rendered`` None: markup-only edit)."""
        current_inline = message.reply_markup if serialize.is_inline(message.reply_markup) else None
        same_text = rendered is None or (
            rendered.plain == message.plain and rendered.entities == message.entities
        )
        if same_text and markup == current_inline:
            raise bad_request(_NOT_MODIFIED)
        if rendered is not None:
            if message.kind == "text":
                message.edits.append(message.text)
                message.text = rendered.raw
            else:
                message.edits.append(message.caption)
                message.caption = rendered.raw
            message.plain, message.entities = rendered.plain, rendered.entities
            message.parse_mode = rendered.parse_mode
        if markup is not None or current_inline is not None:
            message.reply_markup = markup
        message.edit_date = self._now()
        self._emit("edit", message)

    # == Bot API methods ==========================================================================
    @api_method("getMe")
    def _get_me(self, p: Params) -> dict[str, Any]:
        return {
            **self.bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api_method("getUpdates")
    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm_updates(p.get_int("offset", 0) or 0)
        limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
        self._poll_owner += 1
        owner, interrupts = self._poll_owner, self._poll_interrupts
        self._updates_signal.notify_all()  # terminates an older pending poll
        deadline = asyncio.get_running_loop().time() + max(p.get_float("timeout", 0.0), 0.0)
        while not self._updates and self._poll_interrupts == interrupts:
            if self._poll_owner != owner:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._updates_signal.wait(remaining)
        return self._updates[:limit]

    @api_method("setWebhook")
    def _set_webhook(self, p: Params) -> bool:
        url = p.get_str("url", "") or ""
        if url:
            check_webhook_url(url)
        allowed = p.get_json("allowed_updates")
        self.webhook = _Webhook(
            url=url,
            secret_token=p.get_str("secret_token"),
            max_connections=p.get_int("max_connections", 40) or 40,
            allowed_updates=list(allowed) if isinstance(allowed, list) else [],
        )
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        self.interrupt_polls()
        return True

    @api_method("deleteWebhook")
    def _delete_webhook(self, p: Params) -> bool:
        self.webhook = _Webhook()
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @api_method("getWebhookInfo")
    def _get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    @api_method("sendMessage")
    def _send_message(self, p: Params) -> dict[str, Any]:
        chat = self._chat(p)
        rendered = render_text(
            p.get_str("text") or "", p.get_str("parse_mode"), p.get_json("entities")
        )
        check_message_text(rendered)
        markup = validate_reply_markup(p.get_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        self._flood_check(chat)
        message = self._bot_message(
            chat,
            "text",
            text=rendered.raw,
            plain=rendered.plain,
            parse_mode=rendered.parse_mode,
            entities=rendered.entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self.message_json(message)

    def _send_file(self, p: Params, kind: str) -> dict[str, Any]:
        chat = self._chat(p)
        caption = self._caption(p)
        markup = validate_reply_markup(p.get_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        stored = self._file_store.from_request(p, kind)
        self._flood_check(chat)
        message = self._bot_message(
            chat,
            kind,
            caption=caption.raw if caption else None,
            plain=caption.plain if caption else "",
            parse_mode=caption.parse_mode if caption else None,
            entities=caption.entities if caption else [],
            file_id=stored.file_id,
            media=self._file_store.media_json(stored),
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self.message_json(message)

    @api_method("sendPhoto")
    def _send_photo(self, p: Params) -> dict[str, Any]:
        return self._send_file(p, "photo")

    @api_method("sendDocument")
    def _send_document(self, p: Params) -> dict[str, Any]:
        return self._send_file(p, "document")

    @api_method("editMessageText")
    def _edit_message_text(self, p: Params) -> dict[str, Any]:
        chat, message = self._editable(p)
        rendered = render_text(
            p.get_str("text") or "", p.get_str("parse_mode"), p.get_json("entities")
        )
        check_message_text(rendered)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        markup = self._edit_markup(p)
        self._flood_check(chat)
        self._apply_edit(message, rendered, markup)
        return self.message_json(message)

    @api_method("editMessageCaption")
    def _edit_message_caption(self, p: Params) -> dict[str, Any]:
        chat, message = self._editable(p)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        rendered = self._caption(p) or render_text("", None)
        markup = self._edit_markup(p)
        self._flood_check(chat)
        self._apply_edit(message, rendered, markup)
        return self.message_json(message)

    @api_method("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        chat, message = self._editable(p)
        markup = self._edit_markup(p)
        self._flood_check(chat)
        self._apply_edit(message, None, markup)
        return self.message_json(message)

    @api_method("deleteMessage")
    def _delete_message(self, p: Params) -> bool:
        chat = self._chat(p, sending=False)
        message = self.message(chat.id, p.get_int("message_id") or 0)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        if message.from_bot:
            self._emit("delete", message)
        return True

    def _source_message(self, p: Params, verb: str) -> tuple[FakeChat, Message]:
        source_chat = self._chat(p, "from_chat_id", sending=False)
        message = self.message(source_chat.id, p.get_int("message_id") or 0)
        if message is None or message.deleted:
            raise bad_request(f"message to {verb} not found")
        return source_chat, message

    @api_method("copyMessage")
    def _copy_message(self, p: Params) -> dict[str, int]:
        chat = self._chat(p)
        source_chat, original = self._source_message(p, "copy")
        caption = self._caption(p) if original.kind != "text" else None
        markup = validate_reply_markup(p.get_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        self._flood_check(chat)
        copy = self._bot_message(
            chat,
            original.kind,
            text=original.text,
            plain=caption.plain if caption else original.plain,
            parse_mode=caption.parse_mode if caption else original.parse_mode,
            entities=list(caption.entities if caption else original.entities),
            caption=caption.raw if caption else original.caption,
            file_id=original.file_id,
            media=original.media,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            copied_from=(source_chat.id, original.message_id),
        )
        return {"message_id": copy.message_id}

    @api_method("forwardMessage")
    def _forward_message(self, p: Params) -> dict[str, Any]:
        chat = self._chat(p)
        source_chat, original = self._source_message(p, "forward")
        self._flood_check(chat)
        forward = self._bot_message(
            chat,
            original.kind,
            text=original.text,
            plain=original.plain,
            parse_mode=original.parse_mode,
            entities=list(original.entities),
            caption=original.caption,
            file_id=original.file_id,
            media=original.media,
            forwarded_from=(source_chat.id, original.message_id),
        )
        return self.message_json(forward)

    @api_method("sendChatAction")
    def _send_chat_action(self, p: Params) -> bool:
        chat = self._chat(p)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    @api_method("answerCallbackQuery")
    def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        text = p.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        pending = self._pending_queries.pop(query_id, None)
        if pending is None or self.clock() - pending.created > self.callback_query_ttl:
            raise bad_request(_QUERY_INVALID)
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=text,
                show_alert=p.get_bool("show_alert"),
                url=p.get_str("url"),
                cache_time=p.get_int("cache_time"),
                user_id=pending.user_id,
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                data=pending.data,
            )
        )
        return True

    @api_method("getFile")
    def _get_file(self, p: Params) -> dict[str, Any]:
        stored = self.files.get(p.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_json()

    def _command_key(self, p: Params) -> str:
        scope = normalize_scope(p.get_json("scope"))
        if "chat_id" in scope and self._find_chat(scope["chat_id"]) is None:
            raise bad_request("chat not found")
        language = check_language_code(p.get_str("language_code", "") or "")
        return scope_key(scope, language)

    @api_method("setMyCommands")
    def _set_my_commands(self, p: Params) -> bool:
        commands = validate_commands(p.get_json("commands"))
        self._commands[self._command_key(p)] = commands
        return True

    @api_method("getMyCommands")
    def _get_my_commands(self, p: Params) -> list[dict[str, str]]:
        return list(self._commands.get(self._command_key(p), []))

    @api_method("deleteMyCommands")
    def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._command_key(p), None)
        return True

    @api_method("setChatMenuButton")
    def _set_chat_menu_button(self, p: Params) -> bool:
        chat_id = self._chat(p, sending=False).id if "chat_id" in p else None
        button = p.get_json("menu_button")
        self._menu_buttons[chat_id] = validate_menu_button(button or {"type": "default"})
        return True

    @api_method("getChatMenuButton")
    def _get_chat_menu_button(self, p: Params) -> dict[str, Any]:
        chat_id = self._chat(p, sending=False).id if "chat_id" in p else None
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button or {"type": "commands"}

    @api_method("getChat")
    def _get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._chat(p, sending=False)
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    @api_method("close")
    def _close(self, p: Params) -> bool:
        self.interrupt_polls()
        return True

    @api_method("logOut")
    def _log_out(self, p: Params) -> bool:
        self.interrupt_polls()
        return True
