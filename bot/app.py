"""build_application(): the only place handlers, persistence, processor and errors are wired."""

from __future__ import annotations

from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.context import BotContext, Services, SystemClock
from bot.domain.models import Language, Role
from bot.domain.ports import Clock
from bot.rendering import Renderer
from bot.services.cases import CaseService
from bot.services.faq import FaqService, load_knowledge_base
from bot.services.intake import IntakeService
from bot.services.registration import RegistrationService
from bot.services.staff import StaffService
from bot.settings import Settings
from bot.storage.cases import CaseStore
from bot.storage.database import Database
from bot.storage.faq import FaqQueryStore
from bot.storage.outbox import OutboxStore
from bot.storage.people import PeopleStore
from bot.storage.store import Store
from bot.telegram import basic, cases, faq, intake, registration, staff
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.menus import set_chat_menu, set_default_menus
from bot.telegram.persistence import SQLitePersistence
from bot.telegram.processor import PerChatUpdateProcessor
from bot.telegram.sender import OutboxSender, SenderLimits

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


def build_services(
    settings: Settings,
    db: Database,
    *,
    clock: Clock | None = None,
    renderer: Renderer | None = None,
) -> Services:
    """Build the services over an open database."""
    clock = clock or SystemClock()
    store = Store(db)
    people = PeopleStore(db, store)
    cases = CaseService(
        CaseStore(db, settings.cases.number_prefix),
        people,
        clock,
        settings.categories,
        settings.access.admins,
    )
    choices = {
        "district": settings.districts,
        "industry": settings.industries,
        "category": [c.choice for c in settings.categories],
    }
    return Services(
        settings=settings,
        store=store,
        people=people,
        renderer=renderer or Renderer(choices=choices, timezone=settings.locale.timezone),
        callbacks=CallbackCodec(settings.token),
        registration=RegistrationService(store, clock, settings.districts, settings.industries),
        staff=StaffService(people, clock, settings.cases.invite_hours),
        cases=cases,
        intake=IntakeService(
            store, cases, settings.categories, settings.cases.description_min_chars
        ),
        faq=FaqService(
            load_knowledge_base(settings.config_dir / "faq"),
            FaqQueryStore(db),
            clock,
            settings.locale.timezone,
        ),
        outbox=OutboxStore(db),
    )


def build_application(
    settings: Settings,
    db: Database,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    sender_request: BaseRequest | None = None,
    clock: Clock | None = None,
) -> BotApplication:
    """Wire the bot: services, handlers in their groups, persistence, processor, errors."""
    services = build_services(settings, db, clock=clock)
    tg = settings.telegram
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .persistence(SQLitePersistence(services.store))
        .concurrent_updates(PerChatUpdateProcessor(tg.concurrent_updates))
    )
    builder = builder.request(
        request
        or HTTPXRequest(
            connection_pool_size=32,
            connect_timeout=tg.connect_timeout,
            read_timeout=tg.read_timeout,
        )
    )
    builder = builder.get_updates_request(
        get_updates_request
        or HTTPXRequest(
            connect_timeout=tg.connect_timeout, read_timeout=tg.read_timeout + tg.poll_timeout
        )
    )
    if tg.max_messages_per_second:
        limiter = AIORateLimiter(overall_max_rate=tg.max_messages_per_second, max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application: BotApplication = builder.build()
    application.bot_data["services"] = services
    services.sender = _build_sender(services, sender_request, clock)
    services.cases.waker = services.sender
    # Group 0: exactly one handler answers each update, the first that matches, in this order.
    application.add_handlers(basic.before_dialogs(), group=0)
    application.add_handler(registration.build(), group=0)
    application.add_handler(intake.conversation(), group=0)
    application.add_handler(staff.conversation(), group=0)
    application.add_handlers(cases.handlers(), group=0)
    application.add_handlers(staff.handlers(), group=0)
    application.add_handlers(faq.handlers(), group=0)
    application.add_handler(cases.input_handler(faq.answer_text), group=0)
    application.add_handlers(basic.after_dialogs(), group=0)
    application.add_error_handler(basic.on_error)
    return application


def _build_sender(
    services: Services, request: BaseRequest | None, clock: Clock | None
) -> OutboxSender:
    """The outbox sender, with a Bot of its own: it owns the rate limits (no AIORateLimiter)."""
    settings = services.settings
    bot = Bot(
        settings.token,
        base_url=settings.telegram.base_url,
        base_file_url=settings.telegram.base_file_url,
        request=request
        or HTTPXRequest(
            connection_pool_size=32,
            connect_timeout=settings.telegram.connect_timeout,
            read_timeout=settings.telegram.read_timeout,
        ),
    )
    limits = settings.outbox
    store = services.store
    default = settings.default_language

    async def language_of(chat_id: int) -> Language:
        chosen, client = await store.languages_of(chat_id)
        return chosen or client or default

    return OutboxSender(
        services.outbox,
        bot,
        services.renderer,
        services.callbacks,
        language_of,
        SenderLimits(
            per_second=limits.messages_per_second,
            per_chat_per_second=limits.per_chat_per_second,
            chat_burst=limits.chat_burst,
            group_per_minute=limits.group_per_minute,
            retry_base=limits.retry_base_seconds,
            retry_max=limits.retry_max_seconds,
            max_attempts=limits.max_attempts,
        ),
        clock or SystemClock(),
        on_undeliverable=services.cases.report_undeliverable,
    )


async def start_background(application: BotApplication) -> None:
    """Start what runs beside the handlers: the outbox sender (after initialize)."""
    services: Services = application.bot_data["services"]
    assert services.sender is not None
    await services.sender.bot.initialize()
    services.sender.start()


async def stop_background(application: BotApplication) -> None:
    """Stop the outbox sender, letting sends in flight finish."""
    services: Services = application.bot_data["services"]
    if services.sender is not None:
        await services.sender.stop()
        await services.sender.bot.shutdown()


async def publish_menus(application: BotApplication) -> None:
    """Publish the command menus (after initialize, before polling)."""
    services: Services = application.bot_data["services"]
    settings = services.settings
    await set_default_menus(application.bot, services.renderer, settings.default_language)
    # Configured admins get their menu here; invited staff get theirs when they join.
    for admin in settings.access.admins:
        chosen, client = await services.store.languages_of(admin)
        language = chosen or client or settings.default_language
        await set_chat_menu(application.bot, services.renderer, admin, Role.ADMIN, language)
