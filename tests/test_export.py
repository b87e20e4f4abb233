"""`legal-aid-bot export` as an operator runs it: real processes, files re-read and compared with
the database, erased owners still erased, every export audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from bot.storage.database import Database
from tests.conftest import FakeClock
from tests.oversight_seed import SEED, Seeded, seed
from tests.test_cli import cli

ZONE = ZoneInfo("Asia/Shanghai")
ERASED = ("赵敏", "+8613812345671")  # the erased owner's name and phone


async def seeded(tmp_path: Path) -> tuple[Seeded, list[dict[str, object]]]:
    db = await Database.open(tmp_path / "db" / "legal-aid.db")
    try:
        result = await seed(db, FakeClock())
        rows = [dict(r) for r in await db.fetchall("SELECT * FROM cases ORDER BY id")]
    finally:
        await db.close()
    return result, rows


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel in China reads it as UTF-8
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))


def local(stamp: object) -> str:
    return datetime.fromisoformat(str(stamp)).astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")


async def test_cases_as_csv_and_xlsx_match_the_database_and_erased_owners_stay_erased(
    tmp_path: Path,
) -> None:
    _, cases = await seeded(tmp_path)
    result = cli(tmp_path, "export", "cases", str(tmp_path / "cases.csv"))
    assert result.returncode == 0, result.stderr
    assert "exported 12 cases rows" in result.stdout
    table = read_csv(tmp_path / "cases.csv")
    assert table[0][:4] == ["事项编号", "类别", "紧急程度", "状态"]
    body = table[1:]
    assert [r[0] for r in body] == [c["number"] for c in cases]
    heads = table[0]
    for row, case in zip(body, cases, strict=True):
        cell = dict(zip(heads, row, strict=True))
        assert cell["创建时间"] == local(case["created_at"])
        assert cell["首次答复时间"] == (
            local(case["first_response_at"]) if case["first_response_at"] else ""
        )
        assert cell["评分"] == ("" if case["rating"] is None else str(case["rating"]))
        assert cell["评价意见"] == (case["rating_comment"] or "")
        assert cell["区县"] in ("田家庵区", "大通区")
        # The erased owner's cases are still there, without their name.
        assert cell["联系人"] == ("王芳" if cell["区县"] == "田家庵区" else "")
    assert body[0][1] == "劳动用工"  # categories by their configured label
    text = (tmp_path / "cases.csv").read_text(encoding="utf-8-sig")
    assert not any(value in text for value in ERASED)

    result = cli(tmp_path, "export", "cases", "--format", "xlsx", str(tmp_path / "cases.bin"))
    assert result.returncode == 0, result.stderr
    xlsx = (tmp_path / "cases.bin").rename(tmp_path / "cases.xlsx")  # --format won over .bin
    book = openpyxl.load_workbook(xlsx)
    rows = list(book.active.iter_rows(values_only=True))
    assert [str(x) for x in rows[0]] == heads
    assert len(rows) == len(cases) + 1
    for row, case in zip(rows[1:], cases, strict=True):
        assert row[0] == case["number"]
        opened = row[heads.index("创建时间")]
        assert opened.strftime("%Y-%m-%d %H:%M:%S") == local(case["created_at"])  # a date cell
        assert row[heads.index("评分")] == case["rating"]
    assert not any(value in str(rows) for value in ERASED)


async def test_enterprises_staff_and_audit_exports_and_each_export_is_audited(
    tmp_path: Path,
) -> None:
    await seeded(tmp_path)
    assert cli(tmp_path, "export", "enterprises", str(tmp_path / "e.xlsx")).returncode == 0
    rows = list(openpyxl.load_workbook(tmp_path / "e.xlsx").active.iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码", "名称", "区县")
    heads = list(rows[0])
    by_code = {r[0]: dict(zip(heads, r, strict=True)) for r in rows[1:]}
    assert by_code["91340400MA2N0000XY"]["联系人姓名"] == "王芳"
    assert by_code["91340400MA2N0001XY"]["联系人姓名"] is None  # erased: nobody listed
    assert by_code["91340400MA2N0001XY"]["区县"] == "大通区"
    assert not any(value in str(rows) for value in ERASED)

    assert cli(tmp_path, "export", "staff", str(tmp_path / "s.csv")).returncode == 0
    staff = read_csv(tmp_path / "s.csv")
    assert {r[1] for r in staff[1:]} == {"张警官", "李律师"}
    counsel = next(r for r in staff[1:] if r[1] == "李律师")
    open_cases = sum(
        1 for c in SEED if c.assignee == "counsel" and c.status in ("open", "accepted")
    )
    assert counsel[staff[0].index("进行中事项")] == str(open_cases)
    assert counsel[staff[0].index("专长")] == "labour"

    assert cli(tmp_path, "export", "audit", str(tmp_path / "a.csv")).returncode == 0
    audit = read_csv(tmp_path / "a.csv")
    db = await Database.open(tmp_path / "db" / "legal-aid.db")
    try:
        logged = await db.fetchall("SELECT * FROM audit_log ORDER BY id")
    finally:
        await db.close()
    # The file holds every line written before it; then its own export was recorded.
    assert [r[0] for r in audit[1:]] == [str(r["id"]) for r in logged[:-1]]
    exports = [r for r in logged if r["action"] == "export"]
    assert [(r["actor"], r["subject"]) for r in exports] == [
        (None, "export:enterprises"),
        (None, "export:staff"),
        (None, "export:audit"),
    ]
    assert json.loads(exports[0]["details"]) == {"format": "xlsx", "rows": 2, "via": "cli"}


async def test_since_and_until_are_local_dates_both_included(tmp_path: Path) -> None:
    seeded_db, cases = await seeded(tmp_path)
    now = seeded_db.now
    first = (now - timedelta(days=5)).astimezone(ZONE).date()
    last = (now - timedelta(days=1)).astimezone(ZONE).date()
    out = tmp_path / "window.csv"
    args = ("export", "cases", "--since", first.isoformat(), "--until", last.isoformat())
    result = cli(tmp_path, *args, str(out))
    assert result.returncode == 0, result.stderr
    expected = [
        c["number"]
        for c in cases
        if first.isoformat() <= local(c["created_at"])[:10] <= last.isoformat()
    ]
    assert 0 < len(expected) < len(cases)
    assert [r[0] for r in read_csv(out)[1:]] == expected
    result = cli(tmp_path, "export", "cases", str(tmp_path / "nowhere" / "x.csv"))
    assert result.returncode == 1
    assert "no folder" in result.stderr


def test_bad_dates_a_missing_database_and_an_unknown_table_get_one_line(tmp_path: Path) -> None:
    result = cli(tmp_path, "export", "cases", "--since", "2026-13-01", "x.csv")
    assert result.returncode == 2
    assert "not a date (YYYY-MM-DD)" in result.stderr
    result = cli(
        tmp_path, "export", "cases", "--since", "2026-03-02", "--until", "2026-03-01", "x.csv"
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    result = cli(tmp_path, "export", "cases", "x.csv")
    assert result.returncode == 1
    assert "no database" in result.stderr
    assert not (tmp_path / "x.csv").exists()
    result = cli(tmp_path, "export", "tables", "x.csv")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
