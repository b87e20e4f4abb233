"""`legal-aid-bot import enterprises|staff FILE` as an operator runs it (PRODUCT §5.2)."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.codes import code_number
from tests.conftest import CONFIG_DIR, REPO
from tests.rosters import Cli, read_xlsx, reported_lines, write_csv, write_xlsx

STAFF_HEADINGS = ["序号", "姓名", "职务", "角色", "所属区", "专长", "手机", "Telegram用户名"]
GOOD_STAFF = [
    ["1", "张警官", "民警", "联络民警", "田家庵区", "", "13900000001", "@zhang_police"],
    ["2", "李警官", "副所长", "民警", "田家庵", "", "13900000002", ""],
    ["3", "王律师", "律师", "律师", "", "合同、劳动用工", "13900000003", ""],
    ["4", "赵管理", "科员", "管理员", "", "", "", ""],
]
EARLIER_STAFF = [
    ["褚律师", "律师", "法律顾问", "", "合同", "13900000010", ""],
    ["卫警官", "民警", "联络民警", "大通区", "", "13900000011", ""],
    ["沈警官", "民警", "联络民警", "大通区", "", "13900000012", "shen_police"],
]
# Each bad staff row, and what its reason says (--lang en).
BAD_STAFF = [
    (["5", "厨师长", "主厨", "厨师", "", "", "", ""], 'unknown role "厨师"'),
    (["6", "孙警官", "民警", "联络民警", "火星区", "", "", ""], 'unknown district "火星区"'),
    (["7", "钱律师", "律师", "律师", "", "占卜", "", ""], 'unknown specialty "占卜"'),
    (["8", "周警官", "民警", "联络民警", "", "", "", ""], "a police liaison needs a district"),
    (["9", "吴律师", "律师", "律师", "", "", "", ""], "a lawyer needs at least one specialty"),
    (["10", "郑警官", "民警", "联络民警", "大通区", "", "12345", ""], 'phone "12345"'),
    (["11", "冯警官", "民警", "联络民警", "大通区", "", "", "a b"], "not a Telegram username"),
    (["12", "", "民警", "联络民警", "大通区", "", "", ""], "name is missing"),
    (GOOD_STAFF[0], "repeats line 3"),
    (["13", "陈警官", "民警", "联络民警", "大通区", "", "13900000009", ""], "other details"),
    (["14", "陈警官", "所长", "联络民警", "大通区", "", "13900000009", ""], "other details"),
    (["15", "褚律师", "民警", "联络民警", "大通区", "", "13900000010", ""], "as a lawyer"),
    (["16", "卫警官", "民警", "联络民警", "大通区", "", "13900000011", ""], "deactivated"),
    (["17", "韩警官", "民警", "联络民警", "大通区", "", "", "shen_police"], "belongs to 沈警官"),
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path, monkeypatch)


def earlier_staff(cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Staff imported before, one of them deactivated since (as /staff would)."""
    path = write_csv(tmp_path / "earlier.csv", [STAFF_HEADINGS[1:], *EARLIER_STAFF])
    status, out, _ = cli(capsys, "import", "staff", str(path))
    assert status == 0, out
    cli.rows("SELECT 1")  # the file exists
    import sqlite3

    with sqlite3.connect(cli.database) as conn:
        conn.execute("UPDATE staff SET active = 0 WHERE display_name = '卫警官'")


