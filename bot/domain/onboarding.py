"""Staff onboarding (PRODUCT §5.1): the steps of the dialog an invite link opens.

Like registration, the step is derived from the stored answers: name → title → district (for
liaisons) or specialties (for counsel) → done. Diagram: docs/staff.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from bot.domain.models import Role

DIALOG_NAME = "onboarding"
NAME_MAX = 50
# Keys of the stored answers besides the steps' own.
CODE = "code"
ROLE = "role"
SPECIALTIES_DONE = "specialties_done"


class OnboardingStep(enum.StrEnum):
    """The onboarding dialog's states."""

    NAME = "name"
    TITLE = "title"
    DISTRICT = "district"
    SPECIALTIES = "specialties"
    DONE = "done"


def next_step(data: Mapping[str, object]) -> OnboardingStep:
    """The first unanswered question, or DONE."""
    if not data.get(OnboardingStep.NAME.value):
        return OnboardingStep.NAME
    if not data.get(OnboardingStep.TITLE.value):
        return OnboardingStep.TITLE
    role = data.get(ROLE)
    if role == Role.LIAISON.value and not data.get(OnboardingStep.DISTRICT.value):
        return OnboardingStep.DISTRICT
    if role == Role.COUNSEL.value and not data.get(SPECIALTIES_DONE):
        return OnboardingStep.SPECIALTIES
    return OnboardingStep.DONE


def chosen_specialties(data: Mapping[str, object]) -> list[str]:
    """The specialties ticked so far, in the order they were ticked."""
    raw = data.get(OnboardingStep.SPECIALTIES.value)
    return [str(s) for s in raw] if isinstance(raw, list) else []
