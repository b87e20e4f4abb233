"""A broadcast survives a kill (PRODUCT §5.3, §10): the bot as a real process, SIGKILLed in the
middle of a broadcast to 300 owners, then started again. Everyone in the audience gets it; the
only duplicates are sends that were in flight at the kill, and the report counts them."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.database import Database
from fake_telegram import FakeBotAPI, FakeUser, server_port, start_server
from tests.conftest import FakeClock
from tests.telegram.bulk_seed import seed_into
from tests.test_cli_environment import start_bot

ADMIN = 9000
MARK = "停产期间工资支付说明"


async def start(port: int, tmp_path: Path, log_name: str) -> asyncio.subprocess.Process:
    return await start_bot(
        port,
        tmp_path,
        log_name=log_name,
        LEGAL_AID_ACCESS_ADMINS=str(ADMIN),
        LEGAL_AID_BROADCAST_PROGRESS_SECONDS="2",
    )


async def answer(api: FakeBotAPI, user: FakeUser, contains: str, within: float = 30) -> None:
    await api.wait_for_message(
        user.id,
        lambda m: contains in m.plain,
        timeout=within,
        after_message_id=user.seen_message_id,
    )
    user.seen_message_id = max(m.message_id for m in user.inbox)


def delivered(owners: list[FakeUser]) -> Counter[int]:
    return Counter(sum(MARK in m.plain for m in o.inbox) for o in owners)


async def until(condition: object, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_broadcast_killed_midway_delivers_the_rest_after_restart(tmp_path: Path) -> None:
    api = FakeBotAPI(token=None)
    api.rate_limits_enabled = True
    api.delay = 0.2  # Telegram's latency: several sends are in flight at any moment
    server = await start_server(api, "127.0.0.1", 0)
    port = server_port(server)
    database = tmp_path / "db" / "legal-aid.db"
    database.parent.mkdir()
    db = await Database.open(database)
    owners = await seed_into(db, FakeClock(datetime.now(UTC)), api, 300)
    await db.close()
    process = await start(port, tmp_path, "bot1.log")
    try:
        admin = api.user(ADMIN, first_name="Admin")
        await admin.send("/broadcast")
        await answer(api, admin, "新建群发")
        await admin.send(MARK)
        await answer(api, admin, "发给谁")
        await admin.press("下一步：预览 ➡️")
        await answer(api, admin, "预览")
        await admin.press("📤 立即发送")
        await until(lambda: sum(delivered(owners)[n] * n for n in (1, 2)) >= 90, 30)
        process.kill()  # SIGKILL: no shutdown, sends in flight are cut off
        await process.wait()
        at_kill = sum(delivered(owners).values()) - delivered(owners)[0]
        assert at_kill < 300

        process = await start(port, tmp_path, "bot2.log")
        await until(lambda: delivered(owners)[0] == 0, 60)
        await answer(api, admin, "送达报告", within=30)
    finally:
        process.terminate()
        await process.wait()
        api.interrupt_polls()
        await server.cleanup()

    counts = delivered(owners)
    assert counts[0] == 0  # everyone in the audience got it
    duplicates = sum((n - 1) * k for n, k in counts.items() if n > 1)
    db = await Database.open(database)
    try:
        row = await db.fetchone("SELECT SUM(uncertain) FROM outbox WHERE bulk_id = 1")
    finally:
        await db.close()
    in_flight = int(row[0] or 0) if row else 0
    print(f"killed after {at_kill} deliveries; {in_flight} in flight; {duplicates} duplicates")
    assert duplicates <= in_flight <= 16  # only what was in flight at the kill came twice
    report = next(m.plain for m in reversed(admin.inbox) if "送达报告" in m.plain)
    assert "已送达：300" in report
    if in_flight:
        assert f"其中 {in_flight} 条" in report
    assert "Traceback" not in (tmp_path / "bot2.log").read_text(encoding="utf-8")
