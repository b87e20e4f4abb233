"""Repositories over the Database: all SQL for accounts, enterprises, contacts and dialogs."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.domain.models import (
    Contact,
    DialogState,
    Enterprise,
    EnterpriseSource,
    Language,
    Registration,
    Role,
)
from bot.storage.common import audit, ensure_account, iso, now, parse
from bot.storage.database import Database


def _enterprise(row: sqlite3.Row) -> Enterprise:
    return Enterprise(
        id=row["id"],
        credit_code=row["credit_code"],
        name=row["name"],
        district=row["district"],
        industry=row["industry"],
        source=EnterpriseSource(row["source"]),
        liaison_id=row["liaison_id"],
        deputy_liaison_id=row["deputy_liaison_id"],
    )


def _contact(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        enterprise_id=row["enterprise_id"],
        telegram_id=row["telegram_id"],
        name=row["name"],
        phone=row["phone"],
        consented_at=parse(row["consented_at"]),
    )


class Store:
    """Implements the domain's storage ports (AccountStore, DialogStore, RegistrationStore)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- accounts ---------------------------------------------------------------------------
    async def languages_of(self, telegram_id: int) -> tuple[Language | None, Language | None]:
        """The user's chosen language and their client's last known one."""
        row = await self.db.fetchone(
            "SELECT language, client_language FROM accounts WHERE telegram_id = ?", (telegram_id,)
        )
        if row is None:
            return None, None
        chosen = Language(row["language"]) if row["language"] else None
        client = Language(row["client_language"]) if row["client_language"] else None
        return chosen, client

    async def remember_client_language(self, telegram_id: int, language: Language) -> None:
        """Remember the client's language, for messages sent to the user later."""
        at = now()
        async with self.db.transaction() as tx:
            await ensure_account(tx, telegram_id, at)
            await tx.execute(
                "UPDATE accounts SET client_language = ?, updated_at = ? WHERE telegram_id = ?",
                (language.value, at, telegram_id),
            )

    async def set_language(self, telegram_id: int, language: Language) -> None:
        """Remember the user's chosen language."""
        at = now()
        async with self.db.transaction() as tx:
            await ensure_account(tx, telegram_id, at)
            await tx.execute(
                "UPDATE accounts SET language = ?, updated_at = ? WHERE telegram_id = ?",
                (language.value, at, telegram_id),
            )

    async def role_of(self, telegram_id: int) -> Role | None:
        """Return the stored role of an account, if the bot has met it."""
        row = await self.db.fetchone(
            "SELECT role FROM accounts WHERE telegram_id = ?", (telegram_id,)
        )
        return Role(row["role"]) if row else None

    # -- dialogs ----------------------------------------------------------------------------
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
                    now(),
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
                (name, chat_id, user_id, state, now()),
            )

    # -- enterprises and contacts -----------------------------------------------------------
    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """Return the enterprise with this credit code, if any."""
        row = await self.db.fetchone(
            "SELECT * FROM enterprises WHERE credit_code = ?", (credit_code,)
        )
        return _enterprise(row) if row else None

    async def registration_of(self, telegram_id: int) -> Registration | None:
        """Return the user's contact record and its enterprise, if registered."""
        row = await self.db.fetchone(
            "SELECT c.id AS c_id, c.enterprise_id, c.telegram_id, c.name AS c_name, c.phone, "
            "c.consented_at, e.* FROM contacts c JOIN enterprises e ON e.id = c.enterprise_id "
            "WHERE c.telegram_id = ?",
            (telegram_id,),
        )
        if row is None:
            return None
        contact = Contact(
            id=row["c_id"],
            enterprise_id=row["enterprise_id"],
            telegram_id=row["telegram_id"],
            name=row["c_name"],
            phone=row["phone"],
            consented_at=parse(row["consented_at"]),
        )
        return Registration(contact, _enterprise(row))

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        """An enterprise by id."""
        row = await self.db.fetchone("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return _enterprise(row) if row else None

    async def active_chat(self, telegram_id: int) -> bool:
        """Whether the user can be written to (has not blocked the bot as far as we know)."""
        row = await self.db.fetchone(
            "SELECT active FROM accounts WHERE telegram_id = ?", (telegram_id,)
        )
        return row is None or bool(row["active"])

    async def reactivate(self, telegram_id: int) -> None:
        """The user wrote again: they unblocked the bot."""
        if await self.active_chat(telegram_id):
            return  # the common case: nothing to write
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE accounts SET active = 1, updated_at = ? "
                "WHERE telegram_id = ? AND active = 0",
                (now(), telegram_id),
            )

    async def contacts_of(self, enterprise_id: int) -> list[Contact]:
        """Return the enterprise's contact persons who have not been erased."""
        rows = await self.db.fetchall(
            "SELECT * FROM contacts WHERE enterprise_id = ? AND erased_at IS NULL ORDER BY id",
            (enterprise_id,),
        )
        return [_contact(r) for r in rows]

    async def save_registration(
        self,
        *,
        telegram_id: int,
        credit_code: str,
        enterprise_name: str,
        district: str,
        industry: str,
        contact_name: str,
        phone: str,
        consented_at: datetime,
        source: EnterpriseSource,
        dialog: tuple[str, int, int],
    ) -> Registration:
        """Create or update the enterprise and the user's contact, and drop the dialog."""
        at = now()
        async with self.db.transaction() as tx:
            await ensure_account(tx, telegram_id, at)
            cursor = await tx.execute(
                "SELECT id, source FROM enterprises WHERE credit_code = ?", (credit_code,)
            )
            existing = await cursor.fetchone()
            if existing is None:
                cursor = await tx.execute(
                    "INSERT INTO enterprises (credit_code, name, district, industry, source, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (credit_code, enterprise_name, district, industry, source.value, at, at),
                )
                enterprise_id = cursor.lastrowid
            else:
                enterprise_id = existing["id"]
                # Imported records are the programme's: only admins change them.
                if existing["source"] == EnterpriseSource.REGISTRATION.value:
                    await tx.execute(
                        "UPDATE enterprises SET name = ?, district = ?, industry = ?, "
                        "updated_at = ? WHERE id = ?",
                        (enterprise_name, district, industry, at, enterprise_id),
                    )
            await tx.execute(
                "INSERT INTO contacts (enterprise_id, telegram_id, name, phone, consented_at, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (telegram_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, "
                "name = excluded.name, phone = excluded.phone, updated_at = excluded.updated_at",
                (enterprise_id, telegram_id, contact_name, phone, iso(consented_at), at, at),
            )
            await tx.execute(
                "DELETE FROM dialogs WHERE name = ? AND chat_id = ? AND user_id = ?", dialog
            )
            await audit(tx, telegram_id, "register", credit_code)
        registration = await self.registration_of(telegram_id)
        assert registration is not None  # written in the transaction above
        return registration

    async def erase_contact(self, telegram_id: int) -> bool:
        """Remove the user's name, phone, Telegram link and account; keep the anonymous row."""
        at = now()
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE contacts SET name = NULL, phone = NULL, telegram_id = NULL, "
                "erased_at = ?, updated_at = ? WHERE telegram_id = ?",
                (at, at, telegram_id),
            )
            erased = cursor.rowcount > 0
            await tx.execute("DELETE FROM dialogs WHERE user_id = ?", (telegram_id,))
            await tx.execute(
                "DELETE FROM accounts WHERE telegram_id = ? AND role = 'owner'", (telegram_id,)
            )
            if erased:
                await audit(tx, None, "erase_contact", "contact")
        return erased
