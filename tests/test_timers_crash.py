"""A bot process killed with SIGKILL between marking a reminder done and sending it.

The bot runs as a real process against the fake Bot API over loopback. Its reminder's first
send fails (a 500: the outbox holds it for a retry); the process is killed right after the
timer was marked done; the restarted process sends it, once, and marks nothing again.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fake_telegram import FakeBotAPI
from tests import test_cli
from tests.conftest import REPO
from tests.test_cli import bot_env, cli

LIAISON = 7001
REMINDER = "已到首次答复期限"


# The fake Bot API served on loopback, as the CLI tests use it.
fake_server = test_cli.fake_server


def seed_overdue_case(database: Path) -> None:
    """A liaison and an urgent case whose reminder fell due a minute ago."""
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="milliseconds")
    due = (now - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    later = (now + timedelta(days=1)).isoformat(timespec="milliseconds")
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO accounts (telegram_id, role, created_at, updated_at) "
            "VALUES (?, 'liaison', ?, ?)",
            (LIAISON, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO staff (id, telegram_id, role, display_name, created_at, updated_at) "
            "VALUES (1, ?, 'liaison', '张警官', ?, ?)",
            (LIAISON, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO enterprises (id, credit_code, name, district, industry, source, "
            "created_at, updated_at) VALUES (1, 'X', '春风', 'tianjiaan', 'other', 'import', ?, ?)",
            (stamp, stamp),
        )
        conn.execute(
            "INSERT INTO cases (id, number, enterprise_id, category, urgency, description, "
            "status, assignee_id, sla_due_at, created_at, updated_at) VALUES (1, 'HN-000001', "
            "1, 'public-order', 'urgent', '门口有人拦车', 'open', 1, ?, ?, ?)",
            (due, stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO case_timers (case_id, kind, due_at) VALUES (1, ?, ?)",
            [("reminder", due), ("escalation", later)],
        )


async def wait_db(database: Path, sql: str, within: float = 30.0) -> None:
    """Until the query returns a row (the other process's commits, read from outside)."""
    async with asyncio.timeout(within):
        while True:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
                if conn.execute(sql).fetchone():
                    return
            await asyncio.sleep(0.05)


async def test_killed_after_marking_before_sending_the_reminder_arrives_once(
    tmp_path: Path, fake_server: tuple[FakeBotAPI, int]
) -> None:
    api, port = fake_server
    database = tmp_path / "db" / "legal-aid.db"
    assert cli(tmp_path, "db", "migrate").returncode == 0
    seed_overdue_case(database)
    liaison = api.user(LIAISON, first_name="张警官")
    env = bot_env(tmp_path, port, LEGAL_AID_TELEGRAM_POLL_TIMEOUT="1")

    log = (tmp_path / "bot.log").open("ab")

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=REPO, stdout=log, stderr=log
        )

    api.fail_next("sendMessage", 500, count=1000)  # nothing gets out of the first process
    first = await start()
    try:
        # Marked done and its outbox row written (one transaction); its first try failed.
        await wait_db(
            database,
            "SELECT 1 FROM case_timers t JOIN outbox o ON o.case_id = t.case_id "
            "WHERE t.kind = 'reminder' AND t.state = 'done' AND o.attempts >= 1",
        )
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    assert not [m for m in liaison.inbox if REMINDER in m.plain]
    api.clear_faults()
    second = await start()
    try:
        await api.wait_for_message(LIAISON, lambda m: REMINDER in m.plain, timeout=30)
        await wait_db(database, "SELECT 1 FROM outbox WHERE status = 'sent'")
        await asyncio.sleep(2)  # the restarted runner has woken and found nothing more
    finally:
        second.terminate()
        await second.wait()
        log.close()
    assert len([m for m in liaison.inbox if REMINDER in m.plain]) == 1
    with sqlite3.connect(database) as conn:
        assert conn.execute(
            "SELECT state, outcome FROM case_timers WHERE kind = 'reminder'"
        ).fetchall() == [("done", "sent")]
