"""What the durable inbox holds: updates stored before Telegram is told they arrived."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class InboxState(Enum):
    """Where a stored update is."""

    PENDING = "pending"  # stored, not handled yet (or waiting for its retry)
    HANDLING = "handling"  # a handler is at it; put back as pending after a crash
    HANDLED = "handled"  # done: marked with its effects, or after its handler returned
    FAILED = "failed"  # its handler failed every try; kept with its error


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update as received: Telegram's id, the chat it is ordered within, its JSON."""

    update_id: int
    chat_key: int
    payload: str


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A claimed update and how often it was tried (this try included)."""

    update_id: int
    chat_key: int
    payload: str
    attempts: int


@dataclass(frozen=True, slots=True)
class InboxStats:
    """Counts by state, and how many handlings a crash interrupted (`db inbox`)."""

    pending: int
    handling: int
    handled: int
    failed: int
    repeated: int  # handled again after a crash: a direct reply may have gone twice


@dataclass(slots=True)
class Handling:
    """The update a task is handling; `written` once an effect write marked it handled."""

    update_id: int
    at: str  # the handling's time, as stored
    written: bool = False
