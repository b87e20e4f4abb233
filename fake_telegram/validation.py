"""Pure validation rules of the Bot API: texts, parse modes, keyboards, commands, URLs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .html import HtmlParseError, parse_html, utf16_len
from .models import bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_KEYBOARD_BUTTONS = 100
MAX_COMMANDS = 100

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SCOPES_WITH_CHAT = {"chat", "chat_administrators", "chat_member"}
_SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_WEBHOOK_PORTS = {None, 80, 88, 443, 8443}


@dataclass
class RenderedText:
    """A text or caption after applying its parse mode."""

    raw: str
    plain: str
    parse_mode: str | None
    entities: list[dict[str, Any]] = field(default_factory=list)


def normalize_parse_mode(parse_mode: str | None) -> str | None:
    """Canonical parse mode name ('HTML', 'MarkdownV2', 'Markdown') or None."""
    if not parse_mode:
        return None
    canonical = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}
    try:
        return canonical[parse_mode.strip().lower()]
    except KeyError:
        raise bad_request("unsupported parse_mode") from None


def render_text(
    raw: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> RenderedText:
    """Apply ``parse_mode`` (HTML is validated strictly; Markdown is kept as is) and trim."""
    mode = normalize_parse_mode(parse_mode)
    if mode == "HTML":
        try:
            parsed = parse_html(raw)
        except HtmlParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
        plain, found = parsed.plain, parsed.entities
    else:
        plain, found = raw, list(entities or [])
    plain, found = _trim(plain, found)
    return RenderedText(raw=raw, plain=plain, parse_mode=mode, entities=found)


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram, shifting/clipping entities."""
    stripped = plain.strip()
    if stripped == plain:
        return plain, entities
    shift = utf16_len(plain[: len(plain) - len(plain.lstrip())])
    size = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - shift)
        end = min(size, int(entity["offset"]) + int(entity["length"]) - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def check_message_text(rendered: RenderedText) -> None:
    """Empty / too long message texts are refused."""
    if not rendered.plain:
        raise bad_request("message text is empty")
    if utf16_len(rendered.plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")


def check_caption(rendered: RenderedText) -> None:
    """Captions over 1024 UTF-16 code units are refused."""
    if utf16_len(rendered.plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")


# -- keyboards ---------------------------------------------------------------------------------
def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate any reply_markup kind; returns it as a dict (or None)."""
    if markup is None or markup == "":
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _rows(keyboard: Any, what: str) -> list[list[Any]]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request(f'field "{what}" must be an Array of Arrays')
    if sum(len(row) for row in keyboard) > MAX_KEYBOARD_BUTTONS:
        raise bad_request("reply markup is too long")
    return keyboard


def _validate_inline_keyboard(keyboard: Any) -> None:
    for row in _rows(keyboard, "inline_keyboard"):
        for button in row:
            validate_inline_button(button)


def validate_inline_button(button: Any) -> None:
    """One inline button: a text and exactly one action; data and URL rules."""
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [key for key in INLINE_BUTTON_ACTIONS if button.get(key) is not None]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(prefix + f"exactly one optional field must be used, got {actions}")
    if "callback_data" in actions:
        data = button["callback_data"]
        size = len(str(data).encode("utf-8"))
        if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions and not is_valid_button_url(button["url"]):
        raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid")


def is_valid_button_url(url: Any) -> bool:
    """http(s) URLs with a real host name, or tg:// links."""
    if not isinstance(url, str) or not url or any(ch.isspace() for ch in url):
        return False
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "tg":
        return bool(parts.netloc or parts.path)
    if scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    return "." in host and host != "localhost" and not host.endswith(".")


def _validate_reply_keyboard(keyboard: Any) -> None:
    for row in _rows(keyboard, "keyboard"):
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("can't parse keyboard button: button text is empty")


# -- commands ----------------------------------------------------------------------------------
def validate_commands(commands: Any) -> list[dict[str, str]]:
    """A BotCommand list: 1-32 chars of [a-z0-9_] and a 1-256 chars description."""
    if not isinstance(commands, list):
        raise bad_request("can't parse BotCommand array JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    result = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for key in ("command", "description"):
            if not isinstance(item.get(key), str):
                raise bad_request(f"can't parse BotCommand: Can't find field \"{key}\"")
        if not _COMMAND_RE.fullmatch(item["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(item["description"].strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": item["command"], "description": item["description"]})
    return result


def normalize_scope(scope: Any) -> dict[str, Any]:
    """BotCommandScope as a canonical dict (default scope when None)."""
    if scope is None or scope == "":
        return {"type": "default"}
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in _SCOPES:
        return {"type": kind}
    if kind not in _SCOPES_WITH_CHAT:
        raise bad_request("wrong bot command scope type specified")
    result: dict[str, Any] = {"type": kind, "chat_id": _coerce_id(scope.get("chat_id"), "chat")}
    if kind == "chat_member":
        result["user_id"] = _coerce_id(scope.get("user_id"), "user")
    return result


def _coerce_id(value: Any, what: str) -> int | str:
    if value is None or value == "":
        raise bad_request(f"{what} not found")
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def scope_key(scope: dict[str, Any], language_code: str) -> str:
    """Storage key of a (scope, language) pair."""
    return json.dumps([scope, language_code], sort_keys=True)


def check_language_code(code: str) -> str:
    """'' or a two-letter ISO 639-1 code, as the Bot API documents for commands."""
    if code and not _LANGUAGE_RE.fullmatch(code):
        raise bad_request("invalid language code specified")
    return code


def check_webhook_url(url: str) -> None:
    """HTTPS only, on the ports Telegram allows."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port
    except ValueError:
        raise bad_request("bad webhook: invalid port specified") from None
    if port not in _WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def validate_menu_button(button: Any) -> dict[str, Any]:
    """MenuButton: commands / default / web_app (with text and an https web_app.url)."""
    if not isinstance(button, dict) or button.get("type") not in ("commands", "default", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        web_app = button.get("web_app")
        url = web_app.get("url") if isinstance(web_app, dict) else None
        if not button.get("text") or not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request("can't parse menu button JSON object")
    return button
