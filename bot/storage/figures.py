"""The SQL behind the programme's figures (/stats, the daily report) and the report's periods.

Timestamps are stored as UTC ISO 8601 strings of one format, so ranges compare as text and use
the indexes of migration 0011. Sums are CASE expressions (PostgreSQL does not sum booleans).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.figures import LOW_RATING, Counts, LowRating, Overdue, Period, Satisfaction
from bot.domain.outbox import Outgoing
from bot.storage.common import OPEN_SQL, iso, parse
from bot.storage.database import Database
from bot.storage.outbox import enqueue

_IN = "CASE WHEN c.{column} >= ? AND c.{column} < ? THEN 1 ELSE 0 END"
_COLUMNS = ("created_at", "first_response_at", "resolved_at", "closed_at")
# Each key a breakdown groups by, from a fixed list (never from input).
_KEYS = {"category": "c.category", "district": "e.district"}


class FigureStore:
    """Reads the figures over a period; keeps the daily report's periods."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def breakdown(self, period: Period, by: str) -> dict[str, Counts]:
        """Cases opened, first answered, resolved and closed in the period, per category or
        district (an enterprise's district)."""
        key = _KEYS[by]
        bounds = (iso(period.start), iso(period.end))
        sums = ", ".join(f"SUM({_IN.format(column=c)}) AS {c}" for c in _COLUMNS)
        where = " OR ".join(f"(c.{c} >= ? AND c.{c} < ?)" for c in _COLUMNS)
        rows = await self.db.fetchall(
            f"SELECT {key} AS k, {sums} FROM cases c "
            "JOIN enterprises e ON e.id = c.enterprise_id "
            f"WHERE {where} GROUP BY {key} ORDER BY {key}",
            bounds * (2 * len(_COLUMNS)),
        )
        return {
            r["k"]: Counts(
                r["created_at"], r["first_response_at"], r["resolved_at"], r["closed_at"]
            )
            for r in rows
        }

    async def response_seconds(self, period: Period) -> list[float]:
        """Seconds from opening to the first staff answer, of cases first answered in the period."""
        rows = await self.db.fetchall(
            "SELECT created_at, first_response_at FROM cases "
            "WHERE first_response_at >= ? AND first_response_at < ?",
            (iso(period.start), iso(period.end)),
        )
        result = []
        for r in rows:
            opened, answered = parse(r["created_at"]), parse(r["first_response_at"])
            assert opened is not None
            assert answered is not None
            result.append((answered - opened).total_seconds())
        return result

    async def sla(self, period: Period, now: datetime) -> tuple[int, int]:
        """(cases whose deadline fell in the period and has passed, those answered by it)."""
        end = min(period.end, now)
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS due, SUM(CASE WHEN first_response_at IS NOT NULL "
            "AND first_response_at <= sla_due_at THEN 1 ELSE 0 END) AS met "
            "FROM cases WHERE sla_due_at >= ? AND sla_due_at < ?",
            (iso(period.start), iso(end)),
        )
        assert row is not None
        return int(row["due"]), int(row["met"] or 0)

    async def overdue(self, now: datetime, limit: int) -> tuple[list[Overdue], int]:
        """Open cases never answered and past their deadline (oldest deadline first), with
        their assignee's display name, and how many there are in all."""
        condition = f"c.status IN {OPEN_SQL} AND c.first_response_at IS NULL AND c.sla_due_at < ?"
        rows = await self.db.fetchall(
            "SELECT c.number, c.category, c.sla_due_at, s.display_name FROM cases c "
            f"LEFT JOIN staff s ON s.id = c.assignee_id WHERE {condition} "
            "ORDER BY c.sla_due_at, c.id LIMIT ?",
            (iso(now), limit),
        )
        total = await self.db.fetchone(
            f"SELECT COUNT(*) FROM cases c WHERE {condition}", (iso(now),)
        )
        shown = []
        for r in rows:
            due = parse(r["sla_due_at"])
            assert due is not None
            shown.append(Overdue(r["number"], r["category"], due, r["display_name"]))
        return shown, int(total[0]) if total else 0

    async def satisfaction(self, period: Period, limit: int) -> Satisfaction:
        """Ratings given in the period (with the close): count, mean, the low ones newest first."""
        bounds = (iso(period.start), iso(period.end))
        rated = "rating IS NOT NULL AND closed_at >= ? AND closed_at < ?"
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, AVG(rating) AS mean, "
            f"SUM(CASE WHEN rating <= {LOW_RATING} THEN 1 ELSE 0 END) AS low "
            f"FROM cases WHERE {rated}",
            bounds,
        )
        assert row is not None
        rows = await self.db.fetchall(
            f"SELECT number, rating, rating_comment FROM cases WHERE {rated} "
            f"AND rating <= {LOW_RATING} ORDER BY closed_at DESC, id DESC LIMIT ?",
            (*bounds, limit),
        )
        low = tuple(LowRating(r["number"], r["rating"], r["rating_comment"]) for r in rows)
        mean = None if row["mean"] is None else float(row["mean"])
        return Satisfaction(int(row["n"]), mean, low, int(row["low"] or 0))

    async def unanswered_questions(self, period: Period, limit: int) -> list[str]:
        """FAQ questions asked in the period that nothing matched or whose answer did not help,
        oldest first (at most limit)."""
        rows = await self.db.fetchall(
            "SELECT text FROM faq_queries WHERE at >= ? AND at < ? "
            "AND (best_entry IS NULL OR helpful = 0) ORDER BY id LIMIT ?",
            (iso(period.start), iso(period.end), limit),
        )
        return [r["text"] for r in rows]

    async def opened(self, period: Period) -> list[tuple[datetime, str]]:
        """(created_at, category) of the cases opened in the period (for the daily chart)."""
        rows = await self.db.fetchall(
            "SELECT created_at, category FROM cases WHERE created_at >= ? AND created_at < ?",
            (iso(period.start), iso(period.end)),
        )
        result = []
        for r in rows:
            at = parse(r["created_at"])
            assert at is not None
            result.append((at, r["category"]))
        return result

    async def admin_chats(self, configured: Sequence[int]) -> list[int]:
        """Every admin's Telegram id: the configured ones and active invited admins."""
        rows = await self.db.fetchall(
            "SELECT telegram_id FROM staff WHERE role = 'admin' AND active = 1 "
            "AND telegram_id IS NOT NULL"
        )
        return sorted({*configured, *(int(r["telegram_id"]) for r in rows)})

    async def last_report_end(self) -> datetime | None:
        """Where the last daily report's period ended (or the first run), None before any."""
        row = await self.db.fetchone("SELECT MAX(period_end) FROM daily_reports")
        return parse(row[0]) if row else None

    async def mark_first_run(self, at: datetime) -> None:
        """Remember when the report first ran: the first report covers the time since."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO daily_reports (period_start, period_end) "
                "SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM daily_reports)",
                (iso(at), iso(at)),
            )

    async def record_report(
        self, due_at: datetime, period: Period, outgoing: Sequence[Outgoing], at: datetime
    ) -> bool:
        """Mark the report of a slot done and write its messages, in one transaction; False
        (and nothing written) when that slot's report, or a later one, is already done."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO daily_reports (due_at, period_start, period_end, sent_at) "
                "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM daily_reports "
                "WHERE due_at >= ? OR period_end > ?) "
                "ON CONFLICT DO NOTHING",
                (
                    iso(due_at),
                    iso(period.start),
                    iso(period.end),
                    iso(at),
                    iso(due_at),
                    iso(period.start),
                ),
            )
            if cursor.rowcount == 0:
                return False
            await enqueue(tx, list(outgoing), at)
        return True
