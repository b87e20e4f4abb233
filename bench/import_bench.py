"""Roster import of 50,000 enterprises: `legal-aid-bot import enterprises` as its own process.

Writes a staff roster (50 liaisons) and 50,000 enterprise rows naming them, as a GB18030 CSV
and as an .xlsx; each is imported into a fresh database (after the staff roster), then
imported again (every row unchanged) and dry-run. Measures each process's wall time and peak
resident memory (wait4), and those of `db migrate` as the CLI's own start-up cost.
Prints one JSON line.
Run: python bench/import_bench.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO
from tests.codes import make_code

HEADINGS = [
    "企业名称",
    "统一社会信用代码",
    "所属区",
    "行业",
    "联络民警",
    "备用联络民警",
    "联系电话",
]
DISTRICTS = ["田家庵区", "大通区", "谢家集区", "八公山区", "潘集区"]
INDUSTRIES = ["制造业", "建筑业", "批发和零售", "餐饮和住宿", "交通运输和物流"]
LIAISONS = 50


def enterprise_rows(count: int) -> list[list[str]]:
    rows = []
    for n in range(count):
        liaison, deputy = n % LIAISONS, (n + 1) % LIAISONS
        rows.append([
            f"淮南市第{n}号机械制造有限公司",
            make_code(f"91340400MA{n:06d}X"),
            DISTRICTS[liaison % len(DISTRICTS)],
            INDUSTRIES[n % len(INDUSTRIES)],
            f"民警{liaison:02d}",
            f"民警{deputy:02d}",
            f"139{n:08d}",
        ])  # fmt: skip
    return rows


def write_files(tmp: Path, count: int) -> dict[str, Path]:
    staff = tmp / "staff.csv"
    with staff.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["姓名", "职务", "角色", "所属区", "手机"])
        for n in range(LIAISONS):
            writer.writerow(
                [f"民警{n:02d}", "民警", "联络民警", DISTRICTS[n % 5], f"1370000{n:04d}"]
            )
    rows = enterprise_rows(count)
    paths = {"staff": staff, "csv": tmp / "enterprises.csv", "xlsx": tmp / "enterprises.xlsx"}
    with paths["csv"].open("w", encoding="gb18030", newline="") as file:
        csv.writer(file).writerows([HEADINGS, *rows])
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    book.save(paths["xlsx"])
    return paths


def run(env: dict[str, str], *args: str) -> dict[str, Any]:
    """One CLI process: wall seconds, peak RSS (MB), its summary line."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed:\n{text[-2000:]}")
    summary = next((line for line in text.splitlines() if " rows): " in line), text[-300:])
    return {
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "summary": summary,
    }


def lock_held(tmp: Path, paths: dict[str, Path]) -> dict[str, float]:
    """How long the import holds the database's write lock (what a running bot waits for):
    the CSV imported in this process, the transaction timed, first into a fresh database,
    then again (unchanged)."""
    import contextlib
    from collections.abc import AsyncIterator

    from bot.__main__ import main as cli
    from bot.storage import database

    held: list[float] = []
    original = database.Database.transaction

    @contextlib.asynccontextmanager
    async def timed(self: database.Database) -> AsyncIterator[Any]:
        started = time.perf_counter()
        async with original(self) as tx:
            yield tx
        held.append(time.perf_counter() - started)

    os.environ |= {
        "LEGAL_AID_CONFIG_DIR": str(REPO / "config"),
        "LEGAL_AID_STORAGE_DATABASE": str(tmp / "lock.db"),
        "LEGAL_AID_LOGGING_LEVEL": "WARNING",
    }
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        cli(["import", "staff", str(paths["staff"])])
        database.Database.transaction = timed  # type: ignore[method-assign]
        try:
            cli(["import", "enterprises", str(paths["csv"])])
            cli(["import", "enterprises", str(paths["csv"])])
        finally:
            database.Database.transaction = original  # type: ignore[method-assign]
    longest = [max(held[: len(held) // 2]), max(held[len(held) // 2 :])]
    return {"import_s": round(longest[0], 2), "reimport_s": round(longest[1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "import_enterprises", "rows": args.rows}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        paths = write_files(tmp, args.rows)
        for kind in ("csv", "xlsx"):
            env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
            env |= {
                "LEGAL_AID_CONFIG_DIR": str(REPO / "config"),
                "LEGAL_AID_STORAGE_DATABASE": str(tmp / f"{kind}.db"),
                "LEGAL_AID_LOGGING_LEVEL": "WARNING",
            }
            # The CLI's own start (every command imports the whole bot, FAQ search included).
            baseline = run(env, "db", "migrate")
            run(env, "import", "staff", str(paths["staff"]))
            first = run(env, "import", "enterprises", str(paths[kind]))
            again = run(env, "import", "enterprises", str(paths[kind]))
            dry = run(env, "import", "enterprises", str(paths[kind]), "--dry-run")
            result[kind] = {
                "file_mb": round(paths[kind].stat().st_size / 1e6, 1),
                "cli_start": {k: v for k, v in baseline.items() if k != "summary"},
                "import": first,
                "reimport_unchanged": again,
                "dry_run": {k: v for k, v in dry.items() if k != "summary"},
            }
        result["write_lock_held"] = lock_held(tmp, paths)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
