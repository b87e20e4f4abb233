"""A real bot process killed (SIGKILL) right after it took a burst of updates from Telegram.

PRODUCT §10: an owner's message is never lost because the bot crashed while handling it. 60
quick messages from one owner and 20 from four others are waiting; the bot fetches them (by
long polling, or Telegram's webhook POSTs), is killed at once, and a new process starts on the
same database: every message reaches its case exactly once, each owner's in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fake_telegram import FakeBotAPI, FakeUser, server_port, start_server
from tests.codes import code_number
from tests.conftest import ADMIN_ID, REPO, TOKEN, BotRunner, FakeClock, make_settings
from tests.telegram.people import onboard, open_case, registered_owner

FLOOD = 60
OTHERS = 4
EACH = 5
WITHIN = 90.0


class Programme:
    """A liaison, five owners with an open case each, in a database the bot process uses."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        self.api = api
        self.tmp_path = tmp_path
        self.settings = make_settings(tmp_path)
        self.liaison: FakeUser
        self.owners: list[FakeUser] = []
        self.port = 0
        self.log = tmp_path / "bot.log"

    async def seed(self) -> None:
        runner = BotRunner(self.api, self.settings, FakeClock(datetime.now(UTC)))
        await runner.start()
        try:
            admin = self.api.user(ADMIN_ID, first_name="Admin", language_code="zh-hans")
            self.liaison = await onboard(self.api, admin, 7001, "liaison", "张警官")
            for n in range(1 + OTHERS):
                owner = await registered_owner(self.api, 1001 + n, code_number(n))
                await open_case(self.api, owner, "治安业务", f"门口有人拦车（{n}号企业）")
                self.owners.append(owner)
            await runner.drained()
        finally:
            await runner.stop()

    async def burst(self) -> list[str]:
        """Queue the messages at Telegram while no bot is running; return their texts."""
        texts = []
        flood, *others = self.owners
        for i in range(FLOOD):
            texts.append(f"A-{i:02d} 补充情况")
            await flood.send(texts[-1])
        for k, owner in enumerate(others):
            for i in range(EACH):
                texts.append(f"B{k}-{i} 另一家企业")
                await owner.send(texts[-1])
        assert len(self.api.pending_updates) == len(texts)
        return texts

    def relayed(self, text: str) -> int:
        return sum(text in m.plain for m in self.liaison.inbox)

    async def spawn(self, *args: str) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
        base = f"http://127.0.0.1:{self.port}"
        env.update(
            {
                "LEGAL_AID_BOT_TOKEN": TOKEN,
                "LEGAL_AID_TELEGRAM_BASE_URL": f"{base}/bot",
                "LEGAL_AID_TELEGRAM_BASE_FILE_URL": f"{base}/file/bot",
                "LEGAL_AID_STORAGE_DATABASE": str(self.settings.database_path),
                "LEGAL_AID_ACCESS_ADMINS": str(ADMIN_ID),
                "LEGAL_AID_TELEGRAM_POLL_TIMEOUT": "1",
                # The liaison gets 80 relays: the sender's per-chat pacing is not under test.
                "LEGAL_AID_OUTBOX_PER_CHAT_PER_SECOND": "1000",
                "LEGAL_AID_OUTBOX_CHAT_BURST": "1000",
                "LEGAL_AID_OUTBOX_MESSAGES_PER_SECOND": "1000",
            }
        )
        log = self.log.open("ab")
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *args,
                cwd=REPO,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()

    async def kill_when(
        self, process: asyncio.subprocess.Process, ready: Callable[[], bool]
    ) -> int:
        """SIGKILL the process the moment `ready` holds; return the relays made by then."""
        async with asyncio.timeout(WITHIN):
            while not ready():
                assert process.returncode is None, self.log.read_text(errors="replace")
                await asyncio.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        done = sum(1 for m in self.liaison.inbox if "补充情况" in m.plain or "另一家" in m.plain)
        await process.wait()
        return done

    async def all_relayed(self, texts: list[str], process: asyncio.subprocess.Process) -> None:
        async with asyncio.timeout(WITHIN):
            while not all(self.relayed(t) for t in texts):
                assert process.returncode is None, self.log.read_text(errors="replace")
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # time for a duplicate to show, were there one

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.terminate()
            async with asyncio.timeout(30):
                await process.wait()

    def check(self, texts: list[str], handled_before_kill: int) -> None:
        """Each message reached its case once, and the liaison in order.

        The inbox handles each update exactly once: one case event per message. The outbox
        may send a message twice when its send was in flight at the kill (it cannot know
        whether Telegram got it; such sends are marked uncertain): no more copies than that.
        """
        assert handled_before_kill < len(texts), "the kill came after everything was handled"
        with sqlite3.connect(self.settings.database_path) as db:
            events = dict(
                db.execute(
                    "SELECT text, COUNT(*) FROM case_events WHERE kind = 'message' GROUP BY text"
                ).fetchall()
            )
            (uncertain,) = db.execute("SELECT COALESCE(SUM(uncertain), 0) FROM outbox").fetchone()
        assert {t: events.get(t, 0) for t in texts} == dict.fromkeys(texts, 1)
        copies = {t: self.relayed(t) for t in texts}
        assert min(copies.values()) == 1
        assert sum(copies.values()) - len(texts) <= uncertain
        order = [m.plain for m in self.liaison.inbox if "补充情况" in m.plain]
        firsts = list(dict.fromkeys(next(t for t in texts if t in plain) for plain in order))
        assert [t for t in texts if t.startswith("A-")] == firsts


@pytest.fixture
async def programme(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Programme]:
    p = Programme(api, tmp_path)
    await p.seed()
    server = await start_server(api, "127.0.0.1", 0)
    p.port = server_port(server)
    try:
        yield p
    finally:
        await api.webhook_pusher.stop()
        await server.cleanup()


async def test_polling_killed_after_the_fetch_loses_nothing(programme: Programme) -> None:
    texts = await programme.burst()
    api = programme.api
    first = await programme.spawn()
    # getUpdates answered with the burst and the bot asked again (which confirms it): kill.
    fetched = api.calls["getUpdates"]
    done = await programme.kill_when(first, lambda: api.calls["getUpdates"] >= fetched + 2)
    assert not api.pending_updates  # Telegram was told they arrived: only the inbox has them
    second = await programme.spawn()
    try:
        await programme.all_relayed(texts, second)
    finally:
        await programme.stop(second)
    programme.check(texts, done)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_killed_mid_burst_loses_nothing(programme: Programme) -> None:
    texts = await programme.burst()
    api = programme.api
    port = free_port()
    api.webhook_forward = lambda url: f"http://127.0.0.1:{port}/telegram"
    args = (
        "--webhook-url",
        "https://bot.example.org:8443/telegram",
        "--webhook-listen",
        "127.0.0.1",
        "--webhook-port",
        str(port),
    )
    first = await programme.spawn(*args)
    answers = api.webhook_pusher.answers
    done = await programme.kill_when(first, lambda: answers.count(200) >= 30)
    second = await programme.spawn(*args)
    try:
        await programme.all_relayed(texts, second)
    finally:
        await programme.stop(second)
    programme.check(texts, done)
    assert not api.pending_updates
