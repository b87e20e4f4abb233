"""What the exports hold (PRODUCT §5.4): their tables, columns and the kind of each value.

Headings are labels (`col_<key>` in templates/<lang>/buttons.html), so each export reads in
the configured language; values of kind CHOICE_* are shown by their configured label, TIME in
the configured timezone. Personal data of erased owners is NULL in the database and stays empty.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Table(enum.StrEnum):
    """What can be exported."""

    CASES = "cases"
    ENTERPRISES = "enterprises"
    STAFF = "staff"
    AUDIT = "audit"


class Format(enum.StrEnum):
    """File formats: CSV (UTF-8 with BOM, as Excel in China opens it) or Excel."""

    CSV = "csv"
    XLSX = "xlsx"


class Value(enum.Enum):
    """How a column's values are written."""

    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    FLAG = "flag"  # yes / no
    CATEGORY = "category"
    DISTRICT = "district"
    INDUSTRY = "industry"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its key (heading label col_<key>) and how its values are written."""

    key: str
    value: Value = Value.TEXT


_T, _N, _TM = Value.TEXT, Value.NUMBER, Value.TIME
COLUMNS: dict[Table, tuple[Column, ...]] = {
    Table.CASES: (
        Column("number"),
        Column("category", Value.CATEGORY),
        Column("urgency"),
        Column("status"),
        Column("description"),
        Column("enterprise"),
        Column("credit_code"),
        Column("district", Value.DISTRICT),
        Column("contact"),
        Column("assignee"),
        Column("created_at", _TM),
        Column("sla_due_at", _TM),
        Column("first_response_at", _TM),
        Column("resolved_at", _TM),
        Column("closed_at", _TM),
        Column("rating", _N),
        Column("rating_comment"),
    ),
    Table.ENTERPRISES: (
        Column("credit_code"),
        Column("name"),
        Column("district", Value.DISTRICT),
        Column("industry", Value.INDUSTRY),
        Column("source"),
        Column("liaison"),
        Column("deputy"),
        Column("phone"),
        Column("contacts"),
        Column("contact_phones"),
        Column("created_at", _TM),
    ),
    Table.STAFF: (
        Column("id", _N),
        Column("display_name"),
        Column("title"),
        Column("role"),
        Column("district", Value.DISTRICT),
        Column("specialties"),
        Column("active", Value.FLAG),
        Column("available", Value.FLAG),
        Column("open_cases", _N),
        Column("created_at", _TM),
    ),
    Table.AUDIT: (
        Column("id", _N),
        Column("at", _TM),
        Column("actor", _N),
        Column("action"),
        Column("subject"),
        Column("details"),
    ),
}


@dataclass(frozen=True, slots=True)
class Window:
    """Rows created in [since, until) (UTC); either end open when None."""

    since: datetime | None = None
    until: datetime | None = None


def window(since: date | None, until: date | None, zone: ZoneInfo) -> Window:
    """Local dates, both included, as a UTC window; ValueError when until is before since."""
    if since and until and until < since:
        raise ValueError("until is before since")

    def start(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    return Window(
        start(since) if since else None, start(until + timedelta(days=1)) if until else None
    )
