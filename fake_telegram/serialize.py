"""Bot API JSON of what the fake holds: the bot, users, messages and callback queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import Message

if TYPE_CHECKING:
    from .state import FakeState
    from .users import FakeUser

__all__ = ["bot_json", "callback_query_json", "is_inline", "message_json", "user_json"]


def is_inline(markup: dict[str, Any] | None) -> bool:
    """Whether ``markup`` is an inline keyboard (the only markup a message object shows)."""
    return bool(markup) and "inline_keyboard" in (markup or {})


def bot_json(state: FakeState) -> dict[str, Any]:
    """Bot API ``User`` object of the bot."""
    return {
        "id": state.bot_id,
        "is_bot": True,
        "first_name": state.bot_first_name,
        "username": state.bot_username,
    }


def user_json(state: FakeState, user_id: int) -> dict[str, Any]:
    """Bot API ``User`` object of a (fake) user."""
    user = state.users.get(user_id)
    if user is None:
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
    return user.to_json()


def message_json(state: FakeState, message: Message, with_reply: bool = True) -> dict[str, Any]:
    """Bot API ``Message`` object (current state)."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": bot_json(state) if message.from_bot else user_json(state, message.sender_id),
        "chat": state.chats[message.chat_id].to_json(),
        "date": message.date,
    }
    if message.edit_date is not None:
        data["edit_date"] = message.edit_date
    if message.kind == "text":
        data["text"] = message.plain
        if message.entities:
            data["entities"] = message.entities
    else:
        data[message.kind] = message.media
        if message.kind == "venue":  # Telegram sends a venue's location as well
            data["location"] = message.media["location"]
        if message.kind == "animation":  # and an animation as a document too (Bot API)
            data["document"] = message.media
        if message.caption is not None:
            data["caption"] = message.plain
            if message.entities:
                data["caption_entities"] = message.entities
    if message.media_group_id is not None:
        data["media_group_id"] = message.media_group_id
    _add_links(state, message, data, with_reply)
    if is_inline(message.reply_markup):
        data["reply_markup"] = message.reply_markup
    return data


def _add_links(state: FakeState, message: Message, data: dict[str, Any], with_reply: bool) -> None:
    if with_reply and message.reply_to_message_id is not None:
        target = state.message(message.chat_id, message.reply_to_message_id)
        if target is not None and not target.deleted:
            data["reply_to_message"] = message_json(state, target, with_reply=False)
    if message.forwarded_from is not None:
        origin = state.message(*message.forwarded_from)
        if origin is not None:
            sender = bot_json(state) if origin.from_bot else user_json(state, origin.sender_id)
            data["forward_origin"] = {
                "type": "user",
                "sender_user": sender,
                "date": origin.date,
            }


def callback_query_json(
    state: FakeState, query_id: str, user: FakeUser, message: Message, data: str | None
) -> dict[str, Any]:
    """Bot API ``CallbackQuery`` object: ``user`` pressed a button of ``message``."""
    query: dict[str, Any] = {
        "id": query_id,
        "from": user.to_json(),
        "message": message_json(state, message),
        "chat_instance": str(abs(hash((state.bot_id, message.chat_id)))),
    }
    if data is not None:
        query["data"] = data
    return query
