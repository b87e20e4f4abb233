"""Roster files for the import tests, written from data in each test: CSV in any encoding, xlsx."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from bot.__main__ import main
from tests.conftest import CONFIG_DIR

BOT_USERNAME = "fake_legal_aid_bot"


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    """Rows as CSV in the given encoding ("utf-8-sig" writes a BOM)."""
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], title: str | None = None) -> Path:
    """Rows as the first sheet of a workbook, optionally under a title row (as programmes do)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def read_xlsx(path: Path) -> list[list[str]]:
    """Every row of a workbook's first sheet, as text."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            ["" if v is None else str(v) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()


class Cli:
    """`legal-aid-bot` run in this process, with the environment of an operator's shell."""

    def __init__(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Path | None = None
    ) -> None:
        self.database = database or tmp_path / "db" / "legal-aid.db"
        for name in list(os.environ):
            if name.startswith("LEGAL_AID_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("LEGAL_AID_CONFIG_DIR", str(CONFIG_DIR))
        monkeypatch.setenv("LEGAL_AID_STORAGE_DATABASE", str(self.database))
        monkeypatch.setenv("LEGAL_AID_TELEGRAM_BOT_USERNAME", BOT_USERNAME)
        monkeypatch.setenv("LEGAL_AID_LOGGING_LEVEL", "WARNING")

    def __call__(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) of one command."""
        capsys.readouterr()
        status = main([*args])
        out, err = capsys.readouterr()
        return status, out, err

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of a query on the database, read directly."""
        with sqlite3.connect(self.database) as conn:
            return conn.execute(sql).fetchall()

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Everything an import writes, to compare before and after."""
        return {
            table: self.rows(f"SELECT * FROM {table} ORDER BY 1, 2")
            for table in ("enterprises", "staff", "staff_specialties", "invites", "audit_log")
        }


def reported_lines(out: str) -> dict[int, str]:
    """{line: reasons} of the refused rows a summary printed."""
    return {int(m[1]): m[2] for m in re.finditer(r"^line (\d+): (.*)$", out, re.MULTILINE)}
