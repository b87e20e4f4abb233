"""The bot's command lists per scope and language, and the chat menu button."""

from __future__ import annotations

from typing import Any

from ..models import Params, bad_request
from ..registry import api_method
from ..state import FakeState
from ..validation import (
    check_language_code,
    normalize_scope,
    scope_key,
    validate_commands,
    validate_menu_button,
)


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


def _command_key(state: FakeState, p: Params) -> str:
    scope = normalize_scope(p.get_json("scope"))
    if "chat_id" in scope and state._find_chat(scope["chat_id"]) is None:
        raise bad_request("chat not found")
    language = check_language_code(p.get_str("language_code", "") or "")
    return scope_key(scope, language)


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
