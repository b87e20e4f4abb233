"""Who is who, for routing and relaying: staff with their loads, contacts, enterprises."""

from __future__ import annotations

from bot.domain.models import Contact, Enterprise
from bot.storage.database import Database
from bot.storage.staff import StaffStore
from bot.storage.store import Store


class PeopleStore(StaffStore):
    """Staff queries plus the enterprise and contact look-ups cases need."""

    def __init__(self, db: Database, store: Store) -> None:
        super().__init__(db)
        self._store = store

    async def contacts_of(self, enterprise_id: int) -> list[Contact]:
        """The enterprise's contact persons (not erased)."""
        return await self._store.contacts_of(enterprise_id)

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        """An enterprise by id."""
        return await self._store.enterprise(enterprise_id)

    async def active_chat(self, telegram_id: int) -> bool:
        """Whether the user has not blocked the bot."""
        return await self._store.active_chat(telegram_id)
