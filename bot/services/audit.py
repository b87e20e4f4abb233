"""The audit log as admins read it (/audit): newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import AuditRecord
from bot.domain.ports import AuditLog

PAGE_SIZE = 15


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the log (0-based) and how many pages and entries there are."""

    records: list[AuditRecord]
    page: int
    pages: int
    total: int


class AuditService:
    """Reads the audit log; it is written by the actions it records, never changed."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    async def page(self, page: int) -> AuditPage:
        """The page-th page of the newest entries (a page past the end shows the last)."""
        records, total = await self._log.recent(max(page, 0) * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, -(-total // PAGE_SIZE))
        if not records and page > 0 and total:
            return await self.page(pages - 1)
        return AuditPage(records, max(page, 0), pages, total)
