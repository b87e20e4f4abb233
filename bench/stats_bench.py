"""Oversight benchmark: /stats (figures, then two charts) and exports on 100,000 cases.

Run: .venv/bin/python bench/stats_bench.py [--cases 100000] [--repeat 3]
Prints one JSON line. A database of --cases cases over the last year (5,000 enterprises, a tenth
of their owners erased, 20,000 FAQ questions) is written once; then the real bot runs as its own
process against the fake Bot API (also its own process) and an admin sends /stats and /export,
timed from the send until the text, until the second chart, until the document arrives. Peak
memory is the bot process's VmHWM (Linux), next to the bare PTB echo bot's after one message.
`legal-aid-bot export` is timed as its own process too, with its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, Driver, bot_env, fake_api, process, wait_ready
from bot.storage.database import Database

ADMIN = 990_001
PROBE = 990_002  # an owner who only asks for /help


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def build_database(path: Path, cases: int, seed: int = 7) -> None:
    """Migrate with the bot's own migrations, then bulk-insert the synthetic programme."""

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    rng = random.Random(seed)
    config = REPO / "config"
    districts = [
        d["id"] for d in tomllib.loads((config / "districts.toml").read_text())["district"]
    ]
    categories = [
        c["id"] for c in tomllib.loads((config / "categories.toml").read_text())["category"]
    ]
    now = datetime.now(UTC)
    stamp = _iso(now)
    conn = sqlite3.connect(path)
    with conn:
        staff_ids = range(1, 41)
        conn.executemany(
            "INSERT INTO accounts (telegram_id, role, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [(800_000 + s, "counsel", stamp, stamp) for s in staff_ids],
        )
        conn.executemany(
            "INSERT INTO staff (id, telegram_id, role, display_name, title, created_at, "
            "updated_at) VALUES (?, ?, 'counsel', ?, '律师', ?, ?)",
            [(s, 800_000 + s, f"律师{s}", stamp, stamp) for s in staff_ids],
        )
        conn.executemany(
            "INSERT INTO enterprises (id, credit_code, name, district, industry, source, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, 'manufacturing', 'import', ?, ?)",
            [
                (e, f"CODE{e:014d}", f"企业{e}", rng.choice(districts), stamp, stamp)
                for e in range(1, 5001)
            ],
        )
        conn.executemany(
            "INSERT INTO contacts (id, enterprise_id, name, phone, erased_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (e, e, None, None, stamp, stamp, stamp)
                if e % 10 == 0
                else (e, e, f"联系人{e}", f"+86138{e:08d}", None, stamp, stamp)
                for e in range(1, 5001)
            ],
        )
        rows = []
        for n in range(1, cases + 1):
            created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            answered = (
                created + timedelta(hours=rng.expovariate(1 / 6)) if rng.random() < 0.8 else None
            )
            if answered and answered > now:
                answered = None
            resolved = (
                answered + timedelta(hours=rng.uniform(1, 72))
                if answered and rng.random() < 0.7
                else None
            )
            closed = (
                resolved + timedelta(hours=rng.uniform(1, 72))
                if resolved and rng.random() < 0.8
                else None
            )
            if resolved and resolved > now:
                resolved = closed = None
            if closed and closed > now:
                closed = None
            rating = rng.randint(1, 5) if closed and rng.random() < 0.7 else None
            status = (
                "closed"
                if closed
                else "resolved"
                if resolved
                else "accepted"
                if answered
                else "open"
            )
            rows.append(
                (
                    n,
                    f"HN-{n:06d}",
                    rng.randint(1, 5000),
                    rng.choice(categories),
                    status,
                    rng.choice(staff_ids),
                    _iso(created + timedelta(hours=24)),
                    *(_iso(t) if t else None for t in (answered, resolved, closed)),
                    rating,
                    "慢" if rating and rating <= 2 else None,
                    _iso(created),
                )
            )
        conn.executemany(
            "INSERT INTO cases (id, number, enterprise_id, opened_by, category, urgency, "
            "description, status, assignee_id, sla_due_at, first_response_at, resolved_at, "
            "closed_at, rating, rating_comment, created_at, updated_at) "
            "VALUES (?1, ?2, ?3, ?3, ?4, 'normal', '停工期间工资怎么发放，合同能否解除', ?5, ?6, "
            "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            rows,
        )
        conn.executemany(
            "INSERT INTO faq_queries (at, language, text, best_entry) VALUES (?, 'zh-hans', ?, ?)",
            [
                (
                    _iso(now - timedelta(seconds=rng.uniform(0, 365 * 86400))),
                    f"问题{rng.randint(1, 300)}",
                    None if rng.random() < 0.3 else "wages",
                )
                for _ in range(20_000)
            ],
        )
    conn.close()


