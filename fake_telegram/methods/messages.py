"""Sending, editing, copying, forwarding and deleting the bot's messages; chat actions."""

from __future__ import annotations

import itertools
from typing import Any

from ..models import FakeChat, Message, Params, bad_request
from ..registry import api_method
from ..serialize import is_inline, message_json
from ..state import FakeState
from ..validation import (
    CHAT_ACTIONS,
    RenderedText,
    check_caption,
    check_message_text,
    render_text,
    validate_reply_markup,
)

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


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
    else:
        state._notify("message.delete", message)
    return True


# Kinds a copy shows without the caption it was given: Telegram keeps no caption on them.
CAPTIONLESS = frozenset(
    {"text", "sticker", "video_note", "location", "venue", "contact", "poll", "dice"}
)
# What copyMessage(s) refuses: service messages and the kinds the Bot API names.
UNCOPYABLE = frozenset({"service", "invoice", "giveaway", "giveaway_winners", "paid_media"})
MAX_COPY_MESSAGES = 100


@api_method("copyMessage")
def _copy_message(state: FakeState, p: Params) -> dict[str, int]:
    chat = state._chat(p)
    source_chat, original = _source_message(state, p, "copy")
    if original.kind in UNCOPYABLE:
        raise bad_request("message can't be copied")
    caption = _caption(p) if original.kind not in CAPTIONLESS else None
    markup = validate_reply_markup(p.get_json("reply_markup"))
    reply_to = _reply_target(state, chat, p)
    state._flood_check(chat)
    copy = _copy(state, chat, source_chat, original, caption, markup, reply_to)
    return {"message_id": copy.message_id}


@api_method("copyMessages")
def _copy_messages(state: FakeState, p: Params) -> list[dict[str, int]]:
    """Copies in order; album grouping kept; missing or uncopyable ones are skipped."""
    chat = state._chat(p)
    source_chat = state._chat(p, "from_chat_id", sending=False)
    ids = p.get_json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    if len(ids) > MAX_COPY_MESSAGES:
        raise bad_request("too many messages to copy")
    try:
        numbers = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise bad_request("invalid message identifiers specified") from None
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise bad_request("message identifiers must be in a strictly increasing order")
    originals = [
        m
        for i in numbers
        if (m := state.message(source_chat.id, i)) is not None
        and not m.deleted
        and m.kind not in UNCOPYABLE
    ]
    if not originals:
        raise bad_request("messages to copy not found")
    state._flood_check(chat)
    remove = p.get_bool("remove_caption")
    groups: dict[str, str] = {}
    copies = []
    for original in originals:
        empty = render_text("", None) if remove and original.caption is not None else None
        group = None
        if original.media_group_id is not None:
            group = groups.setdefault(original.media_group_id, state.new_media_group_id())
        copy = _copy(state, chat, source_chat, original, empty, None, None, group)
        copies.append({"message_id": copy.message_id})
    return copies


def _copy(
    state: FakeState,
    chat: FakeChat,
    source_chat: FakeChat,
    original: Message,
    caption: RenderedText | None,
    markup: dict[str, Any] | None,
    reply_to: int | None,
    media_group_id: str | None = None,
) -> Message:
    return state._bot_message(
        chat,
        original.kind,
        text=original.text,
        plain=caption.plain if caption else original.plain,
        parse_mode=caption.parse_mode if caption else original.parse_mode,
        entities=list(caption.entities if caption else original.entities),
        caption=(caption.raw or None) if caption else original.caption,
        file_id=original.file_id,
        media=original.media,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        copied_from=(source_chat.id, original.message_id),
        media_group_id=media_group_id,
    )


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


def _source_message(state: FakeState, p: Params, verb: str) -> tuple[FakeChat, Message]:
    source_chat = state._chat(p, "from_chat_id", sending=False)
    message = state.message(source_chat.id, p.get_int("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request(f"message to {verb} not found")
    return source_chat, message


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
    if markup is not None and not is_inline(markup):
        raise bad_request("only inline keyboards can be used in edited messages")
    return markup


def _apply_edit(
    state: FakeState,
    message: Message,
    rendered: RenderedText | None,
    markup: dict[str, Any] | None,
) -> None:
    """Update a bot message in place (``rendered`` None: markup-only edit)."""
    current_inline = message.reply_markup if is_inline(message.reply_markup) else None
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
