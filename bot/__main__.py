"""Command line: `legal-aid-bot` / `python -m bot` with run, db migrate, db backup, import."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.app import (
    BotApplication,
    build_application,
    publish_menus,
    start_background,
    stop_background,
)
from bot.export_cli import add_export_command, run_export
from bot.faq_cli import add_faq_commands, run_faq
from bot.import_cli import add_import_commands, run_import
from bot.notices import check_notices
from bot.sandbox.cli import add_sandbox_command
from bot.schedule_cli import add_schedule_commands, run_schedule
from bot.services.faq_files import FaqError
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.database import Database, DatabaseUnavailable
from bot.storage.inbox import InboxStore
from bot.telegram.inbox import InboxPump
from bot.telegram.polling import Poller
from bot.telegram.redaction import install_token_redaction
from bot.telegram.startup import StartUpFailed, StartUpRetry
from bot.telegram.webhook import WebhookServer

_LOGGER = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legal-aid-bot", description="Enterprise Legal Aid Bot for Telegram."
    )
    parser.add_argument(
        "--config", type=Path, help="config folder (default: $LEGAL_AID_CONFIG_DIR or ./config)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot (long polling, or a webhook server)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook")
    run.add_argument("--webhook-url", help="public HTTPS URL for Telegram ([webhook] url)")
    run.add_argument("--webhook-listen", help="address to listen on ([webhook] listen)")
    run.add_argument("--webhook-port", type=int, help="port to listen on ([webhook] port)")
    run.add_argument(
        "--startup-retry",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to retry the Bot API at start-up before giving up (default: 120)",
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_sub.add_parser("migrate", help="apply pending migrations and print the schema version")
    backup = db_sub.add_parser("backup", help="write a consistent copy of the live database")
    backup.add_argument("file", type=Path, help="where to write the copy")
    inbox = db_sub.add_parser(
        "inbox", help="count the stored updates by state, and show the failed ones"
    )
    inbox.add_argument(
        "--retry-failed",
        action="store_true",
        help="put the failed updates back to be handled again (the bot retries them)",
    )
    add_export_command(sub)
    add_faq_commands(sub)
    add_import_commands(sub)
    add_schedule_commands(sub)
    add_sandbox_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "faq":
        return run_faq(args)
    if args.command == "schedule":
        return run_schedule(args)
    if args.command == "sandbox":
        from bot.sandbox.run import run_sandbox  # the emulator and aiohttp load only here

        return run_sandbox(args)
    try:
        settings = load_settings(args.config, require_token=args.command == "run")
    except ConfigError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        if args.command == "run":
            return asyncio.run(_run(settings, args))
        if args.command == "import":
            return run_import(settings, args)
        if args.command == "export":
            return asyncio.run(run_export(settings, args))
        if args.db_command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.db_command == "inbox":
            return asyncio.run(_inbox(settings, retry=args.retry_failed))
        return asyncio.run(_backup(settings, args.file))
    except DatabaseUnavailable as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _configure_logging(settings: Settings) -> None:
    install_token_redaction(settings.token)
    level = settings.logging.level.upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    if level != "DEBUG":
        # httpx logs every request URL at INFO: noise, and the token would be in it.
        logging.getLogger("httpx").setLevel(logging.WARNING)


async def _open(settings: Settings) -> Database:
    return await Database.open(
        settings.database_path, busy_timeout_ms=settings.storage.busy_timeout_ms
    )


async def _migrate(settings: Settings) -> int:
    db = await _open(settings)
    try:
        print(f"{settings.database_path}: schema version {await db.schema_version()}")
    finally:
        await db.close()
    return 0


async def _inbox(settings: Settings, *, retry: bool) -> int:
    db = await _open(settings)
    try:
        store = InboxStore(db)
        if retry:
            print(f"{await store.retry_failed()} failed update(s) put back to be handled")
        stats = await store.stats()
        print(
            f"pending {stats.pending}, handling {stats.handling}, handled {stats.handled}, "
            f"failed {stats.failed}; handled again after a crash: {stats.repeated}"
        )
        for update_id, attempts, error in await store.failures():
            print(f"failed: update {update_id} after {attempts} tries: {error}")
    finally:
        await db.close()
    return 0


async def _backup(settings: Settings, target: Path) -> int:
    if not settings.database_path.exists():
        print(f"legal-aid-bot: no database at {settings.database_path}", file=sys.stderr)
        return 1
    db = await Database.open(
        settings.database_path, busy_timeout_ms=settings.storage.busy_timeout_ms, migrate=False
    )
    try:
        await db.backup(target)
    finally:
        await db.close()
    print(f"backed up {settings.database_path} to {target}")
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    webhook_url = args.webhook_url or settings.webhook.url
    if args.webhook and not webhook_url:
        print("legal-aid-bot: webhook mode needs --webhook-url", file=sys.stderr)
        return 2
    try:  # before the database is opened: a bad file changes nothing
        check_notices(settings)
    except ConfigError as exc:
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    db = await _open(settings)
    try:
        application = build_application(settings, db)
    except (FaqError, ConfigError) as exc:
        await db.close()
        print(f"legal-aid-bot: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Passing Bot API errors (5xx, timeouts, 429) at start-up are retried within one budget.
    retry = StartUpRetry(args.startup_retry)
    receiver: Poller | WebhookServer | None = None
    try:
        await retry(application.initialize, "connecting (getMe)")
        async with application:
            await retry(lambda: publish_menus(application), "publishing the command menus")
            await application.start()
            try:
                await retry(lambda: start_background(application), "starting the outbox sender")
                receiver = await _receive_updates(application, settings, args, webhook_url, retry)
                _LOGGER.info("Bot @%s is running; press Ctrl+C to stop", application.bot.username)
                await stop.wait()
            finally:
                # Stopped before the application is shut down, or shutting down raises.
                if receiver is not None:
                    await receiver.stop()
                await stop_background(application)
                await application.stop()
    except InvalidToken:
        print(
            "legal-aid-bot: the Bot API refused the token (LEGAL_AID_BOT_TOKEN); "
            "check it with @BotFather",
            file=sys.stderr,
        )
        return 2
    except StartUpFailed as exc:
        print(
            f"legal-aid-bot: {exc}; is the Bot API at {settings.telegram.base_url} reachable?",
            file=sys.stderr,
        )
        return 1
    except NetworkError as exc:  # a bad request at start-up: not worth retrying
        print(f"legal-aid-bot: the Bot API refused a start-up request ({exc})", file=sys.stderr)
        return 1
    finally:
        await db.close()
    return 0


async def _receive_updates(
    application: BotApplication,
    settings: Settings,
    args: argparse.Namespace,
    webhook_url: str,
    retry: StartUpRetry,
) -> Poller | WebhookServer:
    """Start the webhook server or long polling (their bootstrap calls retried).

    Both hand updates to the durable inbox and confirm them to Telegram only once stored.
    """
    pump: InboxPump = application.bot_data["inbox"]
    if args.webhook or args.webhook_url:
        server = WebhookServer(
            application.bot, pump, settings.webhook.secret_token or secrets.token_urlsafe(32)
        )
        await retry(
            lambda: server.start(
                args.webhook_listen or settings.webhook.listen,
                args.webhook_port or settings.webhook.port,
                webhook_url,
            ),
            "setting the webhook",
        )
        return server
    poller = Poller(application.bot, pump, settings.telegram.poll_timeout)
    await retry(poller.start, "starting to poll for updates")
    return poller


if __name__ == "__main__":
    sys.exit(main())
