"""The cases' timed work (PRODUCT §6): SLA reminders, escalations, follow-ups, auto-close.

A `DueWork` for `DueRunner`: what is due is read from `case_timers`; each timer's messages
and case changes are built, then written together with the timer marked done, in one
transaction per batch (`TimerStore.complete`). A timer that a case change moved or cancelled
in between is skipped with everything built for it. docs/schedule.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.cases import Action, CaseChange, CaseCommit, after
from bot.domain.models import Case, CaseStatus, NewEvent
from bot.domain.outbox import Button, Lane, Outgoing
from bot.domain.ports import CaseStore, EnterpriseDirectory, StaffDirectory, TimerStore, Waker
from bot.domain.schedule import Upcoming
from bot.domain.timers import CaseTimers, DueTimer, TimerKind
from bot.services.cases.messages import CaseMessages, signature

_LOGGER = logging.getLogger(__name__)
# Timers completed per transaction: one commit per batch, not per reminder.
BATCH = 200

Done = tuple[DueTimer, str, CaseCommit]


class YearWarnings:
    """Warns once per year that a deadline was counted without that year's holidays."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self._calendar = calendar
        self._warned: set[int] = set()

    def check(self, moments: Iterable[datetime]) -> list[int]:
        """Log each uncovered year among moments the first time it is seen; return them all."""
        years = self._calendar.uncovered_years(moments)
        for year in sorted(set(years) - self._warned):
            self._warned.add(year)
            _LOGGER.warning(
                "No holiday schedule covers %s: deadlines in it count weekends only "
                "(add its holidays and make-up days to config/calendar.toml)",
                year,
            )
        return years


