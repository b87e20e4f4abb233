"""A bad environment, as an operator meets it (issue #10.11): real processes, one line each.

An unusable database path or file ends `run` and `db migrate` with one line naming the problem
and a non-zero exit, the file left as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.test_cli import cli

NOT_SQLITE = b"name,phone\n" + "王芳,13812345678\n".encode() * 200


def prepare(tmp_path: Path, case: str) -> Path:
    """A database path that cannot be used, in one of the ways an operator gets it wrong."""
    if case == "folder is a file":
        (tmp_path / "data").write_text("not a folder", encoding="utf-8")
        return tmp_path / "data" / "legal-aid.db"
    if case == "path is a folder":
        (tmp_path / "legal-aid.db").mkdir()
        return tmp_path / "legal-aid.db"
    if case == "read-only folder":
        folder = tmp_path / "data"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "legal-aid.db"
    path = tmp_path / "legal-aid.db"
    if case == "not SQLite":
        path.write_bytes(NOT_SQLITE)
    else:  # another application's SQLite database
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE customers (name TEXT)")
            conn.execute("INSERT INTO customers VALUES ('王芳')")
        conn.close()
    return path


CASES = {
    "folder is a file": "data is a file",
    "path is a folder": "is a folder, not a file",
    "read-only folder": "cannot write the database",
    "not SQLite": "is not an SQLite database; it was left untouched",
    "another application's database": "is an SQLite database of something else",
}


@pytest.mark.parametrize("command", [("db", "migrate"), ("run",)], ids=" ".join)
@pytest.mark.parametrize("case", list(CASES))
def test_an_unusable_database_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, case: str, command: tuple[str, ...]
) -> None:
    if case == "read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    path = prepare(tmp_path, case)
    before = path.read_bytes() if path.is_file() else None
    result = cli(  # cli() would raise TimeoutExpired if the process never ended
        tmp_path,
        *command,
        LEGAL_AID_STORAGE_DATABASE=str(path),
        LEGAL_AID_BOT_TOKEN=TOKEN,
        LEGAL_AID_TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",  # never reached
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("legal-aid-bot: ")
    assert CASES[case] in result.stderr
    assert "LEGAL_AID_STORAGE_DATABASE" in result.stderr  # where to fix it
    if before is not None:
        assert path.read_bytes() == before  # untouched: no WAL header, no migration
        assert not Path(f"{path}-wal").exists()
