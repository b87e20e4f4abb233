"""SLA reminders at scale: 10,000 cases whose reminders fall due within one minute.

The fake Bot API and the bot run as separate processes. Setup (not timed): one owner and one
counsel talk through a case (registered through the bot, as in relay_bench); a hundred
liaisons open a chat with the bot; the bot is stopped and 10,000 unanswered cases of another
enterprise, assigned round robin to the liaisons, are written to its database with their
reminders due evenly over one minute starting 30 s later (escalations a day later); then the
bot starts again, as after a restart, and plans its due-work job from those rows.

Measured, once with the fake API's flood limits off (outbox limits raised, as relay_bench)
and once with them on (Telegram's 30/s overall, ~1/s per chat, the bot's own outbox at its
default 25/s): how late the last reminder is sent after its due time, p50/p99 of each
reminder's lateness, the send rate, rows that received a 429; the p50/p99 of the owner's
messages relayed to the counsel meanwhile (one every 0.25 s while reminders are being sent);
the bot's CPU over 30 s with nothing due. The bare PTB echo bot, in the same run, gives the
baseline of an idle long-polling process and of one round trip.
Prints one JSON line. Run: python bench/reminders_bench.py [--cases 10000] [--staff 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Driver, bot_env, cpu_seconds, fake_api, process, wait_ready
from bench.relay_bench import ADMIN, setup

STAFF_BASE = 700_000
IDLE_SECONDS = 30.0
START_DELAY = 30.0  # seconds from seeding to the first reminder (the bot starts meanwhile)
WINDOW = 60.0  # the reminders fall due evenly over this many seconds


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def seed(database: Path, cases: int, staff: int) -> tuple[datetime, datetime]:
    """Liaisons and unanswered cases with their timers; returns first and last due time."""
    conn = sqlite3.connect(database)
    now = datetime.now(UTC)
    stamp = iso(now)
    first = now + timedelta(seconds=START_DELAY)
    with conn:
        conn.executemany(
            "INSERT INTO accounts (telegram_id, role, created_at, updated_at) "
            "VALUES (?, 'liaison', ?, ?) ON CONFLICT (telegram_id) DO UPDATE SET role = 'liaison'",
            [(STAFF_BASE + i, stamp, stamp) for i in range(staff)],
        )
        conn.executemany(
            "INSERT INTO staff (telegram_id, role, display_name, title, district, created_at, "
            "updated_at) VALUES (?, 'liaison', ?, '民警', 'tianjiaan', ?, ?)",
            [(STAFF_BASE + i, f"民警{i}", stamp, stamp) for i in range(staff)],
        )
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM staff WHERE telegram_id >= ? ORDER BY id", (STAFF_BASE,)
            )
        ]
        enterprise = conn.execute(
            "INSERT INTO enterprises (credit_code, name, district, industry, source, "
            "created_at, updated_at) VALUES ('BENCH-REMINDERS', '基准企业', 'tianjiaan', "
            "'manufacturing', 'import', ?, ?) RETURNING id",
            (stamp, stamp),
        ).fetchone()[0]
        due_times = [first + timedelta(seconds=WINDOW * k / cases) for k in range(cases)]
        conn.executemany(
            "INSERT INTO cases (number, enterprise_id, category, urgency, description, status, "
            "assignee_id, sla_due_at, created_at, updated_at) "
            "VALUES (?, ?, 'public-order', 'urgent', '基准事项', 'open', ?, ?, ?, ?)",
            [
                (f"BN-{k:06d}", enterprise, ids[k % len(ids)], iso(due), stamp, stamp)
                for k, due in enumerate(due_times)
            ],
        )
        rows = conn.execute(
            "SELECT id, sla_due_at FROM cases WHERE number LIKE 'BN-%' ORDER BY id"
        ).fetchall()
        conn.executemany(
            "INSERT INTO case_timers (case_id, kind, due_at) VALUES (?, ?, ?)",
            [(case_id, "reminder", due) for case_id, due in rows]
            + [
                (case_id, "escalation", iso(datetime.fromisoformat(due) + timedelta(days=1)))
                for case_id, due in rows
            ],
        )
    conn.close()
    return first, due_times[-1]


def reminders_sent(database: Path) -> list[tuple[datetime, datetime]]:
    """(due, sent) of every reminder the bot has sent so far."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT t.due_at, o.sent_at FROM outbox o JOIN case_timers t "
            "ON t.case_id = o.case_id AND t.kind = 'reminder' "
            "WHERE json_extract(o.payload, '$.template') = 'cases/sla_reminder' "
            "AND o.status = 'sent'"
        ).fetchall()
    finally:
        conn.close()
    return [(datetime.fromisoformat(d), datetime.fromisoformat(s)) for d, s in rows]


