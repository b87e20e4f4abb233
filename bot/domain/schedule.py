"""What `legal-aid-bot schedule list` shows: one upcoming piece of timed work (PRODUCT §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One item that will fall due: what it is, when (aware, UTC), and what it is about.

    kind is a stable word (reminder, escalation, followup, autoclose, notice, broadcast,
    daily_report); subject names the object ("case HN-2026-0012", "notice safety-weekly").
    """

    kind: str
    at: datetime
    subject: str
