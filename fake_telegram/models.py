"""Data records of the fake Bot API: messages, chats, files, errors and request parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "FakeChat",
    "Message",
    "Params",
    "Refusal",
    "StoredFile",
    "UploadedFile",
]


class ApiError(Exception):
    """A Bot API error answer: HTTP status ``status`` and Telegram's ``description``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """``400 Bad Request: <reason>``."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class Message:
    """One message of a chat, as recorded by the fake (user's or bot's).

    ``text`` is the raw text as sent (``None`` for media), ``caption`` the raw caption,
    ``plain`` the rendered text of either (HTML tags removed, entities decoded).
    ``media`` holds the Bot API object of the content (list of PhotoSize for photos,
    Document, Voice, Audio, Video, VideoNote, Animation, Contact, Sticker, Location or Venue
    dict). ``edits`` lists previous raw texts/captions. Messages sent together as an album
    share a ``media_group_id``.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    sender_id: int
    date: int
    kind: str = "text"
    text: str | None = None
    plain: str = ""
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    file_id: str | None = None
    media: Any = None
    reply_to_message_id: int | None = None
    edits: list[str | None] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    forwarded_from: tuple[int, int] | None = None
    copied_from: tuple[int, int] | None = None
    media_group_id: str | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Flat list of the inline keyboard buttons (empty if none)."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def button_labels(self) -> list[str]:
        """Texts of the inline keyboard buttons, row by row."""
        return [str(button.get("text", "")) for button in self.buttons]

    @property
    def reply_keyboard_labels(self) -> list[str]:
        """Texts of the reply (custom) keyboard buttons, if the message carries one."""
        markup = self.reply_markup or {}
        return [
            button if isinstance(button, str) else str(button.get("text", ""))
            for row in markup.get("keyboard", [])
            for button in row
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of all fields (for the control endpoints)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["buttons"] = self.button_labels
        return data


@dataclass
class FakeChat:
    """A chat known to the fake. Private chats have ``id == user id``."""

    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class StoredFile:
    """A file held by the fake, downloadable via getFile + the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"

    @property
    def file_size(self) -> int:
        return len(self.data)

    def to_json(self) -> dict[str, Any]:
        """Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None = None


@dataclass
class CallbackAnswer:
    """A recorded answerCallbackQuery call."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    user_id: int | None
    chat_id: int | None
    message_id: int | None
    data: str | None


@dataclass
class Refusal:
    """A Bot API call the fake answered with an error, as Telegram would have refused it."""

    date: int
    method: str
    status: int
    description: str
    chat_id: int | str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of all fields."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class PendingQuery:
    """A callback query delivered to the bot and not answered yet."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class Params:
    """Request parameters with typed accessors raising Telegram-style 400 errors."""

    def __init__(self, data: dict[str, Any], files: dict[str, UploadedFile] | None = None):
        self.data = data
        self.files = files or {}

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) is not None

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def get_str(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise bad_request(f"field {key!r} must be a string")
        return str(value)

    def get_int(self, key: str, default: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def get_float(self, key: str, default: float = 0.0) -> float:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def get_bool(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad_request(f"invalid {key} specified")

    def get_json(self, key: str) -> Any:
        """A JSON-valued field (decoded if it still is a string)."""
        value = self.data.get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {key} JSON object") from None
        return value

    def chat_id(self, key: str = "chat_id") -> int | str:
        """``chat_id``-like field: an int, or an ``@username`` string."""
        value = self.data.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text
