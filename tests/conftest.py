"""Shared fixtures: settings on tmp_path, the fake Bot API, and the real bot wired to it."""

from __future__ import annotations

import os

# As bot/__init__.py does for the bot: PTB durations as timedelta, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.request import HTTPXRequest

from bot.app import (
    BotApplication,
    build_application,
    publish_menus,
    start_background,
    stop_background,
)
from bot.settings import Settings, load_settings
from bot.storage.common import iso, parse
from bot.storage.database import Database
from bot.storage.dialogs import DialogRepository
from bot.storage.enterprises import EnterpriseRepository
from bot.storage.outbox import OutboxStore
from bot.telegram.inbox import InboxPump, incoming
from fake_telegram import FakeBotAPI, FakeUser, mock_transport

TOKEN = "123456789:AAH-test-token-for-the-fake-bot-api-xyz"
ADMIN_ID = 9000
BASE_URL = "http://fake-telegram.test/bot"
BASE_FILE_URL = "http://fake-telegram.test/file/bot"
REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"


def make_settings(tmp_path: Path, config_dir: Path = CONFIG_DIR, **env: str) -> Settings:
    """Settings from the real config/ (or another folder) with the database on tmp_path and
    the fake API's URLs."""
    environ = {
        "LEGAL_AID_BOT_TOKEN": TOKEN,
        "LEGAL_AID_STORAGE_DATABASE": str(tmp_path / "legal-aid.db"),
        "LEGAL_AID_TELEGRAM_BASE_URL": BASE_URL,
        "LEGAL_AID_TELEGRAM_BASE_FILE_URL": BASE_FILE_URL,
        "LEGAL_AID_ACCESS_ADMINS": str(ADMIN_ID),
        # No daily report unless a test asks for one: scenarios that move the clock across
        # days would otherwise find reports among the admin's messages.
        "LEGAL_AID_SCHEDULE_DAILY_REPORT_AT": "",
        # Nor recurring notices (a missing file is no notices): tests/telegram/test_notices.py
        # names its own file.
        "LEGAL_AID_DATA_NOTICES": str(tmp_path / "no-notices.toml"),
        **env,
    }
    return load_settings(config_dir, environ)


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    moment: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class BotRunner:
    """The real Application, wired to the fake Bot API in-process; can crash and restart."""

    def __init__(self, api: FakeBotAPI, settings: Settings, clock: FakeClock) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock
        self._app: BotApplication | None = None
        self._db: Database | None = None

    @property
    def app(self) -> BotApplication:
        assert self._app is not None, "the bot is not running"
        return self._app

    @property
    def enterprises(self) -> EnterpriseRepository:
        """The enterprises and contacts as stored (for assertions)."""
        return EnterpriseRepository(self.db, self.clock)

    @property
    def outbox(self) -> OutboxStore:
        """The outbox as stored (for assertions)."""
        return OutboxStore(self.db)

    async def drained(self, within: float = 60.0) -> None:
        """Wait until the outbox has nothing pending or in flight (a condition, not a sleep).

        Retries and retry_after holds fall due on the bot's clock: while nothing is in flight,
        the clock moves on to the next hold and the sender is woken, as time would pass.
        """
        async with asyncio.timeout(within):
            while True:
                stats = await self.outbox.stats()
                if stats.pending == 0 and stats.sending == 0:
                    return
                if stats.sending == 0:
                    row = await self.db.fetchone(
                        "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' "
                        "AND not_before > ?",
                        (iso(self.clock.now()),),
                    )
                    hold = parse(row[0] if row else None)
                    if hold is not None:
                        self.clock.moment = hold
                        self.app.bot_data["sender"].wake()
                await asyncio.sleep(0.01)

    @property
    def dialogs(self) -> DialogRepository:
        """The stored dialogs (for assertions)."""
        return DialogRepository(self.db, self.clock)

    @property
    def db(self) -> Database:
        assert self._db is not None
        return self._db

    async def start(self) -> None:
        self._db = await Database.open(self.settings.database_path)

        def request() -> HTTPXRequest:
            return HTTPXRequest(httpx_kwargs={"transport": mock_transport(self.api)})

        self._app = build_application(
            self.settings,
            self._db,
            request=request(),
            get_updates_request=request(),
            sender_request=request(),
            clock=self.clock,
        )
        await self._app.initialize()
        await publish_menus(self._app)
        await self._app.start()
        # The real update path: stored in the inbox, claimed by its pump, then the handlers.
        await start_background(self._app)
        self.api.on_update = self._dispatch

    @property
    def inbox(self) -> InboxPump:
        """The inbox pump of the running bot."""
        pump: InboxPump = self.app.bot_data["inbox"]
        return pump

    async def _dispatch(self, data: dict[str, Any]) -> None:
        """Store the update as polling would, and return once it has been handled."""
        update = Update.de_json(data, self.app.bot)
        await self.inbox.deliver(incoming(update, json.dumps(data, ensure_ascii=False)))

    async def crash(self) -> None:
        """Drop the application as a killed process would: no shutdown, no persistence flush."""
        self.api.on_update = None
        app, self._app = self.app, None
        sender = app.bot_data["sender"]
        sender.abandon()
        app.bot_data["inbox"].abandon()
        for task in asyncio.all_tasks():
            if task.get_name().startswith("Application:"):  # the update fetcher and its tasks
                task.cancel()
        if app.job_queue is not None:
            await app.job_queue.stop(wait=False)
        await asyncio.sleep(0)  # let the cancelled tasks end, as the process's death would
        for request in (
            app.bot.request,
            app.updater.bot.request if app.updater else None,
            sender.bot.request,
        ):
            if request is not None:
                with contextlib.suppress(Exception):
                    await request.shutdown()
        await self.db.close()
        self._db = None

    async def run_due(self) -> int:
        """Do the timed work due at the clock's time (as the due-work job does), deliver it."""
        done: int = await self.app.bot_data["due"].run_due(self.clock.now())
        await self.drained()
        return done

    async def restart(self) -> None:
        await self.crash()
        await self.start()

    async def stop(self) -> None:
        if self._app is not None:
            self.api.on_update = None
            await stop_background(self._app)
            await self._app.stop()
            await self._app.shutdown()
            self._app = None
        if self._db is not None:
            await self._db.close()
            self._db = None


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI(token=TOKEN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def bot(api: FakeBotAPI, settings: Settings, clock: FakeClock) -> AsyncIterator[BotRunner]:
    runner = BotRunner(api, settings, clock)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
def admin(api: FakeBotAPI) -> FakeUser:
    return api.user(ADMIN_ID, first_name="Admin", language_code="zh-hans")


@pytest.fixture
def owner(api: FakeBotAPI) -> FakeUser:
    return api.user(1001, first_name="王", last_name="芳", language_code="zh-hans")
