"""Run the sandbox: the emulator and its page in this process, the bot as its child.

The bot is started exactly as an operator starts it (`python -m bot run`), in the same
process group, with settings pointing it at the emulator over loopback HTTP, a fixed fake
token and its own database (`data/sandbox.db`). The emulator's chats are saved beside that
database (`data/sandbox-telegram.json`) so that a restart keeps both in step.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import errno
import json
import os
import signal
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from bot.sandbox.cast import ADMIN_BY_ID, PEOPLE, intro
from bot.sandbox.seed import Seeder, SeedError
from bot.settings import ConfigError, Settings, default_config_dir, load_settings
from fake_telegram import FakeBotAPI, server_port, snapshot, start_server
from fake_telegram.signals import stop_on_signals
from fake_telegram.web import People, Person, Site

# Accepted by the emulator only; it has the shape of a token so the bot's checks pass.
TOKEN = "777000111:SANDBOX-emulator-only-not-a-telegram-token"
BOT_USERNAME = "legal_aid_sandbox_bot"
BOT_NAME = "企业法律服务"
READY_SECONDS = 60.0
SAVE_SECONDS = 2.0
STOP_SECONDS = 20.0


@dataclass(frozen=True)
class Paths:
    """Where the sandbox keeps its state (all under ``data/`` of the working directory)."""

    database: Path
    chats: Path
    log: Path

    @classmethod
    def under(cls, folder: Path) -> Paths:
        return cls(
            folder / "sandbox.db", folder / "sandbox-telegram.json", folder / "sandbox-bot.log"
        )

    def wipe(self) -> None:
        """Forget the database and the chats."""
        for path in (
            self.database,
            self.database.with_name(self.database.name + "-wal"),
            self.database.with_name(self.database.name + "-shm"),
            self.chats,
        ):
            path.unlink(missing_ok=True)


def run_sandbox(args: argparse.Namespace) -> int:
    """`legal-aid-bot sandbox`: returns the exit status."""
    config_dir: Path = (args.config or default_config_dir()).resolve()
    paths = Paths.under(Path("data").resolve())
    try:
        return asyncio.run(_main(args, config_dir, paths))
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> None:
    print(f"legal-aid-bot sandbox: {message}", file=sys.stderr, flush=True)


async def _main(args: argparse.Namespace, config_dir: Path, paths: Paths) -> int:
    try:
        settings = load_settings(config_dir, bot_environment(config_dir, paths.database, 1))
        production = load_settings(config_dir, require_token=False).database_path.resolve()
    except ConfigError as exc:
        _fail(str(exc))
        return 2
    if production == paths.database:
        _fail(f"{paths.database} is the production database ([storage] database); not using it")
        return 2
    api = FakeBotAPI(TOKEN, bot_username=BOT_USERNAME, bot_first_name=BOT_NAME)
    site = Site(api, People(api), intro(settings))
    site.status = "starting"
    page = web.AppRunner(site.app(), access_log=None, shutdown_timeout=2.0)
    await page.setup()
    try:
        await web.TCPSite(page, args.listen, args.port).start()
    except OSError as exc:
        await page.cleanup()
        where = f"{args.listen}:{args.port}"
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {args.port} is in use on {args.listen}: choose another with --port")
        else:
            _fail(f"cannot serve the page on {where}: {exc.strerror or exc}")
        return 1
    try:
        return await _serve(args, settings, config_dir, paths, api, site)
    finally:
        await page.cleanup()


async def _serve(
    args: argparse.Namespace,
    settings: Settings,
    config_dir: Path,
    paths: Paths,
    api: FakeBotAPI,
    site: Site,
) -> int:
    paths.database.parent.mkdir(parents=True, exist_ok=True)
    saved = None if args.fresh else _read_saved(paths)
    if saved is None:
        paths.wipe()
        for someone in PEOPLE:
            site.people.add(Person(**someone.__dict__))
    else:
        snapshot.load(api, saved["telegram"])
        site.people.load(saved["people"])
    seeded = saved is not None
    emulator = await start_server(api, "127.0.0.1", 0)
    stop = stop_on_signals()
    bot = await BotProcess.start(
        bot_environment(config_dir, paths.database, server_port(emulator)), paths.log
    )
    try:
        site.set_status("starting")
        if not await _until(stop, bot, _polling(api)):
            return bot.failed(paths) if bot.exited else 0
        if saved is None:
            seeding = Seeder(api, settings, lambda s: site.set_status("seeding", f"Seeding: {s}…"))
            site.set_status("seeding")
            try:
                if not await _until(stop, bot, seeding.run()):
                    return bot.failed(paths) if bot.exited else 0
            except SeedError as exc:
                _fail(f"seeding failed: {exc} (bot log: {paths.log})")
                return 1
            seeded = True
        _save(paths, api, site)
        site.set_status("ready")
        host = "127.0.0.1" if args.listen in ("0.0.0.0", "::") else args.listen
        print(
            f"Sandbox ready: http://{host}:{args.port}/  (bot log: {paths.log}; Ctrl+C stops it)",
            flush=True,
        )
        saver = asyncio.create_task(_keep_saving(paths, api, site))
        try:
            await _until(stop, bot, asyncio.Event().wait())
        finally:
            saver.cancel()
        return bot.failed(paths) if bot.exited else 0
    finally:
        site.set_status("stopped")
        api.interrupt_polls()  # the bot's pending long poll answers at once
        await bot.stop()
        api.interrupt_polls()
        if seeded:  # a half-seeded sandbox is not kept: the next start seeds it afresh
            _save(paths, api, site)
        await emulator.cleanup()


def bot_environment(config_dir: Path, database: Path, api_port: int) -> dict[str, str]:
    """The bot's environment: this one without LEGAL_AID_* settings, plus the sandbox's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
    base = f"http://127.0.0.1:{api_port}"
    env.update(
        {
            "LEGAL_AID_CONFIG_DIR": str(config_dir),
            "LEGAL_AID_BOT_TOKEN": TOKEN,
            "LEGAL_AID_TELEGRAM_BASE_URL": f"{base}/bot",
            "LEGAL_AID_TELEGRAM_BASE_FILE_URL": f"{base}/file/bot",
            "LEGAL_AID_STORAGE_DATABASE": str(database),
            "LEGAL_AID_ACCESS_ADMINS": str(ADMIN_BY_ID),
        }
    )
    return env


