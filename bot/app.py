"""build_application(): the only place handlers, persistence, processor and errors are wired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.domain.figures import parse_report_time
from bot.domain.models import STAFF_ROLES, Language, Role
from bot.domain.ports import Clock, DueWork
from bot.domain.roster import Vocabulary, heading_key
from bot.domain.timers import CaseTimers
from bot.notices import load_notices
from bot.rendering import Renderer
from bot.services.accounts import AccountService
from bot.services.albums import AlbumService
from bot.services.audit import AuditService
from bot.services.broadcasts import BroadcastService
from bot.services.bulk import BulkService
from bot.services.cases.assignment import AssignmentService
from bot.services.cases.lifecycle import LifecycleService
from bot.services.cases.messages import CaseMessages
from bot.services.cases.queries import CaseQueries
from bot.services.cases.relay import RelayService
from bot.services.cases.timers import CaseTimerWork
from bot.services.contacts import ContactService
from bot.services.daily_report import DailyReport
from bot.services.doorbell import Doorbell
from bot.services.due import DueRunner
from bot.services.exports import ExportService
from bot.services.faq import FaqService, load_knowledge_base
from bot.services.figures import FiguresService
from bot.services.imports import ImportService
from bot.services.intake import IntakeService
from bot.services.notices import NoticeWork
from bot.services.onboarding import OnboardingService
from bot.services.pending import PendingService
from bot.services.registration import RegistrationService
from bot.services.staff import StaffService
from bot.settings import Settings
from bot.storage.accounts import AccountRepository
from bot.storage.albums import AlbumRepository
from bot.storage.audit import AuditStore
from bot.storage.bulk import BulkStore
from bot.storage.cases import CaseRepository
from bot.storage.database import Database
from bot.storage.dialogs import DialogRepository
from bot.storage.enterprises import EnterpriseRepository
from bot.storage.exports import ExportStore
from bot.storage.faq import FaqQueryStore
from bot.storage.figures import FigureStore
from bot.storage.imports import ImportRepository
from bot.storage.inbox import InboxStore
from bot.storage.outbox import OutboxStore
from bot.storage.staff import StaffRepository
from bot.storage.timers import CaseTimerStore
from bot.telegram import (
    account,
    admin,
    broadcast,
    case_buttons,
    case_commands,
    contacts,
    fallbacks,
    faq,
    intake,
    onboarding,
    oversight,
    registration,
    relay,
    staff,
)
from bot.telegram.budget import SendBudget
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.context import BotContext, Services
from bot.telegram.due_jobs import DueScheduler
from bot.telegram.inbox import InboxLimits, InboxPump
from bot.telegram.menus import set_chat_menu, set_default_menus
from bot.telegram.persistence import SQLitePersistence
from bot.telegram.ratelimit import ReplyRateLimiter
from bot.telegram.sender import OutboxSender, SenderLimits

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Wiring:
    """What build_services makes: the handlers' services and what the edge wires around them."""

    services: Services
    clock: Clock
    due: DueRunner
    dialogs: DialogRepository
    outbox: OutboxStore
    inbox: InboxStore
    doorbell: Doorbell
    case_timers: CaseTimerWork


