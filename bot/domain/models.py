"""Domain records: plain dataclasses and enums, no framework types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class Contact:
    """An owner or contact person of an enterprise, bound to one Telegram account."""

    id: int
    enterprise_id: int
    telegram_id: int | None
    name: str | None
    phone: str | None
    consented_at: datetime | None


@dataclass(frozen=True, slots=True)
class Registration:
    """An owner's registration as shown back to them: their contact record and its enterprise."""

    contact: Contact
    enterprise: Enterprise


@dataclass(slots=True)
class DialogState:
    """Where one user's dialog stands: its state name and the answers given so far."""

    name: str
    chat_id: int
    user_id: int
    state: str
    data: dict[str, object] = field(default_factory=dict)
