"""Who is who: the bot itself (getMe) and the chats it knows (getChat)."""

from __future__ import annotations

from typing import Any

from ..models import Params
from ..registry import api_method
from ..serialize import bot_json
from ..state import FakeState


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
