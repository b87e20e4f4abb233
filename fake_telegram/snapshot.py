"""Save the emulator's state to JSON and load it back, so a restarted sandbox keeps its chats.

What is kept is what Telegram keeps between two runs of a bot: users and chats, every
message (with its id, so replies to it still find it), files, command menus, updates not yet
confirmed, and the counters behind update, callback and file ids (a bot confirms updates by
id: ids must keep growing). Not kept: faults, latency, call counts, pending callback queries.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
from typing import Any

from .files import FileStore
from .models import FakeChat, Message, StoredFile
from .state import FakeState
from .users import FakeUser

__all__ = ["VERSION", "dump", "load"]

VERSION = 1


def _peek(counter: itertools.count[int]) -> tuple[int, itertools.count[int]]:
    """The next value of a counter, and an equivalent fresh counter (reading consumes one)."""
    value = next(counter)
    return value, itertools.count(value)


def dump(state: FakeState) -> dict[str, Any]:
    """The state as JSON-friendly data."""
    next_update, state._update_ids = _peek(state._update_ids)
    next_query, state._query_ids = _peek(state._query_ids)
    store = state._file_store
    next_file, store._numbers = _peek(store._numbers)
    return {
        "version": VERSION,
        "users": [
            {
                "user_id": u.id,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "username": u.username,
                "language_code": u.language_code,
            }
            for u in state.users.values()
        ],
        "chats": [dataclasses.asdict(c) for c in state.chats.values()],
        "blocked": sorted(state.blocked),
        "messages": [dataclasses.asdict(m) for ms in state._messages.values() for m in ms],
        "files": [
            {**dataclasses.asdict(f), "data": base64.b64encode(f.data).decode("ascii")}
            for f in store.by_id.values()
        ],
        "photo_sizes": store._photo_sizes,
        "commands": state._commands,
        "menu_buttons": [[k, v] for k, v in state._menu_buttons.items()],
        "updates": state._updates,
        "next_update_id": next_update,
        "next_query_id": next_query,
        "next_file_number": next_file,
    }


def load(state: FakeState, data: dict[str, Any]) -> None:
    """Replace the state's chats, messages, files, menus and counters with ``data``."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown snapshot version {data.get('version')!r}")
    state._init_state()
    for entry in data["users"]:
        user = FakeUser(state, **entry)
        state.users[user.id] = user
    for entry in data["chats"]:
        chat = FakeChat(**entry)
        state.chats[chat.id] = chat
    state.blocked = set(data["blocked"])
    for entry in data["messages"]:
        for key in ("forwarded_from", "copied_from"):
            if entry.get(key) is not None:
                entry[key] = tuple(entry[key])
        message = Message(**entry)
        state._messages.setdefault(message.chat_id, []).append(message)
        state._index[(message.chat_id, message.message_id)] = message
    store = FileStore()
    for entry in data["files"]:
        stored = StoredFile(**{**entry, "data": base64.b64decode(entry["data"])})
        store.by_id[stored.file_id] = stored
    store._photo_sizes = dict(data["photo_sizes"])
    store._numbers = itertools.count(int(data["next_file_number"]))
    state._file_store = store
    state.files = store.by_id
    state._commands = dict(data["commands"])
    state._menu_buttons = {k: v for k, v in data["menu_buttons"]}
    state._updates = list(data["updates"])
    state._update_ids = itertools.count(int(data["next_update_id"]))
    state._query_ids = itertools.count(int(data["next_query_id"]))
