"""Who handles a case: opening and routing it, transfers, and re-routing on deactivation.

Routing reads loads and cursors, then writes the assignment: two cases routed at once would
both see the same loads. One routing decision at a time (one process: docs/architecture.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from bot.domain.cases import (
    Action,
    Actor,
    Attachment,
    CaseChange,
    CaseCommit,
    Deactivation,
    NotAllowed,
    after,
    check,
)
from bot.domain.models import (
    AuditAction,
    AuditEntry,
    Case,
    Category,
    NewCase,
    NewEvent,
    Registration,
    Role,
    Staff,
    Urgency,
)
from bot.domain.outbox import Outgoing
from bot.domain.ports import CaseStore, Clock, EnterpriseDirectory, StaffDirectory, Waker
from bot.domain.routing import Candidate, Decision, route
from bot.domain.timers import CaseTimers
from bot.services.cases.messages import (
    CaseMessages,
    assignment_event,
    attachment_event,
    opened,
)
from bot.services.cases.queries import CaseQueries

# How many people the transfer choice offers (one message of buttons).
TRANSFER_TARGETS = 20


class AssignmentService:
    """Opening, routing, transferring and re-routing cases."""

    def __init__(
        self,
        cases: CaseStore,
        staff: StaffDirectory,
        enterprises: EnterpriseDirectory,
        queries: CaseQueries,
        messages: CaseMessages,
        clock: Clock,
        waker: Waker,
        timers: CaseTimers,
    ) -> None:
        self._cases = cases
        self._staff = staff
        self._enterprises = enterprises
        self._queries = queries
        self._messages = messages
        self._clock = clock
        self._waker = waker
        self._timers = timers
        self._routing = asyncio.Lock()

    async def open_case(
        self,
        actor: Actor,
        category_id: str,
        urgency: Urgency,
        description: str,
        attachments: Sequence[Attachment],
        dialog: tuple[str, int, int] | None = None,
    ) -> Case:
        """Store a confirmed request, route it, and queue the card, the owner's receipt, alerts."""
        registration = actor.registration
        category = self._queries.category(category_id)
        if registration is None or category is None:
            raise NotAllowed(category_id)
        async with self._routing:
            case = await self._open_routed(
                actor, registration, category, urgency, description, attachments, dialog
            )
        self._waker.wake()
        return case

    async def _open_routed(
        self,
        actor: Actor,
        registration: Registration,
        category: Category,
        urgency: Urgency,
        description: str,
        attachments: Sequence[Attachment],
        dialog: tuple[str, int, int] | None,
    ) -> Case:
        now = self._clock.now()
        loads = await self._staff.loads()
        decision = route(category, registration.enterprise, loads, await self._staff.cursors())
        assignee = _staff_of(loads, decision.staff_id)
        deadline = self._timers.deadline(category, urgency, now)
        events = [
            NewEvent("owner", registration.contact.id, "opened", description),
            *(attachment_event("owner", registration.contact.id, a) for a in attachments),
            assignment_event(decision),
        ]
        # The messages need the stored case (its number): built inside the transaction.
        admins = await self._messages.admin_chats()

        def outgoing(case: Case) -> list[Outgoing]:
            return opened(
                case,
                actor.telegram_id,
                registration.enterprise,
                category,
                assignee,
                attachments,
                admins,
            )

        return await self._cases.open_case(
            NewCase(
                registration.enterprise.id,
                registration.contact.id,
                category.id,
                urgency,
                description,
                decision.staff_id,
                deadline.due,
                now,
                dialog,
            ),
            events,
            outgoing,
            _cursor(decision),
            lambda case: self._timers.armed(case.id, deadline),
        )

    async def transfer_targets(self, case: Case) -> list[Staff]:
        """Who may receive a transfer: routable liaisons and counsel but the assignee."""
        return [
            c.staff
            for c in await self._staff.loads()
            if c.staff.routable
            and c.staff.id != case.assignee_id
            and c.staff.role is not Role.ADMIN
        ][:TRANSFER_TARGETS]

    async def transfer(
        self, actor: Actor, case: Case, target: Staff | None, reason: str
    ) -> Staff | None:
        """Hand the case to someone else (or back to routing) with a private reason."""
        async with self._routing:
            new = await self._transfer(actor, case, target, reason)
        self._waker.wake()
        return new

    async def _transfer(
        self, actor: Actor, case: Case, target: Staff | None, reason: str
    ) -> Staff | None:
        status = check(actor, case, Action.TRANSFER)
        category = self._queries.category(case.category)
        enterprise = await self._enterprises.enterprise(case.enterprise_id)
        assert enterprise is not None
        loads = await self._staff.loads()
        if target is None:
            assert category is not None
            exclude = [case.assignee_id] if case.assignee_id else []
            decision = route(category, enterprise, loads, await self._staff.cursors(), exclude)
        else:
            if not target.routable:
                raise NotAllowed(target.display_name)
            decision = Decision(target.id, "transfer")
        new = _staff_of(loads, decision.staff_id)
        now = self._clock.now()
        change = CaseChange(case.id, status=status, assignee_id=decision.staff_id)
        timers = []
        if case.first_response_at is None and category is not None:
            # Unanswered: the new assignee gets the category's full time from the transfer
            # (docs/schedule.md); the reminder and escalation move with the deadline.
            deadline = self._timers.deadline(category, case.urgency, now)
            case = replace(case, sla_due_at=deadline.due)
            change = replace(change, sla_due_at=deadline.due)
            timers = self._timers.armed(case.id, deadline)
        events = [
            (
                case.id,
                NewEvent(
                    "staff",
                    actor.staff_id,
                    "transferred",
                    reason,
                    details={"to": decision.staff_id},
                ),
            ),
            (case.id, assignment_event(decision)),
        ]
        out = await self._messages.handover(case, enterprise, category, new, reason)
        cursor = _cursor(decision)
        await self._cases.commit(
            CaseCommit(
                at=now,
                changes=[change],
                events=events,
                outgoing=out,
                cursors=[cursor] if cursor else [],
                timers=timers,
            )
        )
        return new

    async def deactivate(self, actor: Actor, staff: Staff) -> int:
        """An admin deactivates a staff member: every case of theirs that is not closed goes
        back to routing (a resolved one keeps its status: the owner may still reopen it).

        One transaction: every case re-routed (each decision sees the loads the ones before
        it made), the staff record deactivated, their unused invites revoked, the audit entry.
        """
        if actor.role is not Role.ADMIN:
            raise NotAllowed(staff.display_name)
        async with self._routing:
            moved = await self._deactivate(actor, staff)
        self._waker.wake()
        return moved

    async def _deactivate(self, actor: Actor, staff: Staff) -> int:
        cases = await self._cases.unclosed_of(staff.id)
        loads = await self._staff.loads()
        cursors = await self._staff.cursors()
        changes: list[CaseChange] = []
        events: list[tuple[int, NewEvent]] = []
        out: list[Outgoing] = []
        advanced: list[tuple[str, int]] = []
        for case in cases:
            category = self._queries.category(case.category)
            enterprise = await self._enterprises.enterprise(case.enterprise_id)
            assert category is not None
            assert enterprise is not None
            decision = route(category, enterprise, loads, cursors, [staff.id])
            new = _staff_of(loads, decision.staff_id)
            out += await self._messages.handover(case, enterprise, category, new, "")
            status = after(case, Action.REASSIGN)
            changes.append(CaseChange(case.id, status=status, assignee_id=decision.staff_id))
            events.append((case.id, assignment_event(decision)))
            cursor = _cursor(decision)
            if cursor is not None:
                cursors = {**cursors, cursor[0]: cursor[1]}
                advanced.append(cursor)
            if case.is_open:  # loads count open cases only
                loads = _moved(loads, staff.id, decision.staff_id)
        await self._cases.commit(
            CaseCommit(
                at=self._clock.now(),
                changes=changes,
                events=events,
                outgoing=out,
                cursors=advanced,
                deactivate=Deactivation(staff.id, actor.telegram_id),
                audit=[AuditEntry(actor.telegram_id, AuditAction.DEACTIVATE, f"staff:{staff.id}")],
            )
        )
        return len(cases)


def _staff_of(loads: Sequence[Candidate], staff_id: int | None) -> Staff | None:
    return next((c.staff for c in loads if c.staff.id == staff_id), None)


def _cursor(decision: Decision) -> tuple[str, int] | None:
    return (decision.pool, decision.staff_id) if decision.pool and decision.staff_id else None


def _moved(loads: Sequence[Candidate], source: int, target: int | None) -> list[Candidate]:
    """The loads after one case moved from source to target."""
    delta = {source: -1, **({target: 1} if target is not None else {})}
    return [replace(c, open_cases=c.open_cases + delta.get(c.staff.id, 0)) for c in loads]
