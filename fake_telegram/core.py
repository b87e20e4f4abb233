"""The fake Bot API: state, Bot API methods and test helpers, independent of transport.

Transports (:mod:`.transport` for in-process httpx, :mod:`.server` for real HTTP) only decode
HTTP and call :meth:`FakeBotAPI.handle`. Test code drives users through :class:`FakeUser`
(see :meth:`FakeBotAPI.user`) and inspects what the bot sent with :meth:`FakeBotAPI.sent_to`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Iterable
from typing import Any

from . import serialize
from .faults import Faults, fault_error
from .models import (
    ApiError,
    CallbackAnswer,
    FakeChat,
    Message,
    Params,
    StoredFile,
    UploadedFile,
    bad_request,
)
from .registry import GENERIC_TRUE_METHODS, api_method, resolve, supported_methods
from .serialize import bot_json, message_json
from .state import FakeState, Webhook
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

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class FakeBotAPI(FakeState):
    """In-memory Telegram Bot API with Telegram's validation rules and test helpers.

    ``token=None`` accepts any token. Flood limits are off unless ``rate_limits_enabled``.
    Set ``on_update`` to deliver updates directly (e.g. to ``Application.process_update``);
    leave it ``None`` to queue them for ``getUpdates``.
    """

    def _init_state(self) -> None:
        """(Re)initialise the state, the call counts, the latency and the faults."""
        super()._init_state()
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self._faults = Faults()

    def reset(self) -> None:
        """Forget all chats, messages, updates, files, commands, faults and settings."""
        self.interrupt_polls()
        self._init_state()

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
            name, handler = resolve(method)
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

    def file_for_download(self, token: str, file_path: str) -> StoredFile:
        """The file behind ``<base_file_url><token>/<file_path>``; ApiError if none."""
        self._check_token(token)
        stored = self._file_store.by_path(file_path)
        if stored is None:
            raise ApiError(404, "Not Found")
        return stored

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


# == updates =======================================================================================
def _confirm_updates(state: FakeState, offset: int) -> None:
    if offset > 0:
        state._updates = [u for u in state._updates if u["update_id"] >= offset]
    elif offset < 0:
        state._updates = state._updates[offset:]


# == internal helpers for methods ==================================================================
def _reply_target(state: FakeState, chat: FakeChat, p: Params) -> int | None:
    params = p.get_json("reply_parameters")
    if isinstance(params, dict):
        target = params.get("message_id")
        allow = bool(params.get("allow_sending_without_reply"))
    else:
        target = p.get_int("reply_to_message_id")
        allow = p.get_bool("allow_sending_without_reply")
    if target is None:
        return None
    found = state.message(chat.id, int(target))
    if found is None or found.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return int(target)


def _caption(p: Params) -> RenderedText | None:
    caption = p.get_str("caption")
    if caption is None:
        return None
    rendered = render_text(caption, p.get_str("parse_mode"), p.get_json("caption_entities"))
    check_caption(rendered)
    return rendered


def _editable(state: FakeState, p: Params) -> tuple[FakeChat, Message]:
    if "inline_message_id" in p:
        raise bad_request("inline messages are not supported by the fake")
    chat = state._chat(p)
    message_id = p.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = state.message(chat.id, message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _edit_markup(p: Params) -> dict[str, Any] | None:
    markup = validate_reply_markup(p.get_json("reply_markup"))
    if markup is not None and not serialize.is_inline(markup):
        raise bad_request("only inline keyboards can be used in edited messages")
    return markup


def _apply_edit(
    state: FakeState,
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
    message.edit_date = state._now()
    state._emit("edit", message)


# == Bot API methods ===============================================================================
@api_method("getMe")
def _get_me(state: FakeState, p: Params) -> dict[str, Any]:
    return {
        **bot_json(state),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("getUpdates")
async def _get_updates(state: FakeState, p: Params) -> list[dict[str, Any]]:
    if state.webhook.url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    _confirm_updates(state, p.get_int("offset", 0) or 0)
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    state._poll_owner += 1
    owner, interrupts = state._poll_owner, state._poll_interrupts
    state._updates_signal.notify_all()  # terminates an older pending poll
    deadline = asyncio.get_running_loop().time() + max(p.get_float("timeout", 0.0), 0.0)
    while not state._updates and state._poll_interrupts == interrupts:
        if state._poll_owner != owner:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        await state._updates_signal.wait(remaining)
    return state._updates[:limit]


@api_method("setWebhook")
def _set_webhook(state: FakeState, p: Params) -> bool:
    url = p.get_str("url", "") or ""
    if url:
        check_webhook_url(url)
    allowed = p.get_json("allowed_updates")
    state.webhook = Webhook(
        url=url,
        secret_token=p.get_str("secret_token"),
        max_connections=p.get_int("max_connections", 40) or 40,
        allowed_updates=list(allowed) if isinstance(allowed, list) else [],
    )
    if p.get_bool("drop_pending_updates"):
        state._updates.clear()
    state.interrupt_polls()
    return True


@api_method("deleteWebhook")
def _delete_webhook(state: FakeState, p: Params) -> bool:
    state.webhook = Webhook()
    if p.get_bool("drop_pending_updates"):
        state._updates.clear()
    return True


@api_method("getWebhookInfo")
def _get_webhook_info(state: FakeState, p: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": state.webhook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(state._updates),
    }
    if state.webhook.url:
        info["max_connections"] = state.webhook.max_connections
        if state.webhook.allowed_updates:
            info["allowed_updates"] = state.webhook.allowed_updates
    return info


@api_method("sendMessage")
def _send_message(state: FakeState, p: Params) -> dict[str, Any]:
    chat = state._chat(p)
    rendered = render_text(p.get_str("text") or "", p.get_str("parse_mode"), p.get_json("entities"))
    check_message_text(rendered)
    markup = validate_reply_markup(p.get_json("reply_markup"))
    reply_to = _reply_target(state, chat, p)
    state._flood_check(chat)
    message = state._bot_message(
        chat,
        "text",
        text=rendered.raw,
        plain=rendered.plain,
        parse_mode=rendered.parse_mode,
        entities=rendered.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return message_json(state, message)


def _send_file(state: FakeState, p: Params, kind: str) -> dict[str, Any]:
    chat = state._chat(p)
    caption = _caption(p)
    markup = validate_reply_markup(p.get_json("reply_markup"))
    reply_to = _reply_target(state, chat, p)
    stored = state._file_store.from_request(p, kind)
    state._flood_check(chat)
    message = state._bot_message(
        chat,
        kind,
        caption=caption.raw if caption else None,
        plain=caption.plain if caption else "",
        parse_mode=caption.parse_mode if caption else None,
        entities=caption.entities if caption else [],
        file_id=stored.file_id,
        media=state._file_store.media_json(stored),
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return message_json(state, message)


@api_method("sendPhoto")
def _send_photo(state: FakeState, p: Params) -> dict[str, Any]:
    return _send_file(state, p, "photo")


@api_method("sendDocument")
def _send_document(state: FakeState, p: Params) -> dict[str, Any]:
    return _send_file(state, p, "document")


@api_method("editMessageText")
def _edit_message_text(state: FakeState, p: Params) -> dict[str, Any]:
    chat, message = _editable(state, p)
    rendered = render_text(p.get_str("text") or "", p.get_str("parse_mode"), p.get_json("entities"))
    check_message_text(rendered)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    markup = _edit_markup(p)
    state._flood_check(chat)
    _apply_edit(state, message, rendered, markup)
    return message_json(state, message)


@api_method("editMessageCaption")
def _edit_message_caption(state: FakeState, p: Params) -> dict[str, Any]:
    chat, message = _editable(state, p)
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    rendered = _caption(p) or render_text("", None)
    markup = _edit_markup(p)
    state._flood_check(chat)
    _apply_edit(state, message, rendered, markup)
    return message_json(state, message)


@api_method("editMessageReplyMarkup")
def _edit_message_reply_markup(state: FakeState, p: Params) -> dict[str, Any]:
    chat, message = _editable(state, p)
    markup = _edit_markup(p)
    state._flood_check(chat)
    _apply_edit(state, message, None, markup)
    return message_json(state, message)


@api_method("deleteMessage")
def _delete_message(state: FakeState, p: Params) -> bool:
    chat = state._chat(p, sending=False)
    message = state.message(chat.id, p.get_int("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    if message.from_bot:
        state._emit("delete", message)
    return True


def _source_message(state: FakeState, p: Params, verb: str) -> tuple[FakeChat, Message]:
    source_chat = state._chat(p, "from_chat_id", sending=False)
    message = state.message(source_chat.id, p.get_int("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request(f"message to {verb} not found")
    return source_chat, message


@api_method("copyMessage")
def _copy_message(state: FakeState, p: Params) -> dict[str, int]:
    chat = state._chat(p)
    source_chat, original = _source_message(state, p, "copy")
    caption = _caption(p) if original.kind != "text" else None
    markup = validate_reply_markup(p.get_json("reply_markup"))
    reply_to = _reply_target(state, chat, p)
    state._flood_check(chat)
    copy = state._bot_message(
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
def _forward_message(state: FakeState, p: Params) -> dict[str, Any]:
    chat = state._chat(p)
    source_chat, original = _source_message(state, p, "forward")
    state._flood_check(chat)
    forward = state._bot_message(
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
    return message_json(state, forward)


@api_method("sendChatAction")
def _send_chat_action(state: FakeState, p: Params) -> bool:
    chat = state._chat(p)
    action = p.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.chat_actions.append((chat.id, action))
    return True


@api_method("answerCallbackQuery")
def _answer_callback_query(state: FakeState, p: Params) -> bool:
    query_id = p.get_str("callback_query_id") or ""
    text = p.get_str("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    pending = state._pending_queries.pop(query_id, None)
    if pending is None or state.clock() - pending.created > state.callback_query_ttl:
        raise bad_request(_QUERY_INVALID)
    state.callback_answers.append(
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
def _get_file(state: FakeState, p: Params) -> dict[str, Any]:
    stored = state.files.get(p.get_str("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_json()


def _command_key(state: FakeState, p: Params) -> str:
    scope = normalize_scope(p.get_json("scope"))
    if "chat_id" in scope and state._find_chat(scope["chat_id"]) is None:
        raise bad_request("chat not found")
    language = check_language_code(p.get_str("language_code", "") or "")
    return scope_key(scope, language)


@api_method("setMyCommands")
def _set_my_commands(state: FakeState, p: Params) -> bool:
    commands = validate_commands(p.get_json("commands"))
    state._commands[_command_key(state, p)] = commands
    return True


@api_method("getMyCommands")
def _get_my_commands(state: FakeState, p: Params) -> list[dict[str, str]]:
    return list(state._commands.get(_command_key(state, p), []))


@api_method("deleteMyCommands")
def _delete_my_commands(state: FakeState, p: Params) -> bool:
    state._commands.pop(_command_key(state, p), None)
    return True


@api_method("setChatMenuButton")
def _set_chat_menu_button(state: FakeState, p: Params) -> bool:
    chat_id = state._chat(p, sending=False).id if "chat_id" in p else None
    button = p.get_json("menu_button")
    state._menu_buttons[chat_id] = validate_menu_button(button or {"type": "default"})
    return True


@api_method("getChatMenuButton")
def _get_chat_menu_button(state: FakeState, p: Params) -> dict[str, Any]:
    chat_id = state._chat(p, sending=False).id if "chat_id" in p else None
    button = state._menu_buttons.get(chat_id) or state._menu_buttons.get(None)
    return button or {"type": "commands"}


@api_method("getChat")
def _get_chat(state: FakeState, p: Params) -> dict[str, Any]:
    chat = state._chat(p, sending=False)
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
def _close(state: FakeState, p: Params) -> bool:
    state.interrupt_polls()
    return True


@api_method("logOut")
def _log_out(state: FakeState, p: Params) -> bool:
    state.interrupt_polls()
    return True
