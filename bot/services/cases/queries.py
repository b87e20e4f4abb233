"""Reading cases: look-ups checked against who may see them, lists, histories, descriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.cases import Actor, NotAllowed, may_view, visible_events
from bot.domain.models import AuditAction, AuditEntry, Case, CaseEvent, Category, Role
from bot.domain.ports import AuditLog, CaseStore, Clock, EnterpriseDirectory, StaffDirectory
from bot.services.cases.messages import is_overdue, signature

# How many cases a list shows (one message; buttons for the first LIST_BUTTONS).
OWNER_LIST = 20
STAFF_LIST = 30
LIST_BUTTONS = 10


@dataclass(frozen=True, slots=True)
class CaseList:
    """A page of cases, with their descriptions, and how many there are in all."""

    cases: list[Case]
    described: list[dict[str, Any]]
    total: int


class CaseQueries:
    """Everything that reads cases."""

    def __init__(
        self,
        cases: CaseStore,
        staff: StaffDirectory,
        enterprises: EnterpriseDirectory,
        clock: Clock,
        categories: Sequence[Category],
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._cases = cases
        self._staff = staff
        self._enterprises = enterprises
        self._clock = clock
        self._categories = {c.id: c for c in categories}

    def category(self, category_id: str) -> Category | None:
        """A configured category by id."""
        return self._categories.get(category_id)

    async def find(self, actor: Actor, reference: str) -> Case:
        """A case by number, checked against what the actor may see."""
        case = await self._cases.by_number(reference)
        if case is None:
            raise LookupError(reference)
        await self.check_view(actor, case)
        return case

    async def get(self, actor: Actor, case_id: int) -> Case:
        """A case by id, checked against what the actor may see."""
        case = await self._cases.by_id(case_id)
        if case is None:
            raise LookupError(case_id)
        await self.check_view(actor, case)
        return case

    async def check_view(self, actor: Actor, case: Case) -> None:
        """Raise NotAllowed unless the actor may see the case."""
        handled = (
            actor.staff is not None
            and actor.role not in (Role.OWNER, Role.ADMIN)
            and await self._cases.handled_by(case.id, actor.staff.id)
        )
        if not may_view(actor, case, handled=handled):
            raise NotAllowed(case.number)

    async def case_of_message(self, chat_id: int, message_id: int) -> Case | None:
        """The case a message the bot showed belongs to."""
        case_id = await self._cases.case_of_message(chat_id, message_id)
        return await self._cases.by_id(case_id) if case_id is not None else None

    async def owner_cases(self, actor: Actor, open_only: bool = False) -> list[Case]:
        """The owner's enterprise's cases, newest first."""
        if actor.registration is None:
            return []
        return await self._cases.of_enterprise(actor.registration.enterprise.id, open_only)

    async def owner_list(self, actor: Actor) -> CaseList:
        """/mycases: the newest OWNER_LIST cases of the owner's enterprise."""
        cases = await self.owner_cases(actor)
        shown = cases[:OWNER_LIST]
        return CaseList(shown, [await self.describe(c) for c in shown], len(cases))

    async def staff_list(self, actor: Actor) -> CaseList:
        """/cases: open cases (one's own; admins: all, unassigned too), overdue first."""
        if actor.role is Role.ADMIN:
            cases = await self._cases.open_cases(everyone=True)
        elif actor.staff is not None:
            cases = await self._cases.open_cases(actor.staff.id)
        else:
            cases = []
        now = self._clock.now()
        ordered = sorted(cases, key=lambda c: (not is_overdue(c, now), c.sla_due_at.isoformat()))
        shown = ordered[:STAFF_LIST]
        return CaseList(shown, [await self.describe(c) for c in shown], len(cases))

    async def history(self, actor: Actor, case: Case) -> list[CaseEvent]:
        """The case's history as the actor may see it (owners: no notes, no internals); a
        staff member's or admin's look is audited (issue 13)."""
        await self.check_view(actor, case)
        events = visible_events(actor, await self._cases.history(case.id))
        if self._audit is not None and actor.role is not Role.OWNER:
            entry = AuditEntry(actor.telegram_id, AuditAction.VIEW_HISTORY, f"case:{case.number}")
            await self._audit.record(entry, self._clock.now())
        return events

    async def describe(self, case: Case) -> dict[str, Any]:
        """Template context describing a case (no personal data of the owner)."""
        enterprise = await self._enterprises.enterprise(case.enterprise_id)
        assignee = await self._staff.by_id(case.assignee_id) if case.assignee_id else None
        return {
            "number": case.number,
            "category": case.category,
            "urgency": case.urgency.value,
            "description": case.description,
            "status": case.status.value,
            "enterprise": enterprise.name if enterprise else "",
            "district": enterprise.district if enterprise else "",
            "due": case.sla_due_at.isoformat(),
            "overdue": is_overdue(case, self._clock.now()),
            "assignee": signature(assignee),
        }
