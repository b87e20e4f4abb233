"""Case rules (PRODUCT §3.3, §4): who may see and act on a case, and what can happen to it.

Pure data and functions: the services ask these before they change anything, the storage uses
`OPEN_STATUSES` for its queries, and `TRANSITIONS` is checked by a test against the lifecycle
diagram in docs/cases.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.domain.models import (
    AuditEntry,
    Case,
    CaseEvent,
    CaseStatus,
    NewEvent,
    Registration,
    Role,
    Staff,
)
from bot.domain.outbox import Outgoing
from bot.domain.timers import TimerChange

# Cases still being worked on: staff may act on them, routing counts them as load.
OPEN_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.ACCEPTED})
# History entries owners never see.
PRIVATE_KINDS = frozenset(
    {"note", "transferred", "assigned", "unassigned", "reminded", "escalated", "followed_up"}
)


class NotAllowed(PermissionError):
    """The actor may not see or change this case."""


class AlbumRelayed(RuntimeError):
    """An album was relayed already (a second relay of it is refused and rolled back)."""


class CaseClosed(ValueError):
    """The case is not in a state that allows this: its buttons and actions have expired."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: their Telegram id, role, and staff or owner record."""

    telegram_id: int
    role: Role
    staff: Staff | None = None
    registration: Registration | None = None  # an owner's, only while it is active
    joining: Registration | None = None  # an owner's that is pending, refused or removed

    @property
    def staff_id(self) -> int | None:
        """The actor's staff id (None for owners and configured admins)."""
        return self.staff.id if self.staff else None


