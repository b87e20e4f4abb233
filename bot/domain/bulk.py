"""Bulk sends (PRODUCT §5.3, §6): who an audience is, what a bulk send is, how far it came.

A bulk send is one message to many owners: a broadcast an admin composed, or one occurrence of
a recurring notice from config/notices.toml. It is written to the outbox in batches, one row per
recipient in the bulk lane (docs/broadcasts.md).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.outbox import BulkProgress, Outgoing


class BulkKind(enum.StrEnum):
    """What made the bulk send."""

    BROADCAST = "broadcast"
    NOTICE = "notice"


class BulkStatus(enum.StrEnum):
    """Where a bulk send is: waiting for its time, being written, being sent, finished."""

    SCHEDULED = "scheduled"
    WRITING = "writing"  # recipients are being written to the outbox, batch by batch
    SENDING = "sending"  # every recipient written; the sender drains them
    DONE = "done"
    CANCELLED = "cancelled"


RUNNING = frozenset({BulkStatus.WRITING, BulkStatus.SENDING})
LIVE = RUNNING | {BulkStatus.SCHEDULED}


@dataclass(frozen=True, slots=True)
class Audience:
    """Owners to reach: every active contact, narrowed by each filter that is set.

    Within a filter any value matches (district A or B); filters combine (district A and with
    open cases). No filter at all: every owner.
    """

    districts: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    open_cases: bool = False

    @property
    def everyone(self) -> bool:
        """No filter: all owners."""
        return not (self.districts or self.industries or self.open_cases)

    def to_json(self) -> str:
        """As stored."""
        return json.dumps(
            {
                "districts": list(self.districts),
                "industries": list(self.industries),
                "open_cases": self.open_cases,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Audience:
        """As stored."""
        data = json.loads(raw)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        """From a dialog's answers or a stored row."""
        return cls(
            tuple(sorted(str(d) for d in data.get("districts", ()))),
            tuple(sorted(str(i) for i in data.get("industries", ()))),
            bool(data.get("open_cases", False)),
        )

    def toggled(self, what: str, value: str = "") -> Audience:
        """The audience with one district, industry or the open-cases filter switched."""
        if what == "open":
            return Audience(self.districts, self.industries, not self.open_cases)
        if what == "district":
            return Audience(_toggle(self.districts, value), self.industries, self.open_cases)
        if what == "industry":
            return Audience(self.districts, _toggle(self.industries, value), self.open_cases)
        raise ValueError(what)


def _toggle(values: Iterable[str], value: str) -> tuple[str, ...]:
    chosen = set(values)
    chosen ^= {value}
    return tuple(sorted(chosen))


@dataclass(frozen=True, slots=True)
class NewBulk:
    """A bulk send to create: the message every recipient gets, to whom, when."""

    kind: BulkKind
    message: Outgoing  # chat_id is ignored: each recipient's row gets its own
    audience: Audience
    urgent: bool
    due_at: datetime
    created_by: int | None = None
    notice_id: str | None = None
    occurrence: datetime | None = None


@dataclass(frozen=True, slots=True)
class BulkSend:
    """A stored bulk send."""

    id: int
    kind: BulkKind
    status: BulkStatus
    message: Outgoing
    audience: Audience
    urgent: bool
    created_by: int | None
    created_at: datetime
    due_at: datetime
    written: int
    progress_id: int | None
    progress_at: datetime | None
    notice_id: str | None


def eta_seconds(progress: BulkProgress, started: datetime, now: datetime, rate: float) -> int:
    """Seconds until the rest is sent: at the rate seen so far, else at the configured rate."""
    done = progress.sent + progress.failed + progress.blocked
    elapsed = (now - started).total_seconds()
    seen = done / elapsed if elapsed >= 5 and done else 0.0
    pace = seen or rate
    return round(progress.pending / pace) if pace > 0 else 0


def throttled(last: datetime | None, now: datetime, every: float) -> bool:
    """Whether a progress edit at now would come sooner than every seconds after the last."""
    return last is not None and now - last < timedelta(seconds=every)


BROADCAST_DIALOG = "broadcast"
# Longest broadcast text: a message is one outbox row per recipient, never split; a caption
# (photo, document) is limited to 1024 characters by Telegram. Room is left for the header.
TEXT_MAX = 3500
CAPTION_MAX = 900


class BroadcastStep(enum.StrEnum):
    """The /broadcast dialog's steps (diagram: docs/broadcasts.md)."""

    COMPOSE = "compose"  # the text, or one photo or document with a caption
    AUDIENCE = "audience"  # filters toggled by buttons, urgent or not
    PREVIEW = "preview"  # the message as recipients see it, the count; send, schedule, cancel
    SCHEDULE = "schedule"  # the local date and time to send at
