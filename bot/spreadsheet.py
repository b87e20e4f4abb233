"""Writing an export as CSV or Excel (used by `legal-aid-bot export` and `/export`).

CSV is UTF-8 with a byte-order mark: Excel in China opens a CSV without one as GBK and shows
Chinese text garbled. Excel files are written with openpyxl in write-only mode (rows streamed,
memory flat whatever the size); times are local (Excel has no timezones) and real date cells.
Headings are the `col_<key>` labels in the chosen language; configured choices by their label.
Cells are made and written in a worker thread, a batch at a time: an export of a year of cases
takes seconds of CPU, which must not stall the bot's event loop (other users' updates).
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.domain.exports import COLUMNS, Column, Format, Table, Value, Window
from bot.domain.models import Language
from bot.rendering import Renderer
from bot.services.exports import ExportService

_CHOICES = {Value.CATEGORY: "category", Value.DISTRICT: "district", Value.INDUSTRY: "industry"}


class _Cells:
    """Turns stored values into cells in one language and timezone."""

    def __init__(self, renderer: Renderer, lang: Language, zone: ZoneInfo, excel: bool) -> None:
        self._renderer = renderer
        self._lang = lang
        self._zone = zone
        self._excel = excel
        self._flags = ("yes", "no") if lang is Language.EN else ("是", "否")

    def headings(self, columns: Sequence[Column]) -> list[str]:
        return [self._renderer.label(self._lang, f"col_{c.key}") for c in columns]

    def rows(
        self, columns: Sequence[Column], batch: Sequence[dict[str, Any]]
    ) -> Iterator[list[Any]]:
        """A batch of stored rows as rows of cells (a generator: run it in the writer's thread)."""
        return ([self.cell(c, row.get(c.key)) for c in columns] for row in batch)

    def cell(self, column: Column, value: Any) -> Any:
        if value is None or value == "":
            return None if self._excel else ""
        kind = column.value
        if kind is Value.TIME:
            local = datetime.fromisoformat(value).astimezone(self._zone).replace(tzinfo=None)
            return local if self._excel else local.strftime("%Y-%m-%d %H:%M:%S")
        if kind is Value.FLAG:
            return self._flags[0] if value else self._flags[1]
        if kind in _CHOICES:
            return self._renderer.choice(_CHOICES[kind], str(value), self._lang)
        if kind is Value.NUMBER:
            return value
        return str(value)


async def write_export(
    service: ExportService,
    renderer: Renderer,
    lang: Language,
    timezone: str,
    table: Table,
    fmt: Format,
    window: Window,
    target: IO[bytes],
) -> int:
    """Write the table's rows in the window to target; return how many rows were written."""
    columns = COLUMNS[table]
    cells = _Cells(renderer, lang, ZoneInfo(timezone), fmt is Format.XLSX)
    count = 0
    if fmt is Format.CSV:
        target.write(codecs.BOM_UTF8)
        text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(cells.headings(columns))
        async for batch in service.batches(table, window):
            await asyncio.to_thread(writer.writerows, cells.rows(columns, batch))
            count += len(batch)
        text.flush()
        text.detach()  # leave target open for the caller
        return count
    book = Workbook(write_only=True)
    sheet = book.create_sheet(renderer.label(lang, f"export_{table.value}")[:31])
    sheet.append(cells.headings(columns))

    def append(batch: list[dict[str, Any]]) -> None:
        for row in cells.rows(columns, batch):
            sheet.append(row)

    async for batch in service.batches(table, window):
        await asyncio.to_thread(append, batch)
        count += len(batch)
    await asyncio.to_thread(book.save, target)
    return count
