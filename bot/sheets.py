"""Spreadsheet files: CSV and Excel .xlsx rows in, report sheets out.

CSV comes as UTF-8 (with or without a BOM) or, from spreadsheet software on Chinese Windows,
GB18030 (which contains GBK and GB2312); the encoding is found by a strict decode cascade, never
asked and never guessed statistically (docs/imports.md says why). Excel files are read with
openpyxl in read-only mode, row by row, so a 50,000-row sheet never sits in memory whole.
Every cell comes out as text, numbers as Excel shows them (a phone, not 1.38e10).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import openpyxl

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# BOMs that name their encoding; "utf-8-sig" also reads a file without one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Tried in order, each over the whole file, strictly: the first that decodes every byte wins.
CASCADE = ("utf-8", "gb18030")
_CHUNK = 1 << 20
_DELIMITERS = (",", "\t", ";")


class SheetFileError(Exception):
    """A file that cannot be read as a sheet, in one sentence for the operator."""


@dataclass
class OpenedSheet:
    """A sheet being read: its rows (line in the file, cells as text), how it was decoded,
    and about how many rows it has (for the progress bar)."""

    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None  # CSV only
    total: int | None


def detect_encoding(path: Path) -> tuple[str, int]:
    """(the file's encoding, its number of lines); raises SheetFileError when no candidate
    decodes it. A BOM decides at once; else UTF-8, then GB18030, each strictly."""
    with path.open("rb") as file:
        head = file.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, _count_lines(path)
    failures: list[str] = []
    for name in CASCADE:
        decoder = codecs.getincrementaldecoder(name)(errors="strict")
        lines = 0
        offset = 0
        try:
            with path.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                    offset += len(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            failures.append(f"{name} (byte {offset + exc.start})")
            continue
        return name, lines
    raise SheetFileError(
        f"{path} is not text in UTF-8 or GB18030: it fails as {' and as '.join(failures)}; "
        "save it again as CSV UTF-8 or as an Excel workbook"
    )


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            lines += chunk.count(b"\n")
    return lines


def _delimiter(first_line: str) -> str:
    """The separator of the heading line: comma unless tabs or semicolons are more frequent."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextlib.contextmanager
def open_sheet(path: Path, sheet: str | None = None) -> Iterator[OpenedSheet]:
    """Open a CSV or .xlsx file for reading rows; raises SheetFileError."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SheetFileError(f"{path}: no such file")
    if suffix in XLSX_SUFFIXES:
        with _open_xlsx(path, sheet) as opened:
            yield opened
        return
    if suffix not in CSV_SUFFIXES:
        raise SheetFileError(f"{path}: not a .csv or .xlsx file")
    encoding, lines = detect_encoding(path)
    with path.open(encoding=encoding, newline="", errors="strict") as file:
        first = file.readline()
        file.seek(0)
        rows = _csv_rows(file, _delimiter(first), path)
        yield OpenedSheet(rows, _encoding_name(encoding), max(lines - 1, 0))


def _encoding_name(codec: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030"}[codec]


def _csv_rows(file: TextIO, delimiter: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    reader = csv.reader(file, delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SheetFileError(f"{path}: line {start}: not valid CSV ({exc})") from None


@contextlib.contextmanager
def _open_xlsx(path: Path, sheet: str | None) -> Iterator[OpenedSheet]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetFileError(f"{path}: not a readable Excel workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(book.sheetnames)
            raise SheetFileError(f"{path}: no sheet named {sheet!r} (it has {names})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        total = ws.max_row - 1 if isinstance(ws.max_row, int) and ws.max_row else None

        def rows() -> Iterator[tuple[int, list[str]]]:
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, [cell_text(v) for v in values]

        yield OpenedSheet(rows(), None, total)
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as text: whole numbers without ".0", dates as ISO dates, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def check_report_path(path: Path) -> None:
    """Refuse a report file of another kind than .csv or .xlsx before anything runs."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise SheetFileError(f"{path}: a report is written as .csv or .xlsx")


def write_sheet(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write rows as .xlsx (openpyxl's write-only mode) or as CSV in UTF-8 with a BOM, which
    Excel needs to show Chinese correctly; the kind follows the extension."""
    check_report_path(path)
    if path.suffix.lower() == ".xlsx":
        book = openpyxl.Workbook(write_only=True)
        ws = book.create_sheet()
        for row in rows:
            ws.append(list(row))
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerows(rows)