def build_services(
    settings: Settings,
    db: Database,
    *,
    clock: Clock | None = None,
    renderer: Renderer | None = None,
) -> Wiring:
    """Build the repositories and the services over an open database."""
    clock = clock or SystemClock()
    accounts = AccountRepository(db, clock)
    dialogs = DialogRepository(db, clock)
    enterprises = EnterpriseRepository(db, clock)
    people = StaffRepository(db, clock)
    cases = CaseRepository(db, settings.cases.number_prefix)
    doorbell = Doorbell()
    admins = settings.access.admins
    audit_log = AuditStore(db)
    figure_store = FigureStore(db)
    figures = FiguresService(
        figure_store, audit_log, clock, settings.locale.timezone, InboxStore(db)
    )
    queries = CaseQueries(cases, people, enterprises, clock, settings.categories, audit_log)
    messages = CaseMessages(people, enterprises, accounts, admins)
    rules = CaseTimers(
        settings.work_calendar(),
        settings.schedule.owner_followup_days,
        settings.schedule.autoclose_days,
    )
    assignment = AssignmentService(
        cases, people, enterprises, queries, messages, clock, doorbell, rules
    )
    staff_service = StaffService(people, clock, settings.cases.invite_hours)
    contacts = ContactService(
        enterprises, people, clock, admins, settings.cases.join_request_days, doorbell
    )
    bulk_store = BulkStore(db)
    bulk = BulkService(
        bulk_store,
        clock,
        doorbell,
        batch_size=settings.broadcast.batch_size,
        progress_seconds=settings.broadcast.progress_seconds,
        rate=min(settings.outbox.messages_per_second, settings.telegram.max_messages_per_second)
        or settings.outbox.messages_per_second,
    )
    choices = {
        "district": settings.districts,
        "industry": settings.industries,
        "category": [c.choice for c in settings.categories],
    }
    account_service = AccountService(
        accounts, enterprises, people, admins, settings.default_language
    )
    relay_service = RelayService(cases, queries, messages, clock, doorbell, rules)
    albums = AlbumService(
        AlbumRepository(db),
        cases,
        account_service,
        queries,
        relay_service,
        clock,
        doorbell,
        settings.cases.album_wait_seconds,
    )
    services = Services(
        settings=settings,
        renderer=renderer or Renderer(choices=choices, timezone=settings.locale.timezone),
        callbacks=CallbackCodec(settings.token),
        accounts=account_service,
        registration=RegistrationService(
            enterprises, dialogs, contacts, clock, doorbell, settings.districts, settings.industries
        ),
        contacts=contacts,
        intake=IntakeService(
            dialogs, assignment, settings.categories, settings.cases.description_min_chars
        ),
        queries=queries,
        assignment=assignment,
        relay=relay_service,
        albums=albums,
        lifecycle=LifecycleService(cases, queries, messages, clock, doorbell, rules),
        pending=PendingService(dialogs, queries),
        staff=staff_service,
        onboarding=OnboardingService(
            dialogs,
            staff_service,
            settings.districts,
            [c.specialty for c in settings.categories if c.specialty],
        ),
        faq=FaqService(
            load_knowledge_base(settings.config_dir / "faq"),
            FaqQueryStore(db),
            clock,
            settings.locale.timezone,
            settings.faq.show_expired_measures,
        ),
        figures=figures,
        exports=ExportService(ExportStore(db), audit_log, clock),
        audit=AuditService(audit_log),
        bulk=bulk,
        broadcasts=BroadcastService(
            dialogs, bulk, clock, settings.locale.timezone, settings.districts, settings.industries
        ),
    )
    # A bad notices.toml raises ConfigError here: one line, and start-up stops.
    notices = NoticeWork(load_notices(settings), bulk_store, bulk, clock)
    daily_report = DailyReport(
        figures,
        figure_store,
        admins,
        parse_report_time(settings.schedule.daily_report_at),
        settings.locale.timezone,
    )
    case_timers = CaseTimerWork(
        CaseTimerStore(db), cases, people, enterprises, messages, rules, doorbell
    )
    # Every timed work, run in this order at each wake. `schedule list` lists them all.
    due_works: list[DueWork] = [case_timers, daily_report, albums, bulk, notices]
    due = DueRunner(due_works)
    return Wiring(
        services, clock, due, dialogs, OutboxStore(db), InboxStore(db), doorbell, case_timers
    )


