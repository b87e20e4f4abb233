"""A broadcast to many owners through the fake Bot API with Telegram's limits on.

The bot runs as its own process (`legal-aid-bot run`); the fake Bot API runs in this process
(over loopback HTTP) so that every delivery can be timed without polling 10,000 chats.
Setup (not timed, limits off): owners stored as registration stores them, one liaison and one
owner with an open case through the real dialogs. Timed, limits on (30/s overall, 1/s per
chat): the admin sends a broadcast to every owner; meanwhile the liaison relays a message to
the case every 2 s (Telegram allows one chat about 1/s).

Figures: the sustained rate of broadcast deliveries (first to last) against the 30/s limit;
429s answered (all, and to recipients: the admin's chat gets a few while the driver presses
faster than a person); duplicates; the bot's peak memory (VmHWM); p50/p99 of the relays'
delay. The run is repeated with a SIGKILL of the bot a third of the way through and a
restart: duplicates must stay within the sends in flight at the kill (the outbox counts them
as uncertain). The baseline is a bare python-telegram-bot script sending the same number of
messages paced at 30/s (16 in flight) against the same fake. Prints one JSON line.
Run: python bench/broadcast_bench.py [--owners 10000] [--relays-every 2] [--skip-kill]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, TOKEN, bot_env
from bot.storage.database import Database
from fake_telegram import FakeBotAPI, FakeUser, Message, server_port, start_server
from tests.codes import code_number
from tests.conftest import FakeClock
from tests.telegram.bulk_seed import seed_into

ADMIN = 900_001
LIAISON = 800_001
OWNER = 700_001
FIRST = 100_000
MARK = "benchmark-broadcast"


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Deliveries:
    """Times every bot message as the fake API stores it."""

    def __init__(self, api: FakeBotAPI, owners: int) -> None:
        self.broadcast: dict[int, list[float]] = {}
        self.relays: dict[str, float] = {}
        self.everything: list[float] = []  # every message and edit the bot made
        self._owners = range(FIRST, FIRST + owners)
        api.add_listener(self._on)

    def _on(self, event: str, message: Message) -> None:
        if event not in ("new", "edit"):
            return
        self.everything.append(time.monotonic())
        if event != "new":
            return
        text = message.plain or ""
        if MARK in text and message.chat_id in self._owners:
            self.broadcast.setdefault(message.chat_id, []).append(time.monotonic())
        elif message.chat_id == OWNER and (found := re.search(r"relay-\d+", text)):
            self.relays.setdefault(found.group(0), time.monotonic())

    def reached(self) -> int:
        return len(self.broadcast)


async def step(api: FakeBotAPI, user: FakeUser, action: str, what: str, expect: str) -> str:
    """Send or press as the user; wait for the bot message containing expect."""
    after = max((m.message_id for m in user.inbox), default=0)
    if action == "send":
        await user.send(what)
    else:
        await user.press(what)
    message = await api.wait_for_message(
        user.id, lambda m: expect in m.plain, timeout=30, after_message_id=after
    )
    return message.plain


async def setup_case(api: FakeBotAPI) -> str:
    """A liaison by invite and an owner with an open case, through the dialogs."""
    admin = api.user(ADMIN, first_name="Admin")
    invite = await step(api, admin, "send", "/invite liaison", "start=inv-")
    code = re.findall(r"start=(inv-[\w-]+)", invite)[0]
    liaison = api.user(LIAISON, first_name="张警官")
    await step(api, liaison, "send", f"/start {code}", "姓名")
    await step(api, liaison, "send", "张警官", "职务")
    await step(api, liaison, "send", "民警", "区县")
    await step(api, liaison, "press", "田家庵区", "设置完成")
    owner = api.user(OWNER, first_name="王")
    for action, what, expect in (
        ("send", "/register", "个人信息说明"),
        ("press", "✅ 同意并继续", "企业名称"),
        ("send", "春风机械", "统一社会信用代码"),
        ("send", code_number(9999), "所在区县"),
        ("press", "田家庵区", "所属行业"),
        ("press", "制造业", "联系人姓名"),
        ("send", "王芳", "联系电话"),
        ("send", "13812345678", "请核对"),
        ("press", "✅ 确认提交", "登记完成"),
        ("send", "/ask", "请选择问题类别"),
        ("press", "治安业务", "请描述"),
        ("send", "门口有人拦车，需要协助", "紧急吗"),
        ("press", "一般", "请确认您的求助"),
    ):
        await step(api, owner, action, what, expect)
    receipt = await step(api, owner, "press", "✅ 提交求助", "已收到您的求助")
    return re.findall(r"HN-\d{6}", receipt)[0]


def start_bot(tmp: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = bot_env(
        f"http://127.0.0.1:{port}",
        tmp,
        LEGAL_AID_ACCESS_ADMINS=str(ADMIN),
        LEGAL_AID_TELEGRAM_MAX_MESSAGES_PER_SECOND="30",  # limits on, as in production
        LEGAL_AID_LOGGING_LEVEL="WARNING",
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stdout=out, stderr=out
        )


async def bench_bot(owners: int, relay_every: float, kill: bool) -> dict[str, Any]:
    api = FakeBotAPI(token=TOKEN)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        db = await Database.open(tmp / "bench.db")
        await seed_into(db, FakeClock(datetime.now(UTC)), api, owners, FIRST)
        await db.close()
        server = await start_server(api, "127.0.0.1", 0)  # after seeding: nothing to clean up
        port = server_port(server)
        log = tmp / "bot.log"
        child = start_bot(tmp, port, log)
        peaks: list[float] = []
        try:
            number = await setup_case(api)
            deliveries = Deliveries(api, owners)
            api.rate_limits_enabled = True
            admin, liaison = api.user(ADMIN), api.user(LIAISON)
            await step(api, admin, "send", "/broadcast", "新建群发")
            await step(api, admin, "send", f"{MARK} 复工复产政策说明", "发给谁")
            await step(api, admin, "press", "下一步：预览 ➡️", "预览")
            started = time.monotonic()
            await admin.press("📤 立即发送")
            sent_relays: dict[str, float] = {}
            killed_at = restarted_at = None
            n = 0
            deadline = started + owners / 10 + 120
            while deliveries.reached() < owners:
                assert time.monotonic() < deadline, f"stuck at {deliveries.reached()}"
                if kill and killed_at is None and deliveries.reached() >= owners // 3:
                    peaks.append(peak_memory_mb(child.pid))
                    child.kill()  # SIGKILL
                    child.wait()
                    killed_at = time.monotonic()
                    child = start_bot(tmp, port, log)
                    restarted_at = time.monotonic()
                marker = f"relay-{n}"
                sent_relays[marker] = time.monotonic()
                await liaison.send(f"/reply {number} {marker}")
                n += 1
                await asyncio.sleep(relay_every)
            finished = time.monotonic()
            await asyncio.sleep(3)  # late duplicates and the relays still in flight
            peaks.append(peak_memory_mb(child.pid))
        finally:
            child.terminate()
            child.wait(timeout=30)
            api.interrupt_polls()
            await server.cleanup()
        with sqlite3.connect(tmp / "bench.db") as conn:
            uncertain = conn.execute(
                "SELECT COALESCE(SUM(uncertain), 0) FROM outbox WHERE bulk_id = 1"
            ).fetchone()[0]
        conn.close()
    firsts = sorted(times[0] for times in deliveries.broadcast.values())
    duplicates = sum(len(t) - 1 for t in deliveries.broadcast.values())
    span = firsts[-1] - firsts[0]
    delays = sorted(
        deliveries.relays[m] - sent_relays[m] for m in sent_relays if m in deliveries.relays
    )
    result: dict[str, Any] = {
        "owners": owners,
        "delivered": len(firsts),
        "elapsed_s": round(finished - started, 1),
        "sustained_per_s": round((len(firsts) - 1) / span, 2),
        "vs_limit": round((len(firsts) - 1) / span / 30, 3),
        # Everything the bot sent meanwhile: the broadcast, relays, confirmations, progress.
        "all_messages_per_s": round(
            sum(1 for t in deliveries.everything if firsts[0] <= t <= firsts[-1]) / span, 2
        ),
        "429s": sum(1 for r in api.refusals if r.status == 429),
        "429s_to_recipients": sum(
            1 for r in api.refusals if r.status == 429 and r.chat_id not in (ADMIN, LIAISON)
        ),
        "duplicates": duplicates,
        "uncertain_sends": uncertain,
        "peak_memory_mb": max(peaks),
        "relays": len(delays),
        "relays_lost": len(sent_relays) - len(delays),
        "relay_p50_ms": round(statistics.median(delays) * 1000, 1),
        "relay_p99_ms": round(
            delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))] * 1000, 1
        ),
    }
    if killed_at is not None and restarted_at is not None:
        down = [t for t in firsts if t > killed_at]
        result["killed_after"] = sum(1 for t in firsts if t <= killed_at)
        # The rate without the restart itself: start-up is not sending.
        resumed = down[0] - killed_at if down else None
        result["resume_after_kill_s"] = round(resumed, 1) if resumed else None
        sending = span - (resumed or 0)
        result["sustained_per_s_excluding_restart"] = round((len(firsts) - 1) / sending, 2)
    return result


async def echo_sender(base: str, owners: int) -> None:
    """The baseline: a bare PTB Bot sends one message to each owner at 30/s, 16 in flight."""
    from telegram import Bot
    from telegram.error import RetryAfter

    bot = Bot(TOKEN, base_url=f"{base}/bot")
    async with bot:
        gate = asyncio.Semaphore(16)

        async def one(chat: int) -> None:
            async with gate:
                for _ in range(5):
                    try:
                        await bot.send_message(chat, f"{MARK} 复工复产政策说明")
                        return
                    except RetryAfter as exc:
                        await asyncio.sleep(float(exc.retry_after.total_seconds()))

        tasks = []
        for n in range(owners):
            tasks.append(asyncio.create_task(one(FIRST + n)))
            await asyncio.sleep(1 / 30)
        await asyncio.gather(*tasks)


async def bench_echo(owners: int) -> dict[str, Any]:
    api = FakeBotAPI(token=TOKEN)
    for n in range(owners):
        api.user(FIRST + n)
    server = await start_server(api, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server_port(server)}"
    deliveries = Deliveries(api, owners)
    api.rate_limits_enabled = True
    env = {**os.environ, "PTB_TIMEDELTA": "1"}
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--echo-sender", base, "--owners", str(owners), cwd=REPO, env=env
    )
    peak = 0.0
    while child.returncode is None:
        try:
            peak = max(peak, peak_memory_mb(child.pid))
            await asyncio.wait_for(child.wait(), timeout=1)
        except (TimeoutError, FileNotFoundError):
            pass
    finished = time.monotonic()
    await server.cleanup()
    firsts = sorted(t[0] for t in deliveries.broadcast.values())
    span = firsts[-1] - firsts[0]
    return {
        "owners": owners,
        "delivered": len(firsts),
        "elapsed_s": round(finished - started, 1),
        "sustained_per_s": round((len(firsts) - 1) / span, 2),
        "429s": sum(1 for r in api.refusals if r.status == 429),
        "duplicates": sum(len(t) - 1 for t in deliveries.broadcast.values()),
        "peak_memory_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--relays-every", type=float, default=2.0)
    parser.add_argument("--echo-sender", help=argparse.SUPPRESS)
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    if args.echo_sender:
        asyncio.run(echo_sender(args.echo_sender, args.owners))
        return
    echo = asyncio.run(bench_echo(args.owners))
    bot = asyncio.run(bench_bot(args.owners, args.relays_every, kill=False))
    killed = (
        None
        if args.skip_kill
        else asyncio.run(bench_bot(args.owners, args.relays_every, kill=True))
    )
    print(
        json.dumps(
            {
                "bench": "broadcast",
                "limit_per_s": 30,
                "bot": bot,
                "bot_killed_and_restarted": killed,
                "echo": echo,
                "rate_ratio": round(bot["sustained_per_s"] / echo["sustained_per_s"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
