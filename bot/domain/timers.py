"""A case's timed work (PRODUCT §6): what falls due when, and what each case change does to it.

Each case has at most one pending item of each kind, a row (case, kind) in `case_timers`:
the SLA reminder to the assignee at the deadline, the escalation to the admins at twice it,
the owner's follow-up after a staff message they left unanswered, the auto-close of a resolved
case. The services add the `TimerChange`s these rules give to the case's own transaction, so
what is due always agrees with the case. docs/schedule.md describes the rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.domain.calendar import WorkCalendar
from bot.domain.models import Category, Urgency


class TimerKind(enum.StrEnum):
    """What falls due for a case (also the `kind` shown by `schedule list`)."""

    REMINDER = "reminder"  # to the assignee, at the SLA deadline, without a first reply
    ESCALATION = "escalation"  # to every admin, at twice the deadline
    FOLLOWUP = "followup"  # to the owner, a staff message left unanswered
    AUTOCLOSE = "autoclose"  # a resolved case neither rated nor reopened


SLA_KINDS = (TimerKind.REMINDER, TimerKind.ESCALATION)


@dataclass(frozen=True, slots=True)
class TimerChange:
    """Arm (at: when; a pending one moves) or cancel (at None) one kind of a case's timer."""

    case_id: int
    kind: TimerKind
    at: datetime | None


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A pending timer as stored: the case, its kind, when, and the case's number."""

    case_id: int
    kind: TimerKind
    at: datetime
    number: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A first-answer deadline and its escalation."""

    due: datetime
    escalate: datetime


@dataclass(frozen=True)
class CaseTimers:
    """The rules: deadlines on the working-time calendar, follow-up and auto-close days."""

    calendar: WorkCalendar
    followup_days: int
    autoclose_days: int

    def deadline(self, category: Category, urgency: Urgency, start: datetime) -> Deadline:
        """The SLA deadline from start, and twice it, on the category's basis."""
        hours = category.sla_hours[urgency.value]
        basis = category.sla_basis[urgency.value]
        return Deadline(
            self.calendar.add(start, hours, basis), self.calendar.add(start, 2 * hours, basis)
        )

    def armed(self, case_id: int, deadline: Deadline) -> list[TimerChange]:
        """A new case, or a transferred one: reminder at the deadline, escalation at twice."""
        return [
            TimerChange(case_id, TimerKind.REMINDER, deadline.due),
            TimerChange(case_id, TimerKind.ESCALATION, deadline.escalate),
        ]

    @staticmethod
    def answered(case_id: int) -> list[TimerChange]:
        """A first staff reply: nothing more to remind or escalate."""
        return [TimerChange(case_id, kind, None) for kind in SLA_KINDS]

    def staff_wrote(self, case_id: int, at: datetime) -> list[TimerChange]:
        """A staff message to the owner: the owner is reminded if they leave it unanswered."""
        due = self.calendar.add_days(at, self.followup_days)
        return [TimerChange(case_id, TimerKind.FOLLOWUP, due)]

    @staticmethod
    def owner_wrote(case_id: int) -> list[TimerChange]:
        """The owner answered: no follow-up."""
        return [TimerChange(case_id, TimerKind.FOLLOWUP, None)]

    def resolved(self, case_id: int, at: datetime) -> list[TimerChange]:
        """Resolved: nothing to remind; it closes itself unless rated or reopened."""
        cancelled = [TimerChange(case_id, k, None) for k in (*SLA_KINDS, TimerKind.FOLLOWUP)]
        due = self.calendar.add_days(at, self.autoclose_days)
        return [*cancelled, TimerChange(case_id, TimerKind.AUTOCLOSE, due)]

    @staticmethod
    def reopened(case_id: int) -> list[TimerChange]:
        """Reopened by the owner: it no longer closes itself."""
        return [TimerChange(case_id, TimerKind.AUTOCLOSE, None)]

    @staticmethod
    def closed(case_id: int) -> list[TimerChange]:
        """Closed: nothing is due any more."""
        return [TimerChange(case_id, kind, None) for kind in TimerKind]