def build_importer(
    settings: Settings, db: Database, renderer: Renderer, clock: Clock | None = None
) -> ImportService:
    """The roster import of `legal-aid-bot import`: roles and specialties are recognised by
    their ids and by the bot's own labels for them in every language."""
    specialties = [c.specialty for c in settings.categories if c.specialty]
    roles = {heading_key(r.value): r for r in STAFF_ROLES}
    named: dict[str, str] = {}
    for lang in Language:
        roles |= {heading_key(renderer.label(lang, f"role_{r.value}")): r for r in STAFF_ROLES}
        named |= {heading_key(renderer.label(lang, "specialty", s)): s for s in specialties}
    vocabulary = Vocabulary(
        settings.districts,
        settings.industries,
        roles,
        named | {heading_key(s): s for s in specialties},
    )
    clock = clock or SystemClock()
    return ImportService(
        ImportRepository(db, clock), clock, vocabulary, settings.cases.invite_hours
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
    wiring = build_services(settings, db, clock=clock)
    services = wiring.services
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
        .persistence(SQLitePersistence(wiring.dialogs))
        # Updates come from the durable inbox (bot/telegram/inbox.py), not PTB's Updater:
        # polling and the webhook store them before Telegram is told they arrived.
        .updater(None)
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
    budget = None
    if tg.max_messages_per_second:
        # One budget for replies and the outbox sender: Telegram has one limit (budget.py).
        budget = SendBudget(tg.max_messages_per_second)
        # Per-chat buckets, and a 429 holds only its chat (AIORateLimiter held every chat).
        limiter = ReplyRateLimiter(tg.max_messages_per_second, max_retries=3, budget=budget)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application: BotApplication = builder.build()
    application.bot_data["services"] = services
    application.bot_data["budget"] = budget
    sender = _build_sender(services, wiring.outbox, sender_request, wiring.clock, budget)
    wiring.doorbell.attach(sender)
    application.bot_data["sender"] = sender
    inbox = settings.inbox
    pump = InboxPump(
        wiring.inbox,
        wiring.clock,
        InboxLimits(
            slots=tg.concurrent_updates,
            max_attempts=inbox.max_attempts,
            retry_seconds=inbox.retry_seconds,
            retention=timedelta(days=inbox.retention_days),
        ),
    )
    pump.attach(application)
    application.bot_data["inbox"] = pump
    # Group -1: every update records its user first (PTB's contexttypesbot pattern).
    application.add_handler(fallbacks.seen_hook(), group=-1)
    # Group 0: exactly one handler answers each update, the first that matches, in this order.
    application.add_handlers(account.before_dialogs(), group=0)
    application.add_handler(registration.build(), group=0)
    application.add_handler(intake.conversation(), group=0)
    application.add_handler(onboarding.conversation(), group=0)
    application.add_handler(broadcast.conversation(), group=0)
    application.add_handlers(case_commands.handlers(), group=0)
    application.add_handlers(case_buttons.handlers(), group=0)
    application.add_handlers(admin.handlers(), group=0)
    application.add_handlers(oversight.handlers(), group=0)
    application.add_handlers(broadcast.handlers(), group=0)
    application.add_handlers(staff.handlers(), group=0)
    application.add_handlers(contacts.handlers(), group=0)
    application.add_handlers(faq.handlers(), group=0)
    application.add_handler(relay.input_handler(faq.answer_text), group=0)
    application.add_handlers(account.commands_after_dialogs(), group=0)
    application.add_handlers(fallbacks.handlers(), group=0)
    application.add_error_handler(fallbacks.on_error)
    _wake_due_work(application, wiring)
    relay.wake_albums(application.job_queue)  # albums a restart interrupted: when complete
    _wake_bulk_sends(application, services, wiring.clock)
    return application


def _wake_bulk_sends(application: BotApplication, services: Services, clock: Clock) -> None:
    """While a bulk send runs, its progress message is edited every few seconds."""

    async def wake(_: BotContext) -> None:
        await services.bulk.run_due(clock.now())

    assert application.job_queue is not None
    every = services.settings.broadcast.progress_seconds
    application.job_queue.run_repeating(wake, interval=every, first=every, name="bulk-sends")


def _wake_due_work(application: BotApplication, wiring: Wiring) -> None:
    """One job wakes the due-work runner at its next due time, re-planned by the doorbell."""
    assert application.job_queue is not None  # python-telegram-bot[job-queue] is a dependency
    scheduler = DueScheduler(application.job_queue, wiring.due, wiring.clock)
    wiring.doorbell.attach(scheduler)
    application.bot_data["due"] = wiring.due
    application.bot_data["due_scheduler"] = scheduler
    application.bot_data["case_timers"] = wiring.case_timers
    application.bot_data["clock"] = wiring.clock
    scheduler.start()


def _build_sender(
    services: Services,
    outbox: OutboxStore,
    request: BaseRequest | None,
    clock: Clock,
    budget: SendBudget | None,
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
    return OutboxSender(
        outbox,
        bot,
        services.renderer,
        services.callbacks,
        services.accounts.language_of,
        SenderLimits(
            per_second=limits.messages_per_second,
            per_chat_per_second=limits.per_chat_per_second,
            chat_burst=limits.chat_burst,
            group_per_minute=limits.group_per_minute,
            retry_base=limits.retry_base_seconds,
            retry_max=limits.retry_max_seconds,
            max_attempts=limits.max_attempts,
        ),
        clock,
        on_undeliverable=services.relay.report_undeliverable,
        budget=budget,
    )


async def start_background(application: BotApplication) -> None:
    """Start what runs beside the handlers: the outbox sender and the inbox pump."""
    sender: OutboxSender = application.bot_data["sender"]
    await sender.bot.initialize()
    sender.start()
    # Once at start, by year: deadlines in a year no holiday schedule covers count weekends only.
    timers: CaseTimerWork = application.bot_data["case_timers"]
    await timers.warn_uncovered(application.bot_data["clock"].now())
    pump: InboxPump = application.bot_data["inbox"]
    pump.start()  # last: what runs before it may be retried, and the pump starts once


async def stop_background(application: BotApplication) -> None:
    """Stop the inbox pump (updates being handled finish), then the outbox sender."""
    pump: InboxPump | None = application.bot_data.get("inbox")
    if pump is not None:
        await pump.stop()
    sender: OutboxSender | None = application.bot_data.get("sender")
    if sender is not None:
        await sender.stop()
        await sender.bot.shutdown()


async def publish_menus(application: BotApplication) -> None:
    """Publish the command menus (after initialize, before polling)."""
    services: Services = application.bot_data["services"]
    settings = services.settings
    await set_default_menus(application.bot, services.renderer, settings.default_language)
    # Configured admins get their menu here; invited staff get theirs when they join.
    for admin_id in settings.access.admins:
        language = await services.accounts.language_of(admin_id)
        await set_chat_menu(application.bot, services.renderer, admin_id, Role.ADMIN, language)
