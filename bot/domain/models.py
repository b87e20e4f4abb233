"""Domain records: plain dataclasses and enums, no framework types."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.calendar import Basis


class Language(enum.StrEnum):
    """The languages every text exists in."""

    ZH_HANS = "zh-hans"
    ZH_HANT = "zh-hant"
    EN = "en"

    @classmethod
    def from_client(cls, code: str | None, default: Language) -> Language:
        """Map a Telegram client's IETF language code to one of ours, else the default."""
        if not code:
            return default
        code = code.lower().replace("_", "-")
        if code in ("zh-hant", "zh-tw", "zh-hk", "zh-mo") or code.startswith("zh-hant"):
            return cls.ZH_HANT
        if code.startswith("zh"):
            return cls.ZH_HANS
        if code.startswith("en"):
            return cls.EN
        return default


class Role(enum.StrEnum):
    """One Telegram account has exactly one role (PRODUCT §2)."""

    OWNER = "owner"
    LIAISON = "liaison"
    COUNSEL = "counsel"
    ADMIN = "admin"
    # Never stored: what a liaison, counsel or invited admin becomes when deactivated (the
    # staff record's state decides, not the role the account row still holds).
    DEACTIVATED = "deactivated"


STAFF_ROLES = frozenset({Role.LIAISON, Role.COUNSEL, Role.ADMIN})


class EnterpriseSource(enum.StrEnum):
    """Where an enterprise record came from: an owner's registration or an admin's import."""

    REGISTRATION = "registration"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Choice:
    """A configured option (district, industry, …) with its label in every language."""

    id: str
    labels: dict[str, str]

    def label(self, lang: Language) -> str:
        """Return the label in the given language, falling back to Simplified Chinese."""
        return self.labels.get(lang.value) or self.labels[Language.ZH_HANS.value]


@dataclass(frozen=True, slots=True)
class Category:
    """A request category (§3.2): where its cases go and how fast they must be answered."""

    choice: Choice
    route: str  # "liaison" or "counsel"
    specialty: str | None
    sla_hours: Mapping[str, int]  # urgency -> hours to a first staff answer
    # urgency -> how those hours are counted (calendar or working hours); see docs/schedule.md
    sla_basis: Mapping[str, Basis] = field(
        default_factory=lambda: {"normal": Basis.WORKING, "urgent": Basis.CALENDAR}
    )

    @property
    def id(self) -> str:
        """The category's id."""
        return self.choice.id


class Urgency(enum.StrEnum):
    """How fast an owner needs an answer."""

    NORMAL = "normal"
    URGENT = "urgent"


class CaseStatus(enum.StrEnum):
    """A case's life: open (maybe unassigned) → accepted → resolved → closed (or reopened)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Staff:
    """A police liaison, a counsel or an admin, bound to one Telegram account."""

    id: int
    telegram_id: int | None
    role: Role
    display_name: str
    title: str
    district: str | None
    specialties: tuple[str, ...]
    available: bool
    active: bool
    phone: str | None = None  # E.164, from an imported roster
    telegram_username: str | None = None  # from an imported roster, without @

    @property
    def routable(self) -> bool:
        """Whether new cases may be routed to this person now."""
        return self.active and self.available and self.telegram_id is not None


@dataclass(frozen=True, slots=True)
class Invite:
    """A single-use staff invite."""

    code: str
    role: Role
    expires_at: datetime
    used: bool
    revoked: bool = False
    staff_id: int | None = None  # an imported staff record the invite binds to (no questions)


@dataclass(frozen=True, slots=True)
class Case:
    """An owner's request and where it stands."""

    id: int
    number: str
    enterprise_id: int
    opened_by: int | None
    category: str
    urgency: Urgency
    description: str
    status: CaseStatus
    assignee_id: int | None
    sla_due_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    rating: int | None = None

    @property
    def is_open(self) -> bool:
        """Open or accepted: still being worked on."""
        return self.status in (CaseStatus.OPEN, CaseStatus.ACCEPTED)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One entry of a case's history."""

    id: int
    case_id: int
    at: datetime
    actor_kind: str  # owner, staff, system
    actor_id: int | None
    kind: str
    text: str | None
    file_kind: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An entry to add to a case's history."""

    actor_kind: str
    actor_id: int | None
    kind: str
    text: str | None = None
    file_kind: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewCase:
    """What an owner's confirmed request stores."""

    enterprise_id: int
    opened_by: int
    category: str
    urgency: Urgency
    description: str
    assignee_id: int | None
    sla_due_at: datetime
    at: datetime
    dialog: tuple[str, int, int] | None = None  # the /ask dialog to forget in the same commit


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise in the programme, registered by an owner or imported by admins."""

    id: int
    credit_code: str
    name: str
    district: str
    industry: str
    source: EnterpriseSource
    liaison_id: int | None = None
    deputy_liaison_id: int | None = None
    phone: str | None = None  # from an imported roster (E.164): proof for a shared contact


class ContactStatus(enum.StrEnum):
    """Whether a contact person speaks for the enterprise (PRODUCT §3.1: a credit code is public,
    so a new contact of an enterprise that has contacts waits for their approval)."""

    ACTIVE = "active"
    PENDING = "pending"  # asked to join; sees and receives nothing of the enterprise
    REFUSED = "refused"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Contact:
    """An owner or contact person of an enterprise, bound to one Telegram account."""

    id: int
    enterprise_id: int
    telegram_id: int | None
    name: str | None
    phone: str | None
    consented_at: datetime | None
    status: ContactStatus = ContactStatus.ACTIVE
    requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """An owner's registration as shown back to them: their contact record and its enterprise."""

    contact: Contact
    enterprise: Enterprise

    @property
    def active(self) -> bool:
        """Whether the contact speaks for the enterprise (approved, not removed)."""
        return self.contact.status is ContactStatus.ACTIVE


@dataclass(slots=True)
class DialogState:
    """Where one user's dialog stands: its state name and the answers given so far."""

    name: str
    chat_id: int
    user_id: int
    state: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Account:
    """A Telegram account the bot has met: its stored role, languages and reachability."""

    telegram_id: int
    role: Role | None
    language: Language | None  # chosen with /language
    client_language: Language | None  # the client's, as last seen
    active: bool  # False once a send got 403 (blocked), until the user writes again
    staff_active: bool | None = None  # the bound staff record's state; None: no record


class AuditAction(enum.StrEnum):
    """What the audit log records."""

    REGISTER = "register"
    ERASE_CONTACT = "erase_contact"
    INVITE = "invite"
    JOIN_STAFF = "join_staff"
    DEACTIVATE = "deactivate"
    REVOKE_INVITES = "revoke_invites"
    REQUEST_CONTACT = "request_contact"
    APPROVE_CONTACT = "approve_contact"
    REFUSE_CONTACT = "refuse_contact"
    REMOVE_CONTACT = "remove_contact"
    ASSIGN = "assign"
    IMPORT = "import"
    # Oversight (issue 13): who read or took what.
    EXPORT = "export"
    VIEW_STATS = "view_stats"
    VIEW_HISTORY = "view_history"
    BROADCAST = "broadcast"  # an admin sent or scheduled a broadcast
    BROADCAST_CANCEL = "broadcast_cancel"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log, written in the transaction of the action it records."""

    actor: int | None  # Telegram id of who acted; None for the system
    action: AuditAction
    subject: str
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An audit log line as stored (action as the word stored: AuditAction values)."""

    id: int
    at: datetime
    actor: int | None
    action: str
    subject: str
    details: Mapping[str, object] = field(default_factory=dict)
