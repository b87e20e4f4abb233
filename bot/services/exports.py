"""Exports of cases, enterprises, staff and the audit log (PRODUCT §5.4): the rows, and the
audit entry every export leaves. Writing the file (CSV, Excel) is bot/spreadsheet.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bot.domain.exports import Format, Table, Window
from bot.domain.models import AuditAction, AuditEntry
from bot.domain.ports import AuditLog, Clock, ExportSource

BATCH = 2000


class ExportService:
    """Reads an export's rows a batch at a time and records who exported what."""

    def __init__(self, store: ExportSource, audit: AuditLog, clock: Clock) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def batches(self, table: Table, window: Window) -> AsyncIterator[list[dict[str, Any]]]:
        """The table's rows in the window, by id, a batch at a time."""
        after = 0
        while True:
            rows = await self._store.batch(table, window, after, BATCH)
            if not rows:
                return
            yield rows
            after = int(rows[-1]["id"])

    async def exported(
        self,
        actor: int | None,
        table: Table,
        fmt: Format,
        window: Window,
        rows: int,
        via: str,
    ) -> None:
        """Audit an export: who (None: the command line), what, which window, how many rows."""
        details: dict[str, object] = {"format": fmt.value, "rows": rows, "via": via}
        if window.since is not None:
            details["since"] = window.since.isoformat()
        if window.until is not None:
            details["until"] = window.until.isoformat()
        entry = AuditEntry(actor, AuditAction.EXPORT, f"export:{table.value}", details)
        await self._audit.record(entry, self._clock.now())