class BotProcess:
    """The bot as a child process, its output in the sandbox's bot log."""

    def __init__(self, process: asyncio.subprocess.Process, log: IO[bytes], path: Path) -> None:
        self.process = process
        self.log = log
        self.path = path

    @classmethod
    async def start(cls, env: dict[str, str], log_path: Path) -> BotProcess:
        log = log_path.open("ab")  # the log of every run, in order
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_end_with_parent,
        )
        return cls(process, log, log_path)

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    async def wait(self) -> None:
        await self.process.wait()

    def failed(self, paths: Paths) -> int:
        """Report a bot that stopped by itself, with the end of its log; the exit status."""
        self.log.flush()
        tail = self.path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-12:]
        _fail(f"the bot stopped (exit {self.process.returncode}); the end of {paths.log}:")
        print("\n".join(tail), file=sys.stderr, flush=True)
        return 1

    async def stop(self) -> None:
        """SIGTERM, as an operator stops the bot; SIGKILL if it does not end in time."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        self.log.close()


def _end_with_parent() -> None:
    """In the child: be sent SIGTERM if the sandbox dies without stopping it (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def _until(stop: asyncio.Event, bot: BotProcess, work: Coroutine[Any, Any, Any]) -> bool:
    """Run ``work`` unless a stop signal comes or the bot exits first; True if it finished."""
    task = asyncio.create_task(work)
    watchers = [asyncio.create_task(stop.wait()), asyncio.create_task(bot.wait())]
    try:
        await asyncio.wait([task, *watchers], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for other in (task, *watchers):
            if not other.done():
                other.cancel()
    if task.done() and not task.cancelled():
        task.result()  # raises what the work raised
        return True
    return False


async def _polling(api: FakeBotAPI) -> None:
    """Return once the bot has started long polling (its menus are set by then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_SECONDS
    while api.calls["getUpdates"] == 0:
        if loop.time() > deadline:
            raise SeedError(f"the bot did not start polling within {READY_SECONDS:.0f} s")
        await asyncio.sleep(0.05)


def _read_saved(paths: Paths) -> dict[str, Any] | None:
    """The saved chats, if they belong with the database that is there."""
    if not paths.chats.exists() or not paths.database.exists():
        return None
    try:
        saved = json.loads(paths.chats.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("telegram", {}).get("version") != snapshot.VERSION:
        return None
    return saved


def _save(paths: Paths, api: FakeBotAPI, site: Site) -> None:
    data = {"telegram": snapshot.dump(api), "people": site.people.to_list()}
    temporary = paths.chats.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    temporary.replace(paths.chats)


async def _keep_saving(paths: Paths, api: FakeBotAPI, site: Site) -> None:
    saved_at = site.hub.seq
    while True:
        await asyncio.sleep(SAVE_SECONDS)
        if site.hub.seq != saved_at:
            saved_at = site.hub.seq
            _save(paths, api, site)
