"""A recurring notice (PRODUCT §6): a template sent to an audience at each cron occurrence."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.bulk import Audience
from bot.domain.ports import Recurrence


@dataclass(frozen=True, slots=True)
class Notice:
    """One [[notice]] of config/notices.toml, checked."""

    id: str
    recurrence: Recurrence
    template: str  # "notices/<name>"
    audience: Audience
    urgent: bool