def rows_with_429(database: Path) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(
            conn.execute("SELECT COUNT(*) FROM outbox WHERE last_error LIKE '429%'").fetchone()[0]
        )
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    pid: int, base: str, database: Path, route: dict[int, int], cases: int
) -> dict[str, Any]:
    driver = Driver(base)
    try:
        await wait_ready(driver, ADMIN, "/help", "/invite")
        (owner, counsel), *_ = route.items()
        deadline = time.monotonic() + 1800
        k = 0
        sent: list[tuple[datetime, datetime]] = []
        first_due = None
        while time.monotonic() < deadline:
            sent = reminders_sent(database)
            if len(sent) >= cases:
                break
            if sent:  # reminders are being sent: a relayed conversation meanwhile
                first_due = first_due or min(d for d, _ in sent)
                marker = f"relay-{k}"
                await driver.relay(owner, marker, counsel, marker)
                k += 1
            # Below Telegram's ~1 message/s to one chat: the relays measure the reminders'
            # effect, not the per-chat limit of the counsel's own chat.
            await asyncio.sleep(1.2)
        late = [(s - d).total_seconds() for d, s in sent]
        sent_times = sorted(s for _, s in sent)
        last_due = max(d for d, _ in sent)
        relays = driver.latencies
        cpu = cpu_seconds(pid)
        await asyncio.sleep(IDLE_SECONDS)  # nothing is due for a day now
        idle = cpu_seconds(pid) - cpu
        span = (sent_times[-1] - sent_times[0]).total_seconds() or 1.0
        return {
            "reminders": len(sent),
            "last_sent_after_last_due_s": round((sent_times[-1] - last_due).total_seconds(), 2),
            "lateness_p50_s": round(statistics.median(late), 2),
            "lateness_p99_s": round(percentile(late, 0.99), 2),
            "send_rate_per_s": round(len(sent) / span, 1),
            "rows_that_got_429": rows_with_429(database),
            "relays": len(relays),
            "relay_p50_ms": round(statistics.median(relays) * 1000, 1) if relays else None,
            "relay_p99_ms": round(percentile(relays, 0.99) * 1000, 1) if relays else None,
            "idle_cpu_percent": round(100 * idle / IDLE_SECONDS, 2),
        }
    finally:
        await driver.close()


async def prepare(base: str, staff: int) -> dict[int, int]:
    driver = Driver(base)
    try:
        await wait_ready(driver, ADMIN, "/help", "/invite")
        route = await setup(driver, 1)
        for i in range(staff):  # their chats exist for the fake API (as after /start)
            await driver.send(STAFF_BASE + i, "/help", "/")
        return route
    finally:
        await driver.close()


def run_bot(tmp: Path, cases: int, staff: int, *, limits: bool) -> dict[str, Any]:
    database = tmp / "bench.db"
    database.unlink(missing_ok=True)
    extra = {"LEGAL_AID_ACCESS_ADMINS": str(ADMIN)}
    if not limits:
        extra |= {
            "LEGAL_AID_OUTBOX_MESSAGES_PER_SECOND": "100000",
            "LEGAL_AID_OUTBOX_PER_CHAT_PER_SECOND": "100000",
            "LEGAL_AID_OUTBOX_CHAT_BURST": "1000",
        }
    with fake_api() as base:
        env = bot_env(base, tmp, **extra)
        httpx.post(f"{base}/_fake/config", json={"rate_limits": False}, timeout=10)
        with process([sys.executable, "-m", "bot", "run"], env):
            route = asyncio.run(prepare(base, staff))  # setup at full speed
        seed(database, cases, staff)
        httpx.post(f"{base}/_fake/config", json={"rate_limits": limits}, timeout=10)
        with process([sys.executable, "-m", "bot", "run"], env) as child:
            return asyncio.run(measure(child.pid, base, database, route, cases))


async def echo_figures(pid: int, base: str) -> dict[str, Any]:
    driver = Driver(base)
    try:
        await wait_ready(driver, 999_998, "ready?", "ready?")
        for k in range(40):
            await driver.send(200_000, f"echo-{k}", f"echo-{k}")
        cpu = cpu_seconds(pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle = cpu_seconds(pid) - cpu
        return {
            "round_trip_p50_ms": round(statistics.median(driver.latencies) * 1000, 1),
            "round_trip_p99_ms": round(percentile(driver.latencies, 0.99) * 1000, 1),
            "idle_cpu_percent": round(100 * idle / IDLE_SECONDS, 2),
        }
    finally:
        await driver.close()


def run_echo(tmp: Path) -> dict[str, Any]:
    with (
        fake_api() as base,
        process([sys.executable, "bench/echo_bot.py"], bot_env(base, tmp)) as child,
    ):
        return asyncio.run(echo_figures(child.pid, base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--modes", default="off,on", help="fake API limits: off, on, or both")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    result: dict[str, Any] = {"bench": "reminders", "cases": args.cases, "staff": args.staff}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        result["echo"] = run_echo(tmp)
        for mode in args.modes.split(","):
            key = f"limits_{mode}"
            result[key] = run_bot(tmp, args.cases, args.staff, limits=mode == "on")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
