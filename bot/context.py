"""The typed CallbackContext: handlers reach the services through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.models import Language, Role
from bot.rendering import Renderer
from bot.services.cases import Actor, CaseService
from bot.services.faq import FaqService
from bot.services.intake import IntakeService
from bot.services.registration import RegistrationService
from bot.services.staff import StaffService
from bot.settings import Settings
from bot.storage.outbox import OutboxStore
from bot.storage.people import PeopleStore
from bot.storage.store import Store
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.sender import OutboxSender


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    """Everything handlers use, built once by app.build_services."""

    settings: Settings
    store: Store
    people: PeopleStore
    renderer: Renderer
    callbacks: CallbackCodec
    registration: RegistrationService
    staff: StaffService
    cases: CaseService
    intake: IntakeService
    faq: FaqService
    outbox: OutboxStore
    sender: OutboxSender | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the services and the user's language and role."""

    _language: Language | None = None

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._language = None

    @property
    def services(self) -> Services:
        """The application's services."""
        return cast(Services, self.bot_data["services"])

    async def language(self, user_id: int, client_code: str | None) -> Language:
        """The user's language: chosen with /language, else their client's, else the default."""
        if self._language is None:
            store = self.services.store
            chosen, remembered = await store.languages_of(user_id)
            client = Language.from_client(client_code, self.services.settings.default_language)
            if client_code and client is not remembered:
                await store.remember_client_language(user_id, client)
            self._language = chosen or client
        return self._language

    def forget_language(self) -> None:
        """Drop the cached language after the user changed it."""
        self._language = None

    async def role(self, user_id: int) -> Role:
        """The user's role: configured admins, else the stored role, else owner."""
        if user_id in self.services.settings.access.admins:
            return Role.ADMIN
        return await self.services.store.role_of(user_id) or Role.OWNER

    async def actor(self, user_id: int) -> Actor:
        """Who the user is: role, staff record or owner registration (re-read every time)."""
        role = await self.role(user_id)
        if role is Role.OWNER:
            registration = await self.services.registration.registration_of(user_id)
            return Actor(user_id, role, registration=registration)
        return Actor(user_id, role, staff=await self.services.staff.staff_of(user_id))
