"""The typed CallbackContext: handlers reach the services (and only the services) through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.cases import Actor
from bot.domain.models import Account, Language, Role
from bot.rendering import Renderer
from bot.services.accounts import AccountService
from bot.services.albums import AlbumService
from bot.services.audit import AuditService
from bot.services.broadcasts import BroadcastService
from bot.services.bulk import BulkService
from bot.services.cases.assignment import AssignmentService
from bot.services.cases.lifecycle import LifecycleService
from bot.services.cases.queries import CaseQueries
from bot.services.cases.relay import RelayService
from bot.services.contacts import ContactService
from bot.services.exports import ExportService
from bot.services.faq import FaqService
from bot.services.figures import FiguresService
from bot.services.intake import IntakeService
from bot.services.onboarding import OnboardingService
from bot.services.pending import PendingService
from bot.services.registration import RegistrationService
from bot.services.staff import StaffService
from bot.settings import Settings
from bot.telegram.callbacks import CallbackCodec


@dataclass(frozen=True, slots=True)
class Services:
    """Everything handlers use, built once by app.build_services: services, no stores."""

    settings: Settings
    renderer: Renderer
    callbacks: CallbackCodec
    accounts: AccountService
    registration: RegistrationService
    contacts: ContactService
    intake: IntakeService
    queries: CaseQueries
    assignment: AssignmentService
    relay: RelayService
    albums: AlbumService
    lifecycle: LifecycleService
    pending: PendingService
    staff: StaffService
    onboarding: OnboardingService
    faq: FaqService
    figures: FiguresService
    exports: ExportService
    audit: AuditService
    bulk: BulkService
    broadcasts: BroadcastService


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the services and the account of the update's user.

    One context serves every handler group of an update: the account read by the `seen` hook
    (group -1) is reused by the handlers, so the role and language cost no further read.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._account: Account | None = None

    @property
    def services(self) -> Services:
        """The application's services."""
        return cast(Services, self.bot_data["services"])

    def remember(self, account: Account) -> None:
        """Keep the account read at the start of this update."""
        self._account = account

    def forget_account(self) -> None:
        """Drop the kept account after a change to it (a new language)."""
        self._account = None

    async def _account_of(self, user_id: int) -> Account | None:
        if self._account is None or self._account.telegram_id != user_id:
            self._account = await self.services.accounts.seen(user_id, None)
        return self._account

    async def language(self, user_id: int, client_code: str | None) -> Language:
        """The user's language: chosen with /language, else their client's, else the default."""
        account = await self._account_of(user_id)
        return self.services.accounts.language(account, client_code)

    async def role(self, user_id: int) -> Role:
        """The user's role: configured admins, else the stored role, else owner."""
        return self.services.accounts.role(user_id, await self._account_of(user_id))

    async def actor(self, user_id: int) -> Actor:
        """Who the user is: role, staff record or owner registration (re-read every time)."""
        return await self.services.accounts.actor(user_id)
