"""build_application(): the only place handlers, persistence, processor and errors are wired."""

from __future__ import annotations

from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.context import BotContext, Services, SystemClock
from bot.domain.ports import Clock
from bot.rendering import Renderer
from bot.services.registration import RegistrationService
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.store import Store
from bot.telegram import basic, registration
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.menus import set_default_menus
from bot.telegram.persistence import SQLitePersistence
from bot.telegram.processor import PerChatUpdateProcessor

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


def build_services(
    settings: Settings,
    db: Database,
    *,
    clock: Clock | None = None,
    renderer: Renderer | None = None,
) -> Services:
    """Build the services over an open database."""
    store = Store(db)
    return Services(
        settings=settings,
        store=store,
        renderer=renderer or Renderer(),
        callbacks=CallbackCodec(settings.token),
        registration=RegistrationService(
            store, clock or SystemClock(), settings.districts, settings.industries
        ),
    )


def build_application(
    settings: Settings,
    db: Database,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
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
    application.add_handlers(basic.before_dialogs(), group=0)
    application.add_handler(registration.build(), group=0)
    application.add_handlers(basic.after_dialogs(), group=0)
    application.add_error_handler(basic.on_error)
    return application


async def publish_menus(application: BotApplication) -> None:
    """Publish the command menus (after initialize, before polling)."""
    services: Services = application.bot_data["services"]
    await set_default_menus(application.bot, services.renderer, services.settings.default_language)
