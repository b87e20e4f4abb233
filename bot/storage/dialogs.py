"""The dialogs table: every dialog's state and answers, and the one-shot pending inputs."""

from __future__ import annotations

import json

from bot.domain.models import DialogState
from bot.domain.ports import Clock
from bot.storage.common import iso
from bot.storage.database import Database


class DialogRepository:
    """Stored dialogs: written before the bot acknowledges an answer (PRODUCT §10)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    async def load_dialog(self, name: str, chat_id: int, user_id: int) -> DialogState | None:
        """Return the stored state of one user's dialog, if any."""
        row = await self.db.fetchone(
            "SELECT state, data FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?",
            (name, chat_id, user_id),
        )
        if row is None:
            return None
        return DialogState(name, chat_id, user_id, row["state"], json.loads(row["data"]))

    async def save_dialog(self, dialog: DialogState) -> None:
        """Write the dialog's state and answers."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO dialogs (name, chat_id, user_id, state, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, chat_id, user_id) DO UPDATE SET "
                "state = excluded.state, data = excluded.data, updated_at = excluded.updated_at",
                (
                    dialog.name,
                    dialog.chat_id,
                    dialog.user_id,
                    dialog.state,
                    json.dumps(dialog.data, ensure_ascii=False),
                    iso(self._clock.now()),
                ),
            )

    async def delete_dialog(self, name: str, chat_id: int, user_id: int) -> None:
        """Forget a finished or cancelled dialog."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?",
                (name, chat_id, user_id),
            )

    async def dialog_states(self, name: str) -> dict[tuple[int, int], str]:
        """Return {(chat_id, user_id): state} of every open dialog of that name."""
        rows = await self.db.fetchall(
            "SELECT chat_id, user_id, state FROM dialogs WHERE name = ?", (name,)
        )
        return {(r["chat_id"], r["user_id"]): r["state"] for r in rows}

    async def set_dialog_state(self, name: str, chat_id: int, user_id: int, state: str) -> None:
        """Set only the state of a dialog, keeping its answers (PTB's persistence flush)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO dialogs (name, chat_id, user_id, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, chat_id, user_id) DO UPDATE SET "
                "state = excluded.state, updated_at = excluded.updated_at",
                (name, chat_id, user_id, state, iso(self._clock.now())),
            )
