"""Registration rules (PRODUCT §3.1): the fields, their order, their validation.

The dialog's next step is derived from its answers: the first field still missing, or the
summary when all are there. Editing a field removes its answer, so the same rule asks it again
and then returns to the summary.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

DIALOG_NAME = "registration"
ENTERPRISE_NAME_MAX = 100
CONTACT_NAME_MAX = 50


class Step(enum.StrEnum):
    """Dialog states, in the order they are asked."""

    CONSENT = "consent"
    ENTERPRISE_NAME = "enterprise_name"
    CREDIT_CODE = "credit_code"
    DISTRICT = "district"
    INDUSTRY = "industry"
    CONTACT_NAME = "contact_name"
    PHONE = "phone"
    CONFIRM = "confirm"
    EDIT_MENU = "edit_menu"


# Answer fields in the order they are asked; CONSENT's answer is the consent time.
FIELDS: tuple[Step, ...] = (
    Step.CONSENT,
    Step.ENTERPRISE_NAME,
    Step.CREDIT_CODE,
    Step.DISTRICT,
    Step.INDUSTRY,
    Step.CONTACT_NAME,
    Step.PHONE,
)
ENTERPRISE_FIELDS = (Step.ENTERPRISE_NAME, Step.DISTRICT, Step.INDUSTRY)
CONTACT_FIELDS = (Step.CONTACT_NAME, Step.PHONE)

# Dialog data keys besides the fields themselves.
EXISTING = "existing_enterprise"  # the code matched an enterprise: its own fields are not asked
IMPORTED = "imported"  # that enterprise came from an admin import
UPDATING = "updating"  # editing a saved registration rather than creating one


class TextRule(enum.StrEnum):
    """Why a typed name was refused."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_LETTERS = "no_letters"
    LOOKS_LIKE_COMMAND = "looks_like_command"


@dataclass(eq=False)
class TextError(ValueError):
    """A refused name, with the rule and the limit."""

    rule: TextRule
    limit: int = 0

    def __str__(self) -> str:
        return f"text breaks rule {self.rule.value}"


_SPACES = re.compile(r"\s+")


def clean_name(text: str, limit: int) -> str:
    """Collapse spaces and check a typed name is plausible.

    No width folding: Chinese names and business-licence names use full-width punctuation
    (（分公司）), which must be kept as typed.
    """
    cleaned = _SPACES.sub(" ", text).strip()
    if not cleaned:
        raise TextError(TextRule.EMPTY)
    if cleaned.startswith("/"):
        raise TextError(TextRule.LOOKS_LIKE_COMMAND)
    if len(cleaned) > limit:
        raise TextError(TextRule.TOO_LONG, limit)
    if not any(ch.isalpha() for ch in cleaned):
        raise TextError(TextRule.NO_LETTERS)
    return cleaned


def next_step(data: dict[str, object]) -> Step:
    """Return the first unanswered field, or the summary."""
    for step in FIELDS:
        if data.get(step.value) in (None, ""):
            return step
    return Step.CONFIRM


def editable_fields(data: dict[str, object]) -> tuple[Step, ...]:
    """Fields the owner may change from the summary.

    An enterprise that exists already (imported, or registered by another contact) keeps its
    name, district and industry: the owner changes only their own contact fields. A saved
    registration keeps its credit code: moving to another enterprise is a new registration.
    """
    fields: list[Step] = []
    if not data.get(EXISTING):
        fields += ENTERPRISE_FIELDS
    if not data.get(UPDATING):
        fields.insert(1 if fields else 0, Step.CREDIT_CODE)
    return (*fields, *CONTACT_FIELDS)