def test_a_staff_workbook_with_chinese_headings_refuses_every_bad_row_by_line(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    earlier_staff(cli, capsys, tmp_path)
    rows = [STAFF_HEADINGS, *GOOD_STAFF, *(row for row, _ in BAD_STAFF)]
    # Numbers as Excel keeps them: a phone typed into a cell is a number.
    rows = [[int(c) if c.isdigit() and len(c) == 11 else c for c in row] for row in rows]
    path = write_xlsx(tmp_path / "staff.xlsx", rows, title="2020年复工复产联络人员名单")
    status, out, err = cli(capsys, "import", "staff", str(path), "--lang", "en")
    assert status == 1, err
    assert "(9 staff rows" not in out
    assert f"{len(GOOD_STAFF) + len(BAD_STAFF)} staff rows): 4 added, 0 updated" in out
    assert f"{len(BAD_STAFF)} refused" in out
    assert "ignored columns: 序号" in out
    lines = reported_lines(out)
    first = 3 + len(GOOD_STAFF)  # title row, heading row, then the good rows
    for offset, (_, reason) in enumerate(BAD_STAFF):
        assert reason in lines[first + offset], (first + offset, lines)
    assert len(lines) == len(BAD_STAFF)
    stored = cli.rows(
        "SELECT display_name, title, role, district, phone, telegram_username, source "
        "FROM staff WHERE source = 'import' ORDER BY id"
    )
    assert stored[3:] == [
        ("张警官", "民警", "liaison", "tianjiaan", "+8613900000001", "zhang_police", "import"),
        ("李警官", "副所长", "liaison", "tianjiaan", "+8613900000002", None, "import"),
        ("王律师", "律师", "counsel", None, "+8613900000003", None, "import"),
        ("赵管理", "科员", "admin", None, None, None, "import"),
    ]
    specialties = cli.rows(
        "SELECT specialty FROM staff_specialties JOIN staff ON staff.id = staff_id "
        "WHERE display_name = '王律师' ORDER BY specialty"
    )
    assert specialties == [("contracts",), ("labour",)]
    # One invite per person who has not joined, each bound to their record.
    invites = cli.rows("SELECT COUNT(*), COUNT(DISTINCT staff_id) FROM invites")
    assert invites == [(7, 7)]
    audit = cli.rows("SELECT action, subject, details FROM audit_log ORDER BY id DESC LIMIT 1")
    assert audit[0][:2] == ("import", "staff")
    assert '"refused": 14' in str(audit[0][2])
    assert '"invites": 4' in str(audit[0][2])


ENTERPRISE_HEADINGS = [
    "企业名称", "统一社会信用代码", "所属区", "行业",
    "联络民警", "备用联络民警", "联系电话", "备注",
]  # fmt: skip
GOOD_ENTERPRISES = [
    ["春风机械", code_number(1), "田家庵区", "制造业", "李警官", "张警官", "13800000001", ""],
    ["淮河物流", code_number(2), "大通", "交通运输和物流", "13900000001", "", "", "a note"],
    ["老字号", code_number(5), "田家庵区", "制造业", "", "", "", ""],  # registered: adopted
]
BAD_CODE = code_number(6)[:-1] + ("X" if code_number(6)[-1] != "X" else "Y")
BAD_ENTERPRISES = [
    (["错码", BAD_CODE, "田家庵区", "制造业", "", "", "", ""], "the check character should be"),
    (["短码", "91340400MA2N0001", "田家庵区", "制造业", "", "", "", ""], "has 16 characters"),
    (["字母", "91340400MA2NOOO1XY", "田家庵区", "制造业", "", "", "", ""], '"O" cannot be'),
    (["外星", code_number(7), "火星区", "制造业", "", "", "", ""], 'unknown district "火星区"'),
    (["炼金", code_number(8), "田家庵区", "炼金术", "", "", "", ""], 'unknown industry "炼金术"'),
    (["路人", code_number(9), "田家庵区", "制造业", "路人甲", "", "", ""], '"路人甲": nobody'),
    (["律所", code_number(10), "田家庵区", "制造业", "王律师", "", "", ""], "is a lawyer, not"),
    (["同人", code_number(11), "田家庵区", "制造业", "张警官", "张警官", "", ""], "the deputy is"),
    (["", code_number(12), "田家庵区", "制造业", "", "", "", ""], "name is missing"),
    (GOOD_ENTERPRISES[0], "repeats line"),
    (["甲公司", code_number(13), "大通区", "制造业", "", "", "", ""], "with other details"),
    (["乙公司", code_number(13), "大通区", "制造业", "", "", "", ""], "with other details"),
    (["新名字", code_number(4), "田家庵区", "制造业", "", "", "", ""], 'name "原名字"'),
    (["电话", code_number(14), "田家庵区", "制造业", "", "", "0554", ""], 'phone "0554"'),
]


def registered(cli: Cli, code: str, name: str) -> None:
    """An enterprise its owner registered (source registration), as registration writes it."""
    import sqlite3

    with sqlite3.connect(cli.database) as conn:
        conn.execute(
            "INSERT INTO enterprises (credit_code, name, district, industry, source, created_at, "
            "updated_at) VALUES (?, ?, 'tianjiaan', 'manufacturing', 'registration', 'x', 'x')",
            (code, name),
        )


def staff_roster(cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "staff.csv", [STAFF_HEADINGS, *GOOD_STAFF])
    status, out, _ = cli(capsys, "import", "staff", str(path))
    assert status == 0, out


def enterprise_file(tmp_path: Path, kind: str, rows: list[list[str]]) -> tuple[Path, int]:
    """The sheet as the programme saved it, and the line of its heading row."""
    if kind == "xlsx":
        typed = [[int(c) if c.isdigit() and len(c) == 11 else c for c in row] for row in rows]
        return write_xlsx(tmp_path / "enterprises.xlsx", typed, title="复工企业名单"), 2
    return write_csv(tmp_path / "enterprises.csv", rows, encoding="gb18030"), 1


@pytest.mark.parametrize("kind", ["gb18030-csv", "xlsx"])
def test_an_enterprise_sheet_refuses_every_bad_row_and_imports_the_rest(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    staff_roster(cli, capsys, tmp_path)
    registered(cli, code_number(4), "原名字")
    registered(cli, code_number(5), "老字号")
    rows = [ENTERPRISE_HEADINGS, *GOOD_ENTERPRISES, *(r for r, _ in BAD_ENTERPRISES)]
    path, heading = enterprise_file(tmp_path, kind.split("-")[-1], rows)
    status, out, err = cli(capsys, "import", "enterprises", str(path), "--lang", "en")
    assert status == 1, err
    if kind == "gb18030-csv":
        assert "(GB18030, 17 enterprises rows)" in out
    assert "2 added, 1 updated, 0 unchanged, 14 refused" in out
    lines = reported_lines(out)
    first = heading + 1 + len(GOOD_ENTERPRISES)
    for offset, (_, reason) in enumerate(BAD_ENTERPRISES):
        assert reason in lines[first + offset], (first + offset, lines[first + offset])
    assert f"repeats line {heading + 1}" in lines[first + 9]
    stored = cli.rows(
        "SELECT e.name, e.district, e.industry, l.display_name, d.display_name, e.phone, e.source "
        "FROM enterprises e LEFT JOIN staff l ON l.id = e.liaison_id "
        "LEFT JOIN staff d ON d.id = e.deputy_liaison_id ORDER BY e.credit_code"
    )
    assert stored == [
        ("春风机械", "tianjiaan", "manufacturing", "李警官", "张警官", "+8613800000001", "import"),
        ("淮河物流", "datong", "logistics", "张警官", None, None, "import"),
        ("原名字", "tianjiaan", "manufacturing", None, None, None, "registration"),
        ("老字号", "tianjiaan", "manufacturing", None, None, None, "import"),
    ]


def test_reasons_are_in_the_programme_language_by_default(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [ENTERPRISE_HEADINGS, BAD_ENTERPRISES[0][0], BAD_ENTERPRISES[3][0]]
    path = write_csv(tmp_path / "e.csv", rows, encoding="gb18030")
    status, out, _ = cli(capsys, "import", "enterprises", str(path))
    assert status == 1
    lines = reported_lines(out)
    assert f"统一社会信用代码 {BAD_CODE}：校验位应为" in lines[2]
    assert lines[3] == "没有「火星区」这个区（见 config/districts.toml）"


def test_importing_the_same_file_again_changes_nothing(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    staff = write_xlsx(tmp_path / "staff.xlsx", [STAFF_HEADINGS, *GOOD_STAFF])
    enterprises = write_csv(tmp_path / "e.csv", [ENTERPRISE_HEADINGS, *GOOD_ENTERPRISES[:2]])
    for path, kind in ((staff, "staff"), (enterprises, "enterprises")):
        status, out, _ = cli(capsys, "import", kind, str(path))
        assert status == 0, out
    before = cli.snapshot()
    for path, kind, count in ((staff, "staff", 4), (enterprises, "enterprises", 2)):
        status, out, _ = cli(capsys, "import", kind, str(path))
        assert status == 0, out
        assert f"0 added, 0 updated, {count} unchanged, 0 refused" in out
    after = cli.snapshot()
    # Only the two runs' audit entries are new; the invites are the same (still valid).
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }
    assert len(after["audit_log"]) == len(before["audit_log"]) + 2


def test_a_dry_run_reports_and_writes_nothing(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    staff_roster(cli, capsys, tmp_path)
    rows = [ENTERPRISE_HEADINGS, *GOOD_ENTERPRISES[:2], BAD_ENTERPRISES[3][0]]
    path = write_csv(tmp_path / "e.csv", rows, encoding="utf-8-sig")
    before = cli.snapshot()
    report = tmp_path / "report.csv"
    args = ("import", "enterprises", str(path), "--dry-run", "--report", str(report))
    status, out, _ = cli(capsys, *args)
    assert status == 1
    assert "(UTF-8, 3 enterprises rows): 2 would be added, 0 would be updated" in out
    assert "dry run: nothing was written" in out
    assert cli.snapshot() == before
    assert report.read_text(encoding="utf-8-sig").count("\n") == 2  # headings and one row
    staff = write_csv(tmp_path / "more.csv", [STAFF_HEADINGS, ["9", "新人", "", "管理员"]])
    status, out, _ = cli(capsys, "import", "staff", str(staff), "--dry-run")
    assert status == 0
    assert "1 would be added" in out
    assert cli.snapshot() == before


def test_the_report_sheet_imports_once_corrected(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    staff_roster(cli, capsys, tmp_path)
    rows = [ENTERPRISE_HEADINGS, GOOD_ENTERPRISES[0], BAD_ENTERPRISES[3][0], BAD_ENTERPRISES[5][0]]
    path = write_xlsx(tmp_path / "e.xlsx", rows)
    report = tmp_path / "refused.xlsx"
    status, out, _ = cli(capsys, "import", "enterprises", str(path), "--report", str(report))
    assert status == 1
    assert "report: 2 rows written" in out
    sheet = read_xlsx(report)
    assert sheet[0] == [*ENTERPRISE_HEADINGS, "原行号", "问题"]
    assert [r[0] for r in sheet[1:]] == ["外星", "路人"]
    assert sheet[1][-2:] == ["3", "没有「火星区」这个区（见 config/districts.toml）"]
    # The programme corrects the two cells and imports the report itself.
    sheet[1][2] = "谢家集区"
    sheet[2][4] = "张警官"
    corrected = write_xlsx(tmp_path / "corrected.xlsx", sheet)
    status, out, _ = cli(capsys, "import", "enterprises", str(corrected), "--report", str(report))
    assert status == 0, out
    assert "2 added, 0 updated, 0 unchanged, 0 refused" in out
    assert read_xlsx(report) == [[*ENTERPRISE_HEADINGS, "原行号", "问题"]]
    assert cli.rows("SELECT COUNT(*) FROM enterprises") == [(3,)]


def test_staff_reports_carry_one_invite_link_per_person_not_joined(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "staff.csv", [STAFF_HEADINGS, *GOOD_STAFF, BAD_STAFF[0][0]])
    report = tmp_path / "staff-report.csv"
    status, out, _ = cli(capsys, "import", "staff", str(path), "--report", str(report))
    assert status == 1
    assert "invites: 4 people have not joined yet (4 new links)" in out
    text = report.read_text(encoding="utf-8-sig")
    links = [
        line for line in text.splitlines() if "https://t.me/fake_legal_aid_bot?start=inv-" in line
    ]
    assert len(links) == 4
    assert len(set(links)) == 4
    assert "厨师" in text
    assert "unknown role" not in text
    # Again: the same links, no new ones.
    again = tmp_path / "again.csv"
    status, out, _ = cli(capsys, "import", "staff", str(path), "--report", str(again))
    assert "(0 new links)" in out
    assert again.read_text(encoding="utf-8-sig") == text


def test_english_headings_and_utf8_without_bom(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [
        ["Name", "Credit code", "District", "Industry", "Liaison", "Deputy"],
        ["Spring Machinery", code_number(1), "Tianjia'an District", "manufacturing", "", ""],
    ]
    path = write_csv(tmp_path / "e.csv", rows, encoding="utf-8")
    status, out, _ = cli(capsys, "import", "enterprises", str(path))
    assert status == 0, out
    assert "(UTF-8, 1 enterprises rows): 1 added" in out


def test_unusable_files_are_refused_in_one_line_and_nothing_is_written(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"name,credit code\n\xff\xfe\xfa,1\n")
    status, _, err = cli(capsys, "import", "enterprises", str(latin))
    assert status == 2
    assert err.count("\n") == 1
    assert "not text in UTF-8 or GB18030" in err
    assert not cli.database.exists()  # the file is read before the database is opened
    headless = write_csv(tmp_path / "h.csv", [["企业名称", "行业"], ["a", "b"]])
    status, _, err = cli(capsys, "import", "enterprises", str(headless))
    assert status == 2
    assert "no column for credit_code" in err
    assert "district" in err
    status, _, err = cli(capsys, "import", "enterprises", str(tmp_path / "none.xlsx"))
    assert status == 2
    assert "no such file" in err
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    status, _, err = cli(capsys, "import", "enterprises", str(fake))
    assert status == 2
    assert "not a readable Excel workbook" in err
    good = write_csv(tmp_path / "g.csv", [ENTERPRISE_HEADINGS, GOOD_ENTERPRISES[2]])
    status, _, err = cli(capsys, "import", "enterprises", str(good), "--report", "r.pdf")
    assert status == 2
    assert "report is written as .csv or .xlsx" in err
    assert cli.rows("SELECT COUNT(*) FROM enterprises") == [(0,)]


def test_a_large_file_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    rows = [ENTERPRISE_HEADINGS[:4]] + [
        [f"企业{n}", code_number(n), "田家庵区", "制造业"] for n in range(1, 2501)
    ]
    path = write_csv(tmp_path / "big.csv", rows, encoding="gb18030")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
    env |= {
        "LEGAL_AID_CONFIG_DIR": str(CONFIG_DIR),
        "LEGAL_AID_STORAGE_DATABASE": str(tmp_path / "db.sqlite"),
        "LEGAL_AID_LOGGING_LEVEL": "WARNING",
    }
    leader, follower = pty.openpty()
    shown: list[bytes] = []

    def read_terminal() -> None:  # while the process runs: a closed pty drops what is left
        with contextlib.suppress(OSError):
            while chunk := os.read(leader, 65536):
                shown.append(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "import", "enterprises", str(path)],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=follower, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(10)
        os.close(leader)
    assert result.returncode == 0, result.stdout
    assert "2500 added" in result.stdout
    terminal = b"".join(shown)
    assert b"/2500 [" in terminal
    assert b" rows/s" in terminal


def test_the_sample_rosters_import_cleanly_staff_first(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = REPO / "docs" / "samples"
    status, out, _ = cli(capsys, "import", "staff", str(samples / "staff.xlsx"))
    assert status == 0, out
    assert "6 added, 0 updated, 0 unchanged, 0 refused" in out
    status, out, _ = cli(capsys, "import", "enterprises", str(samples / "enterprises.csv"))
    assert status == 0, out
    assert "(UTF-8, 4 enterprises rows): 4 added" in out


def test_a_utf16_tab_separated_export_reads_too(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "unicode.txt"  # Excel's "Unicode text": UTF-16 with a BOM, tabs
    text = "\t".join(ENTERPRISE_HEADINGS[:4]) + "\n" + "\t".join(GOOD_ENTERPRISES[2][:4]) + "\n"
    path.write_text(text, encoding="utf-16")
    status, out, _ = cli(capsys, "import", "enterprises", str(path))
    assert status == 0, out
    assert "(UTF-16, 1 enterprises rows): 1 added" in out


def test_a_staff_report_without_the_bots_username_is_refused_before_anything_runs(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGAL_AID_TELEGRAM_BOT_USERNAME")
    path = write_csv(tmp_path / "staff.csv", [STAFF_HEADINGS, *GOOD_STAFF])
    report = tmp_path / "r.csv"
    status, _, err = cli(capsys, "import", "staff", str(path), "--report", str(report))
    assert status == 2
    assert "set [telegram] bot_username (LEGAL_AID_TELEGRAM_BOT_USERNAME)" in err
    assert not report.exists()
    assert not cli.database.exists()
    status, out, _ = cli(capsys, "import", "staff", str(path))  # without a report: fine
    assert status == 0
    assert "4 added" in out