# Every kind of message a case takes besides text (docs/cases.md has the table).
ATTACHMENT_KINDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "location",
    "venue",
    "contact",
)
# Kinds that cannot carry a caption: the signature goes as a short message just before.
CAPTIONLESS = frozenset({"video_note", "sticker", "location", "venue", "contact"})


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file or message the bot received, to be copied (never forwarded).

    file_id is empty for kinds without a file (location, venue, contact). info is what the
    history shows of those ("31.2304, 121.4737", a venue's name and address, a contact card's
    name and number: information shared, never anyone's registered phone). group is the
    album (Telegram's media_group_id) the message arrived in.
    """

    kind: str  # one of ATTACHMENT_KINDS
    file_id: str
    file_name: str | None
    chat_id: int
    message_id: int
    caption: str | None = None
    duration: int | None = None  # seconds: voice, audio, video, video notes, animations
    size: int | None = None  # bytes, when Telegram says
    info: str | None = None
    group: str | None = None

    @property
    def captionless(self) -> bool:
        """Whether a copy of it cannot carry the signature as its caption."""
        return self.kind in CAPTIONLESS

    def to_dict(self) -> dict[str, Any]:
        """Serialize for a stored dialog."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attachment:
        """Rebuild from a stored dialog (unknown keys are ignored)."""

        def optional_int(key: str) -> int | None:
            value = data.get(key)
            return int(value) if value is not None else None

        def optional_str(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value else None

        return cls(
            kind=str(data["kind"]),
            file_id=str(data.get("file_id") or ""),
            file_name=optional_str("file_name"),
            chat_id=int(data["chat_id"]),
            message_id=int(data["message_id"]),
            caption=optional_str("caption"),
            duration=optional_int("duration"),
            size=optional_int("size"),
            info=optional_str("info"),
            group=optional_str("group"),
        )


def albums(attachments: Sequence[Attachment]) -> list[list[Attachment]]:
    """Attachments in order, those of one album (and one chat) together, each alone otherwise."""
    runs: list[list[Attachment]] = []
    for a in attachments:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and a.group is not None
            and (last.group, last.chat_id) == (a.group, a.chat_id)
        ):
            runs[-1].append(a)
        else:
            runs.append([a])
    return runs


class Action(enum.StrEnum):
    """What can happen to a case; each is a row (or rows) of TRANSITIONS."""

    ACCEPT = "accept"  # the assignee takes it (button, or their first reply)
    TRANSFER = "transfer"  # to a person or back to routing
    REASSIGN = "reassign"  # the assignee was deactivated: routed again, status kept if resolved
    RESOLVE = "resolve"
    RATE = "rate"  # the owner confirms the resolution
    REOPEN = "reopen"  # the owner: "not solved yet"
    CLOSE = "close"  # the owner closes it
    STAFF_MESSAGE = "staff_message"  # a staff reply or a private note
    OWNER_MESSAGE = "owner_message"  # the owner writes to the case


# (from, action) -> to. What is not here is refused with CaseClosed.
TRANSITIONS: Mapping[tuple[CaseStatus, Action], CaseStatus] = {
    (CaseStatus.OPEN, Action.ACCEPT): CaseStatus.ACCEPTED,
    (CaseStatus.OPEN, Action.TRANSFER): CaseStatus.OPEN,
    (CaseStatus.ACCEPTED, Action.TRANSFER): CaseStatus.OPEN,
    (CaseStatus.OPEN, Action.REASSIGN): CaseStatus.OPEN,
    (CaseStatus.ACCEPTED, Action.REASSIGN): CaseStatus.OPEN,
    (CaseStatus.RESOLVED, Action.REASSIGN): CaseStatus.RESOLVED,
    (CaseStatus.OPEN, Action.RESOLVE): CaseStatus.RESOLVED,
    (CaseStatus.ACCEPTED, Action.RESOLVE): CaseStatus.RESOLVED,
    (CaseStatus.RESOLVED, Action.RATE): CaseStatus.CLOSED,
    (CaseStatus.RESOLVED, Action.REOPEN): CaseStatus.ACCEPTED,
    (CaseStatus.OPEN, Action.CLOSE): CaseStatus.CLOSED,
    (CaseStatus.ACCEPTED, Action.CLOSE): CaseStatus.CLOSED,
    (CaseStatus.RESOLVED, Action.CLOSE): CaseStatus.CLOSED,
    # Messages do not change the status (a first staff reply to an assigned case accepts it:
    # the relay applies ACCEPT as well).
    (CaseStatus.OPEN, Action.STAFF_MESSAGE): CaseStatus.OPEN,
    (CaseStatus.ACCEPTED, Action.STAFF_MESSAGE): CaseStatus.ACCEPTED,
    (CaseStatus.OPEN, Action.OWNER_MESSAGE): CaseStatus.OPEN,
    (CaseStatus.ACCEPTED, Action.OWNER_MESSAGE): CaseStatus.ACCEPTED,
    (CaseStatus.RESOLVED, Action.OWNER_MESSAGE): CaseStatus.RESOLVED,
}
OWNER_ACTIONS = frozenset({Action.RATE, Action.REOPEN, Action.CLOSE, Action.OWNER_MESSAGE})


def allows(case: Case, action: Action) -> bool:
    """Whether the case's status allows the action."""
    return (case.status, action) in TRANSITIONS


def after(case: Case, action: Action) -> CaseStatus:
    """The status the action leads to; raises CaseClosed when the status does not allow it."""
    status = TRANSITIONS.get((case.status, action))
    if status is None:
        raise CaseClosed(case.number)
    return status


def may_view(actor: Actor, case: Case, *, handled: bool) -> bool:
    """Owners see their enterprise's cases; active staff those assigned to them now or before
    (handled); deactivated staff none."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.OWNER:
        registration = actor.registration
        return registration is not None and registration.enterprise.id == case.enterprise_id
    return actor.staff is not None and actor.staff.active and handled


def may_act(actor: Actor, case: Case) -> bool:
    """Active staff act only on cases assigned to them now; admins on all."""
    if actor.role is Role.ADMIN:
        return True
    return actor.staff is not None and actor.staff.active and case.assignee_id == actor.staff.id


def check(actor: Actor, case: Case, action: Action, *, handled: bool = False) -> CaseStatus:
    """Who may do it, then whether the status allows it; the resulting status.

    Raises NotAllowed (not theirs) or CaseClosed (not now). Owner actions need the owner of
    the case; the rest need its assignee or an admin.
    """
    if action in OWNER_ACTIONS:
        if actor.role is not Role.OWNER or not may_view(actor, case, handled=handled):
            raise NotAllowed(case.number)
    elif not may_act(actor, case):
        raise NotAllowed(case.number)
    return after(case, action)


def visible_events(actor: Actor, events: list[CaseEvent]) -> list[CaseEvent]:
    """The history as the actor may see it: owners see no notes and no internals."""
    if actor.role is Role.OWNER:
        return [e for e in events if e.kind not in PRIVATE_KINDS]
    return events


@dataclass(frozen=True, slots=True)
class LastAck:
    """The confirmation an actor last got for their messages to a case."""

    at: datetime
    messages_since: int  # their messages from the confirmed one on
    outbox_id: int | None  # the confirmation's outbox row (what an edit names), if found


class Unset(enum.Enum):
    """Marks a field of a change that is left as it is."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class CaseChange:
    """New values for some fields of one case; UNSET fields keep their value."""

    case_id: int
    status: CaseStatus | Unset = UNSET
    assignee_id: int | Unset | None = UNSET
    first_response_at: datetime | Unset = UNSET
    resolved_at: datetime | Unset | None = UNSET
    closed_at: datetime | Unset = UNSET
    sla_due_at: datetime | Unset = UNSET
    rating: int | Unset = UNSET
    rating_comment: str | Unset = UNSET

    def values(self) -> dict[str, object]:
        """The fields that change, by name."""
        names = (
            "status",
            "assignee_id",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "sla_due_at",
            "rating",
            "rating_comment",
        )
        return {n: v for n in names if (v := getattr(self, n)) is not UNSET}


@dataclass(frozen=True, slots=True)
class Deactivation:
    """A staff member deactivated: their record, and the invites they made and nobody used."""

    staff_id: int
    by: int  # Telegram id of the admin


@dataclass(frozen=True, slots=True)
class CaseCommit:
    """Everything one case action writes, in one transaction (PRODUCT §10)."""

    at: datetime
    changes: Sequence[CaseChange] = ()
    events: Sequence[tuple[int, NewEvent]] = ()
    outgoing: Sequence[Outgoing] = ()
    cursors: Sequence[tuple[str, int]] = ()  # routing pools advanced: (pool, staff id)
    deactivate: Deactivation | None = None  # also revokes their unused invites (audited)
    audit: Sequence[AuditEntry] = ()
    timers: Sequence[TimerChange] = ()  # what falls due for the cases (docs/schedule.md)
    album: AlbumKey | None = None  # an album relayed by this commit: marked done with it


@dataclass(frozen=True, slots=True)
class AlbumKey:
    """An album as Telegram names it: the chat it was sent in and its media_group_id."""

    chat_id: int
    group: str


@dataclass(frozen=True, slots=True)
class Album:
    """An album being received: who sends it, where its first item went, what has arrived."""

    key: AlbumKey
    user_id: int
    relay: bool  # collected for case_id (else its items follow its first item's way)
    case_id: int | None
    last_at: datetime
    done: bool
    items: tuple[Attachment, ...] = ()
