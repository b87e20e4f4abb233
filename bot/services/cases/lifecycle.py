"""A case's status: accept, resolve, and the owner's rate, comment, reopen and close.

Each method asks the domain's transition table (bot.domain.cases) whether the actor may do
it now and what status follows, then writes the change with the messages it causes.
"""

from __future__ import annotations

from bot.domain.cases import Action, Actor, CaseChange, CaseCommit, NotAllowed, check
from bot.domain.models import Case, CaseStatus, NewEvent, Role
from bot.domain.outbox import Outgoing
from bot.domain.ports import CaseStore, Clock, Waker
from bot.domain.timers import CaseTimers, TimerChange
from bot.services.cases.messages import CaseMessages, rating_buttons, signature
from bot.services.cases.queries import CaseQueries

STARS = range(1, 6)


class LifecycleService:
    """Status changes of cases."""

    def __init__(
        self,
        cases: CaseStore,
        queries: CaseQueries,
        messages: CaseMessages,
        clock: Clock,
        waker: Waker,
        timers: CaseTimers,
    ) -> None:
        self._cases = cases
        self._queries = queries
        self._messages = messages
        self._clock = clock
        self._waker = waker
        self._timers = timers

    async def accept(self, actor: Actor, case: Case) -> None:
        """The assignee takes the case; the owner is told who handles it."""
        status = check(actor, case, Action.ACCEPT)
        context = {"number": case.number, "signature": signature(actor.staff)}
        out = await self._messages.to_contacts(case, "cases/accepted", context)
        event = NewEvent("staff", actor.staff_id, "accepted")
        await self._write(CaseChange(case.id, status=status), event, out)

    async def resolve(self, actor: Actor, case: Case) -> None:
        """Staff mark the case resolved; the owner is asked to confirm and rate it."""
        status = check(actor, case, Action.RESOLVE)
        context = {"number": case.number, "signature": signature(actor.staff)}
        out = await self._messages.to_contacts(
            case, "cases/resolved", context, rating_buttons(case)
        )
        now = self._clock.now()
        change = CaseChange(case.id, status=status, resolved_at=now)
        event = NewEvent("staff", actor.staff_id, "resolved")
        await self._write(change, event, out, self._timers.resolved(case.id, now))

    async def rate(self, actor: Actor, case: Case, stars: int) -> None:
        """The owner confirms the resolution with 1-5 stars: the case closes."""
        status = await self._owner_check(actor, case, Action.RATE)
        if stars not in STARS:
            raise ValueError(stars)
        now = self._clock.now()
        out = await self._messages.to_assignee(
            case, "cases/rated", {"number": case.number, "stars": stars}
        )
        change = CaseChange(case.id, status=status, closed_at=now, rating=stars)
        event = NewEvent("owner", _contact_id(actor), "rated", None, details={"stars": stars})
        await self._write(change, event, out, self._timers.closed(case.id))

    async def comment(self, actor: Actor, case: Case, text: str) -> None:
        """An optional comment after rating."""
        await self._queries.check_view(actor, case)
        if actor.role is not Role.OWNER:
            raise NotAllowed(case.number)
        out = await self._messages.to_assignee(
            case, "cases/rating_comment", {"number": case.number, "text": text}
        )
        event = NewEvent("owner", _contact_id(actor), "comment", text)
        await self._write(CaseChange(case.id, rating_comment=text), event, out)

    async def reopen(self, actor: Actor, case: Case) -> None:
        """The owner says a resolved case is not resolved: it goes back to its assignee."""
        status = await self._owner_check(actor, case, Action.REOPEN)
        out = await self._messages.to_assignee(case, "cases/reopened", {"number": case.number})
        change = CaseChange(case.id, status=status, resolved_at=None)
        event = NewEvent("owner", _contact_id(actor), "reopened")
        await self._write(change, event, out, self._timers.reopened(case.id))

    async def close_by_owner(self, actor: Actor, case: Case) -> None:
        """The owner closes their own case (no longer needed)."""
        status = await self._owner_check(actor, case, Action.CLOSE)
        out = await self._messages.to_assignee(
            case, "cases/closed_by_owner", {"number": case.number}
        )
        change = CaseChange(case.id, status=status, closed_at=self._clock.now())
        event = NewEvent("owner", _contact_id(actor), "closed")
        await self._write(change, event, out, self._timers.closed(case.id))

    async def _owner_check(self, actor: Actor, case: Case, action: Action) -> CaseStatus:
        await self._queries.check_view(actor, case)
        return check(actor, case, action)

    async def _write(
        self,
        change: CaseChange,
        event: NewEvent,
        out: list[Outgoing],
        timers: list[TimerChange] | None = None,
    ) -> None:
        await self._cases.commit(
            CaseCommit(
                at=self._clock.now(),
                changes=[change],
                events=[(change.case_id, event)],
                outgoing=out,
                timers=timers or [],
            )
        )
        self._waker.wake()


def _contact_id(actor: Actor) -> int:
    assert actor.registration is not None  # owner actions are checked to be the owner's
    return actor.registration.contact.id