def peak_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


async def _next(driver: Driver, chat: int, after: int) -> dict[str, Any]:
    response = await driver.client.get(
        f"/_fake/chats/{chat}/wait", params={"after": after, "timeout": 120}, timeout=150
    )
    response.raise_for_status()
    message: dict[str, Any] = response.json()["message"]
    return message


async def bench_bot(pid: int, base: str, repeat: int) -> dict[str, Any]:
    driver = Driver(base)
    try:
        await wait_ready(driver, ADMIN, "/help", "/stats")
        result: dict[str, Any] = {"peak_kib_idle": peak_kib(pid)}
        text_s, charts_s = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            sent = await driver.client.post(f"/_fake/users/{ADMIN}/send", json={"text": "/stats"})
            after = sent.json()["message"]["message_id"]
            message = await _next(driver, ADMIN, after)
            assert "📊" in message["plain"], message["plain"][:80]
            text_s.append(time.perf_counter() - started)
            for _ in range(2):
                message = await _next(driver, ADMIN, message["message_id"])
                assert message["kind"] == "photo", message["kind"]
            charts_s.append(time.perf_counter() - started)
        result["stats_text_s"] = round(statistics.median(text_s), 3)
        result["stats_with_charts_s"] = round(statistics.median(charts_s), 3)
        result["peak_kib_after_stats"] = peak_kib(pid)
        for fmt in ("csv", "xlsx"):
            started = time.perf_counter()
            sent = await driver.client.post(
                f"/_fake/users/{ADMIN}/send", json={"text": f"/export cases {fmt}"}
            )
            done = asyncio.Event()
            probe = asyncio.create_task(_probe(driver, done))
            message = await _next(driver, ADMIN, sent.json()["message"]["message_id"])
            done.set()
            assert message["kind"] == "document", message
            result[f"export_{fmt}_chat_s"] = round(time.perf_counter() - started, 3)
            result[f"peak_kib_after_export_{fmt}"] = peak_kib(pid)
            waits = await probe
            result[f"help_during_export_{fmt}_max_s"] = round(max(waits), 3)
            result[f"help_during_export_{fmt}_n"] = len(waits)
        return result

    finally:
        await driver.close()


async def _probe(driver: Driver, done: asyncio.Event) -> list[float]:
    """Another user's /help, again and again while an export runs: how long each answer took
    (the export must not stall the event loop)."""
    waits: list[float] = []
    while not done.is_set():
        started = time.perf_counter()
        await driver.send(PROBE, "/help", "/start")
        waits.append(time.perf_counter() - started)
        await asyncio.sleep(0.2)
    return waits or [0.0]


async def bench_echo(pid: int, base: str) -> int:
    driver = Driver(base)
    try:
        await wait_ready(driver, 999_998, "ready?", "ready?")
        return peak_kib(pid)
    finally:
        await driver.close()


def cli_export(env: dict[str, str], fmt: str, target: Path) -> dict[str, Any]:
    """`legal-aid-bot export cases` as its own process: wall time and peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "export", "cases", "--format", fmt, str(target)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    return {
        "s": round(time.perf_counter() - started, 3),
        "peak_kib": usage.ru_maxrss,
        "bytes": target.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        build_database(folder / "bench.db", args.cases)
        built = round(time.perf_counter() - started, 1)
        extra = {"LEGAL_AID_ACCESS_ADMINS": str(ADMIN)}
        with (
            fake_api() as base,
            process([sys.executable, "bench/echo_bot.py"], bot_env(base, folder)) as echo,
        ):
            echo_peak = asyncio.run(bench_echo(echo.pid, base))
        with (
            fake_api() as base,
            process([sys.executable, "-m", "bot", "run"], bot_env(base, folder, **extra)) as child,
        ):
            bot = asyncio.run(bench_bot(child.pid, base, args.repeat))
        env = bot_env("http://127.0.0.1:9", folder)
        cli = {fmt: cli_export(env, fmt, folder / f"cases.{fmt}") for fmt in ("csv", "xlsx")}
    print(
        json.dumps(
            {
                "bench": "stats_and_export",
                "cases": args.cases,
                "database_built_s": built,
                "bot": bot,
                "echo_peak_kib": echo_peak,
                "peak_ratio_after_export_xlsx": round(
                    bot["peak_kib_after_export_xlsx"] / echo_peak, 2
                ),
                "cli_export": cli,
            }
        )
    )


if __name__ == "__main__":
    main()
