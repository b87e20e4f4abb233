"""PTB persistence backed by the dialogs table: conversation states survive a crash.

The services write every answered step (state and answers) to `dialogs` before the bot replies;
PTB's periodic flush writes the same state again, so it is only a second, harmless writer.
Only conversations are persisted: user/chat/bot data live in proper tables instead.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.domain.ports import ConversationStore

# PTB's own aliases live in a private module (telegram.ext._utils.types); these are the same.
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Conversation states in SQLite; no pickles, no user/chat/bot data."""

    def __init__(self, store: ConversationStore, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._store = store

    async def get_conversations(self, name: str) -> ConversationDict:
        """Load every open dialog's state for the named conversation."""
        states = await self._store.dialog_states(name)
        return {key: state for key, state in states.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Mirror PTB's view of a conversation (None: ended) into the dialogs table."""
        chat_id, user_id = (int(part) for part in key)
        if new_state is None:
            await self._store.delete_dialog(name, chat_id, user_id)
        else:
            await self._store.set_dialog_state(name, chat_id, user_id, str(new_state))

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """No user data is persisted."""
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """No chat data is persisted."""
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        """No bot data is persisted."""
        return {}

    async def get_callback_data(self) -> None:
        """Callback data is signed, not stored."""
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: Any) -> None:
        """Not persisted."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not persisted."""

    async def drop_user_data(self, user_id: int) -> None:
        """Not persisted."""

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def flush(self) -> None:
        """Every write is already committed."""