class CaseTimerWork:
    """Does the cases' due timers; lists the pending ones."""

    def __init__(
        self,
        timers: TimerStore,
        cases: CaseStore,
        staff: StaffDirectory,
        enterprises: EnterpriseDirectory,
        messages: CaseMessages,
        rules: CaseTimers,
        waker: Waker,
    ) -> None:
        self._timers = timers
        self._cases = cases
        self._staff = staff
        self._enterprises = enterprises
        self._messages = messages
        self._rules = rules
        self._waker = waker
        self.years = YearWarnings(rules.calendar)

    async def run_due(self, now: datetime) -> int:
        """Do every timer due at now, in batches; return how many were done."""
        done = 0
        while due := await self._timers.due(now, BATCH):
            batch = [await self._safely(timer, now) for timer in due]
            completed = await self._timers.complete(batch, now)
            done += completed
            self._waker.wake()
            if len(due) < BATCH or not completed:
                break
        return done

    async def upcoming(self, now: datetime) -> list[Upcoming]:
        """Every pending timer after now."""
        return [
            Upcoming(t.kind.value, t.at, f"case {t.number}")
            for t in await self._timers.pending_after(now)
        ]

    async def next_due(self, now: datetime) -> datetime | None:
        """When the earliest pending timer falls due (warning once of an uncovered year)."""
        due = await self._timers.next_due()
        self.years.check([now] if due is None else [now, due])
        return due

    async def warn_uncovered(self, now: datetime) -> list[int]:
        """At start: warn of uncovered years of now and of every pending timer."""
        pending = [t.at for t in await self._timers.pending_after(now)]
        return self.years.check([now, *pending])

    async def _safely(self, timer: DueTimer, now: datetime) -> Done:
        try:
            return await self._handle(timer, now)
        except Exception:  # one broken case must not hold back every timer after it
            _LOGGER.exception("Timer %s of case %s failed", timer.kind, timer.number)
            return timer, "failed", CaseCommit(at=now)

    async def _handle(self, timer: DueTimer, now: datetime) -> Done:
        timer, outcome, commit = await self._build(timer, now)
        # The bulk lane: ten thousand reminders falling due together must never hold back a
        # relayed conversation (docs/schedule.md).
        bulk = [replace(o, lane=Lane.BULK) for o in commit.outgoing]
        return timer, outcome, replace(commit, outgoing=bulk)

    async def _build(self, timer: DueTimer, now: datetime) -> Done:
        case = await self._cases.by_id(timer.case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            return timer, "obsolete", CaseCommit(at=now)
        if timer.kind is TimerKind.REMINDER:
            return await self._remind(timer, case, now)
        if timer.kind is TimerKind.ESCALATION:
            return await self._escalate(timer, case, now)
        if timer.kind is TimerKind.FOLLOWUP:
            return await self._follow_up(timer, case, now)
        return await self._close(timer, case, now)

    async def _remind(self, timer: DueTimer, case: Case, now: datetime) -> Done:
        """The assignee, unless away; an unassigned case waits for its escalation."""
        if not case.is_open or case.first_response_at is not None:
            return timer, "obsolete", CaseCommit(at=now)
        staff = await self._staff.by_id(case.assignee_id) if case.assignee_id else None
        if staff is None:
            return timer, "unassigned", CaseCommit(at=now)
        if not (staff.active and staff.available) or staff.telegram_id is None:
            event = NewEvent("system", None, "reminded", details={"away": staff.id})
            return timer, "away", CaseCommit(at=now, events=[(case.id, event)])
        buttons = ((Button("case_reply", ("case", "reply", str(case.id))),),)
        out = Outgoing(
            staff.telegram_id, "cases/sla_reminder", _context(case), buttons, case_id=case.id
        )
        event = NewEvent("system", None, "reminded", details={"staff_id": staff.id})
        return timer, "sent", CaseCommit(at=now, events=[(case.id, event)], outgoing=[out])

    async def _escalate(self, timer: DueTimer, case: Case, now: datetime) -> Done:
        """Every admin, with the transfer choice one button away; also for unassigned cases."""
        if not case.is_open or case.first_response_at is not None:
            return timer, "obsolete", CaseCommit(at=now)
        staff = await self._staff.by_id(case.assignee_id) if case.assignee_id else None
        enterprise = await self._enterprises.enterprise(case.enterprise_id)
        context = {
            **_context(case),
            "assignee": signature(staff),
            "away": staff is not None and not staff.available,
            "enterprise": enterprise.name if enterprise else "",
        }
        buttons = ((Button("case_transfer", ("case", "transfer", str(case.id))),),)
        out = [
            Outgoing(admin, "cases/sla_escalation", context, buttons, case_id=case.id)
            for admin in await self._messages.admin_chats()
        ]
        event = NewEvent("system", None, "escalated", details={"admins": len(out)})
        return timer, "sent", CaseCommit(at=now, events=[(case.id, event)], outgoing=out)

    async def _follow_up(self, timer: DueTimer, case: Case, now: datetime) -> Done:
        """The owner, once, of a staff message they left unanswered."""
        if not case.is_open:
            return timer, "obsolete", CaseCommit(at=now)
        context = {"number": case.number, "days": self._rules.followup_days}
        out = await self._messages.to_contacts(case, "cases/owner_followup", context)
        event = NewEvent("system", None, "followed_up", details={"contacts": len(out)})
        return timer, "sent", CaseCommit(at=now, events=[(case.id, event)], outgoing=out)

    async def _close(self, timer: DueTimer, case: Case, now: datetime) -> Done:
        """A resolution the owner neither rated nor reopened: closed, owner and staff told."""
        if case.status is not CaseStatus.RESOLVED:
            return timer, "obsolete", CaseCommit(at=now)
        context = {"number": case.number, "days": self._rules.autoclose_days}
        out = await self._messages.to_contacts(case, "cases/autoclosed_owner", context)
        out += await self._messages.to_assignee(case, "cases/autoclosed_staff", context)
        change = CaseChange(case.id, status=after(case, Action.CLOSE), closed_at=now)
        return (
            timer,
            "sent",
            CaseCommit(
                at=now,
                changes=[change],
                events=[(case.id, NewEvent("system", None, "autoclosed"))],
                outgoing=out,
                timers=self._rules.closed(case.id),
            ),
        )


def _context(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category,
        "urgency": case.urgency.value,
        "due": case.sla_due_at.isoformat(),
        "description": case.description[:200],
    }
