"""The SQL behind the exports: each table read in batches by id (keyset pagination), so an
export of 100,000 cases never holds them all, nor the reader, at once.

Personal data of erased owners is NULL in `contacts` (bot/storage/enterprises.py,
erase_contact) and comes out empty; refused, removed and pending contacts are not listed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.domain.exports import Table, Window
from bot.storage.common import OPEN_SQL, iso
from bot.storage.database import Database

_QUERIES = {
    Table.CASES: (
        "SELECT c.id, c.number, c.category, c.urgency, c.status, c.description, "
        "e.name AS enterprise, e.credit_code, e.district, ct.name AS contact, "
        "s.display_name AS assignee, c.created_at, c.sla_due_at, c.first_response_at, "
        "c.resolved_at, c.closed_at, c.rating, c.rating_comment FROM cases c "
        "JOIN enterprises e ON e.id = c.enterprise_id "
        "LEFT JOIN contacts ct ON ct.id = c.opened_by "
        "LEFT JOIN staff s ON s.id = c.assignee_id",
        "c",
        "created_at",
    ),
    Table.ENTERPRISES: (
        "SELECT x.id, x.credit_code, x.name, x.district, x.industry, x.source, "
        "l.display_name AS liaison, d.display_name AS deputy, x.phone, x.created_at "
        "FROM enterprises x LEFT JOIN staff l ON l.id = x.liaison_id "
        "LEFT JOIN staff d ON d.id = x.deputy_liaison_id",
        "x",
        "created_at",
    ),
    Table.STAFF: (
        "SELECT s.id, s.display_name, s.title, s.role, s.district, s.active, s.available, "
        f"(SELECT COUNT(*) FROM cases c WHERE c.assignee_id = s.id AND c.status IN {OPEN_SQL}) "
        "AS open_cases, s.created_at FROM staff s",
        "s",
        "created_at",
    ),
    Table.AUDIT: (
        "SELECT a.id, a.at, a.actor, a.action, a.subject, a.details FROM audit_log a",
        "a",
        "at",
    ),
}


class ExportStore:
    """Rows of the exportable tables, a batch at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def batch(
        self, table: Table, window: Window, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to limit rows with id > after created in the window, by id; each a dict by column
        key (with its "id")."""
        sql, alias, stamp = _QUERIES[table]
        where: list[str] = [f"{alias}.id > ?"]
        params: list[object] = [after]
        if window.since is not None:
            where.append(f"{alias}.{stamp} >= ?")
            params.append(iso(window.since))
        if window.until is not None:
            where.append(f"{alias}.{stamp} < ?")
            params.append(iso(window.until))
        rows = await self.db.fetchall(
            f"{sql} WHERE {' AND '.join(where)} ORDER BY {alias}.id LIMIT ?", (*params, limit)
        )
        result = [dict(r) for r in rows]
        if table is Table.ENTERPRISES:
            await self._add_contacts(result)
        elif table is Table.STAFF:
            await self._add_specialties(result)
        elif table is Table.AUDIT:
            for r in result:
                details = json.loads(r["details"])
                r["details"] = json.dumps(details, ensure_ascii=False) if details else ""
        return result

    async def _add_contacts(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" * len(ids))
        found = await self.db.fetchall(
            f"SELECT enterprise_id, name, phone FROM contacts WHERE enterprise_id IN ({marks}) "
            "AND status = 'active' AND erased_at IS NULL ORDER BY id",
            ids,
        )
        names: dict[int, list[str]] = {}
        phones: dict[int, list[str]] = {}
        for c in found:
            if c["name"]:
                names.setdefault(c["enterprise_id"], []).append(c["name"])
            if c["phone"]:
                phones.setdefault(c["enterprise_id"], []).append(c["phone"])
        for r in rows:
            r["contacts"] = "; ".join(names.get(r["id"], []))
            r["contact_phones"] = "; ".join(phones.get(r["id"], []))

    async def _add_specialties(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" * len(ids))
        found = await self.db.fetchall(
            f"SELECT staff_id, specialty FROM staff_specialties WHERE staff_id IN ({marks}) "
            "ORDER BY specialty",
            ids,
        )
        by_staff: dict[int, list[str]] = {}
        for s in found:
            by_staff.setdefault(s["staff_id"], []).append(s["specialty"])
        for r in rows:
            r["specialties"] = ", ".join(by_staff.get(r["id"], []))
