"""What the page shows of the emulator's state: messages, keyboards, files and command menus."""

from __future__ import annotations

from typing import Any

from ..models import Message
from ..state import FakeState

__all__ = ["button_at", "command_menu", "message_view"]

_PREVIEW_CHARS = 120
# Kinds whose Bot API object the page shows (a card, a place, a length).
_MEDIA_SHOWN = frozenset(
    {
        "contact",
        "location",
        "venue",
        "sticker",
        "voice",
        "audio",
        "video",
        "video_note",
        "animation",
    }
)
_INLINE_KINDS = ("callback_data", "url", "copy_text", "web_app", "login_url")


def message_view(state: FakeState, message: Message, rev: int) -> dict[str, Any]:
    """A message as the page draws it (``rev``: the event number of its latest change)."""
    markup = message.reply_markup or {}
    view: dict[str, Any] = {
        "id": message.message_id,
        "chat_id": message.chat_id,
        "from_bot": message.from_bot,
        "sender_id": message.sender_id,
        "date": message.date,
        "kind": message.kind,
        "text": message.plain,
        "entities": message.entities,
        "edited": bool(message.edits),  # as clients show it: the text changed, not the buttons
        "deleted": message.deleted,
        "copied": message.copied_from is not None,
        "forwarded": message.forwarded_from is not None,
        "rev": rev,
        "reply_to": _reply_preview(state, message),
        "inline_keyboard": [
            [_inline_button(button) for button in row] for row in markup.get("inline_keyboard", [])
        ],
        "reply_keyboard": _reply_keyboard(markup),
        "remove_keyboard": bool(markup.get("remove_keyboard")),
        "file": _file(state, message),
        "media": message.media if message.kind in _MEDIA_SHOWN else None,
    }
    return view


def _reply_preview(state: FakeState, message: Message) -> dict[str, Any] | None:
    if message.reply_to_message_id is None:
        return None
    target = state.message(message.chat_id, message.reply_to_message_id)
    if target is None:
        return None
    text = target.plain or f"[{target.kind}]"
    return {
        "id": target.message_id,
        "from_bot": target.from_bot,
        "text": text[:_PREVIEW_CHARS],
        "deleted": target.deleted,
    }


def _inline_button(button: dict[str, Any]) -> dict[str, Any]:
    kind = next((k for k in _INLINE_KINDS if k in button), "other")
    view: dict[str, Any] = {"text": str(button.get("text", "")), "type": kind}
    if kind == "url":
        view["url"] = button["url"]
    elif kind == "copy_text":
        view["copy"] = (button.get("copy_text") or {}).get("text", "")
    return view


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any] | None:
    if "keyboard" not in markup:
        return None
    rows = []
    for row in markup["keyboard"]:
        buttons = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            buttons.append(
                {
                    "text": str(button.get("text", "")),
                    "request_contact": bool(button.get("request_contact")),
                    "request_location": bool(button.get("request_location")),
                }
            )
        rows.append(buttons)
    return {
        "rows": rows,
        "one_time": bool(markup.get("one_time_keyboard")),
        "placeholder": markup.get("input_field_placeholder") or "",
    }


def _file(state: FakeState, message: Message) -> dict[str, Any] | None:
    """The downloadable file of a photo or document (the largest size of a photo)."""
    if message.kind == "photo" and isinstance(message.media, list) and message.media:
        file_id = str(message.media[-1]["file_id"])
    elif message.kind in ("document", "sticker") and message.file_id:
        file_id = message.file_id
    else:
        return None
    stored = state.files.get(file_id)
    if stored is None:
        return None
    return {
        "id": stored.file_id,
        "name": stored.file_name or stored.file_path.rsplit("/", 1)[-1],
        "mime": stored.mime_type or "application/octet-stream",
        "size": stored.file_size,
    }


def button_at(message: Message, row: int, column: int) -> dict[str, Any]:
    """The inline button at (row, column) of a message; ValueError if there is none."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    if not 0 <= row < len(rows) or not 0 <= column < len(rows[row]):
        raise ValueError("that button is no longer there")
    button = rows[row][column]
    if not isinstance(button, dict):
        raise ValueError("not a button")
    return button


def command_menu(state: FakeState, user_id: int) -> list[dict[str, str]]:
    """The command menu a private chat shows, resolved through the scopes as Telegram does:
    the chat's own, then all private chats, then the default; each first in the user's
    language, then for every language."""
    user = state.users.get(user_id)
    language = (user.language_code or "")[:2].lower() if user else ""
    scopes: list[dict[str, Any]] = [
        {"type": "chat", "chat_id": user_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    ]
    for scope in scopes:
        for code in dict.fromkeys([language, ""]):
            found = state.commands(scope, code)
            if found:
                return found
    return []
