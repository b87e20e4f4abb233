"""Cases (PRODUCT §3.2, §3.3, §4): intake, routing, relay both ways, lifecycle, authorization.

Every change is stored together with the messages it causes (the outbox) in one transaction,
and the sender is woken afterwards. Messages are described by template and context; the sender
renders them in each recipient's language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    Contact,
    Enterprise,
    NewCase,
    NewEvent,
    Registration,
    Role,
    Staff,
    Urgency,
)
from bot.domain.outbox import Button, Outgoing, split_text
from bot.domain.ports import Clock
from bot.domain.routing import Candidate, Decision, route

# Room left for the header in a 4096-character message.
TEXT_PART = 3800
CAPTION_PART = 900
# A burst of messages to a case is confirmed once: no new confirmation within this window.
ACK_WINDOW = timedelta(seconds=60)
# History entries owners never see.
PRIVATE_KINDS = frozenset({"note", "transferred", "assigned", "unassigned"})


class CaseStorePort(Protocol):
    """What cases need from storage."""

    async def open_case(
        self,
        new: NewCase,
        events: Sequence[NewEvent],
        outgoing: Any,
        cursor: tuple[str, int] | None,
    ) -> Case: ...
    async def commit(
        self,
        *,
        at: datetime,
        changes: Sequence[tuple[int, dict[str, Any]]] = (),
        events: Sequence[tuple[int, NewEvent]] = (),
        outgoing: Sequence[Outgoing] = (),
        cursor: tuple[str, int] | None = None,
        deactivate_staff: int | None = None,
        audit_entry: tuple[int | None, str, str] | None = None,
    ) -> None: ...
    async def by_id(self, case_id: int) -> Case | None: ...
    async def by_number(self, number: str) -> Case | None: ...
    async def of_enterprise(self, enterprise_id: int, open_only: bool = False) -> list[Case]: ...
    async def open_cases(
        self, assignee_id: int | None = None, *, everyone: bool = False
    ) -> list[Case]: ...
    async def handled_by(self, case_id: int, staff_id: int) -> bool: ...
    async def history(self, case_id: int) -> list[CaseEvent]: ...
    async def case_of_message(self, chat_id: int, message_id: int) -> int | None: ...
    async def last_ack(
        self, case_id: int, actor_kind: str, actor_id: int | None
    ) -> datetime | None: ...


class PeoplePort(Protocol):
    """Who is who: staff loads and contacts, enterprises, admins."""

    async def loads(self) -> list[Candidate]: ...
    async def cursors(self) -> dict[str, int]: ...
    async def by_id(self, staff_id: int) -> Staff | None: ...
    async def contacts_of(self, enterprise_id: int) -> list[Contact]: ...
    async def enterprise(self, enterprise_id: int) -> Enterprise | None: ...
    async def active_chat(self, telegram_id: int) -> bool: ...


class Waker(Protocol):
    """The outbox sender, told that something was enqueued."""

    def wake(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: their Telegram id, role, and staff or owner record."""

    telegram_id: int
    role: Role
    staff: Staff | None = None
    registration: Registration | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document the bot received, to be copied (never forwarded)."""

    kind: str  # photo, document
    file_id: str
    file_name: str | None
    chat_id: int
    message_id: int
    caption: str | None = None


class NotAllowed(PermissionError):
    """The actor may not see or change this case."""


class CaseClosed(ValueError):
    """The case is closed: its buttons and actions have expired."""


class CaseService:
    """Everything that happens to cases."""

    def __init__(
        self,
        cases: CaseStorePort,
        people: PeoplePort,
        clock: Clock,
        categories: Sequence[Category],
        admins: Sequence[int],
        waker: Waker | None = None,
    ) -> None:
        self._cases = cases
        self._people = people
        self._clock = clock
        self._categories = {c.id: c for c in categories}
        self._admins = tuple(admins)
        self.waker = waker
        # Routing reads loads and cursors, then writes the assignment: two cases routed at
        # once would both see the same loads. One routing decision at a time (one process).
        self._routing = asyncio.Lock()

    # -- queries ------------------------------------------------------------------------------
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
        """Owners see their enterprise's cases; staff those assigned to them now or before."""
        if actor.role is Role.ADMIN:
            return
        if actor.role is Role.OWNER:
            if actor.registration and actor.registration.enterprise.id == case.enterprise_id:
                return
        elif actor.staff is not None and await self._cases.handled_by(case.id, actor.staff.id):
            return
        raise NotAllowed(case.number)

    def check_act(self, actor: Actor, case: Case) -> None:
        """Staff act only on cases assigned to them now; admins on all."""
        if actor.role is Role.ADMIN:
            return
        if actor.staff is not None and case.assignee_id == actor.staff.id:
            return
        raise NotAllowed(case.number)

    async def case_of_message(self, chat_id: int, message_id: int) -> Case | None:
        """The case a message the bot showed belongs to."""
        case_id = await self._cases.case_of_message(chat_id, message_id)
        return await self._cases.by_id(case_id) if case_id is not None else None

    async def owner_cases(self, actor: Actor, open_only: bool = False) -> list[Case]:
        """The owner's enterprise's cases, newest first."""
        assert actor.registration is not None
        return await self._cases.of_enterprise(actor.registration.enterprise.id, open_only)

    async def staff_cases(self, actor: Actor) -> list[Case]:
        """Open cases: one's own; for admins all of them (unassigned included). Overdue first."""
        if actor.role is Role.ADMIN:
            return await self._cases.open_cases(everyone=True)
        assert actor.staff is not None
        return await self._cases.open_cases(actor.staff.id)

    async def history(self, actor: Actor, case: Case) -> list[CaseEvent]:
        """The case's history as the actor may see it (owners: no notes, no internals)."""
        await self.check_view(actor, case)
        events = await self._cases.history(case.id)
        if actor.role is Role.OWNER:
            events = [e for e in events if e.kind not in PRIVATE_KINDS]
        return events

    async def describe(self, case: Case) -> dict[str, Any]:
        """Template context describing a case (no personal data of the owner)."""
        enterprise = await self._people.enterprise(case.enterprise_id)
        assignee = await self._people.by_id(case.assignee_id) if case.assignee_id else None
        return {
            "number": case.number,
            "category": case.category,
            "urgency": case.urgency.value,
            "description": case.description,
            "status": case.status.value,
            "enterprise": enterprise.name if enterprise else "",
            "district": enterprise.district if enterprise else "",
            "due": case.sla_due_at.isoformat(),
            "overdue": case.is_open
            and case.first_response_at is None
            and case.sla_due_at < self._clock.now(),
            "assignee": _signature(assignee),
        }

    # -- intake -------------------------------------------------------------------------------
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
        category = self._categories.get(category_id)
        if registration is None or category is None:
            raise NotAllowed(category_id)
        async with self._routing:
            return await self._open_routed(
                actor, registration, category, urgency, description, attachments, dialog
            )

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
        decision = await self._route(category, registration.enterprise)
        assignee = await self._people.by_id(decision.staff_id) if decision.staff_id else None
        due = now + timedelta(hours=category.sla_hours[urgency.value])
        events = [
            NewEvent("owner", registration.contact.id, "opened", description),
            *(_attachment_event("owner", registration.contact.id, a) for a in attachments),
            _assignment_event(decision),
        ]
        admins = await self._admin_chats()

        def messages(case: Case) -> list[Outgoing]:
            context = _card_context(case, registration.enterprise, category, assignee)
            out = [Outgoing(actor.telegram_id, "cases/opened", context, case_id=case.id)]
            if assignee is not None and assignee.telegram_id is not None:
                out += self._card(case, assignee.telegram_id, context, attachments)
            else:
                out += [
                    Outgoing(a, "cases/unassigned_alert", context, case_id=case.id) for a in admins
                ]
                for admin in admins:
                    out += _copies(admin, case, attachments, context)
            return out

        case = await self._cases.open_case(
            NewCase(
                registration.enterprise.id,
                registration.contact.id,
                category.id,
                urgency,
                description,
                decision.staff_id,
                due,
                now,
                dialog,
            ),
            events,
            messages,
            (decision.pool, decision.staff_id) if decision.pool and decision.staff_id else None,
        )
        self._wake()
        return case

    def _card(
        self,
        case: Case,
        chat_id: int,
        context: dict[str, Any],
        attachments: Sequence[Attachment],
        template: str = "cases/card",
    ) -> list[Outgoing]:
        buttons = (
            (
                Button("case_accept", ("case", "accept", str(case.id))),
                Button("case_reply", ("case", "reply", str(case.id))),
            ),
            (
                Button("case_transfer", ("case", "transfer", str(case.id))),
                Button("case_resolve", ("case", "resolve", str(case.id))),
            ),
        )
        card = Outgoing(chat_id, template, context, buttons, case_id=case.id)
        return [card, *_copies(chat_id, case, attachments, context)]

    async def _route(
        self, category: Category, enterprise: Enterprise, exclude: Sequence[int] = ()
    ) -> Decision:
        return route(
            category, enterprise, await self._people.loads(), await self._people.cursors(), exclude
        )

    async def _admin_chats(self) -> list[int]:
        invited = [
            c.staff.telegram_id
            for c in await self._people.loads()
            if c.staff.role is Role.ADMIN and c.staff.active and c.staff.telegram_id is not None
        ]
        return list(dict.fromkeys([*self._admins, *invited]))

    # -- relay --------------------------------------------------------------------------------
    async def relay_from_owner(
        self, actor: Actor, case: Case, text: str | None, attachment: Attachment | None = None
    ) -> int:
        """What an owner wrote to a case: stored, then relayed to its staff (or admins)."""
        await self.check_view(actor, case)
        if not case.is_open and case.status is not CaseStatus.RESOLVED:
            raise CaseClosed(case.number)
        registration = actor.registration
        assert registration is not None
        contact = registration.contact
        assignee = await self._people.by_id(case.assignee_id) if case.assignee_id else None
        recipients = (
            [assignee.telegram_id]
            if assignee is not None and assignee.telegram_id is not None
            else await self._admin_chats()
        )
        context = {
            "number": case.number,
            "name": contact.name or "",
            "enterprise": registration.enterprise.name,
        }
        now = self._clock.now()
        ack = await self._due_ack(case, "owner", contact.id, now)
        event = _message_event("owner", contact.id, text, attachment, ack)
        out: list[Outgoing] = []
        for chat in recipients:
            out += _relay_messages(chat, case, "cases/from_owner", context, text, attachment)
        if ack:
            receipt = {"number": case.number, "assignee": _signature(assignee)}
            out.append(Outgoing(actor.telegram_id, "cases/ack_owner", receipt))
        await self._cases.commit(at=now, events=[(case.id, event)], outgoing=out)
        self._wake()
        return len(recipients)

    async def relay_from_staff(
        self, actor: Actor, case: Case, text: str | None, attachment: Attachment | None = None
    ) -> int:
        """A staff reply: stored, relayed to every active contact, signed; first response set."""
        self.check_act(actor, case)
        if not case.is_open:
            raise CaseClosed(case.number)
        contacts = [
            c
            for c in await self._people.contacts_of(case.enterprise_id)
            if c.telegram_id is not None and await self._people.active_chat(c.telegram_id)
        ]
        staff = actor.staff
        context = {"number": case.number, "signature": _signature(staff)}
        actor_id = staff.id if staff else None
        now = self._clock.now()
        # Nobody to deliver to is always said; otherwise a burst is confirmed once.
        ack = not contacts or await self._due_ack(case, "staff", actor_id, now)
        event = _message_event("staff", actor_id, text, attachment, ack)
        out: list[Outgoing] = []
        for contact in contacts:
            assert contact.telegram_id is not None
            out += _relay_messages(
                contact.telegram_id, case, "cases/from_staff", context, text, attachment
            )
        if ack:
            count = {"number": case.number, "count": len(contacts)}
            out.append(Outgoing(actor.telegram_id, "cases/ack_staff", count))
        changes: dict[str, Any] = {}
        if case.first_response_at is None:
            changes["first_response_at"] = now
        if case.status is CaseStatus.OPEN and case.assignee_id is not None:
            changes["status"] = CaseStatus.ACCEPTED
        await self._cases.commit(
            at=now,
            changes=[(case.id, changes)] if changes else [],
            events=[(case.id, event)],
            outgoing=out,
        )
        self._wake()
        return len(contacts)

    async def _due_ack(self, case: Case, kind: str, actor_id: int | None, now: datetime) -> bool:
        """Confirm the first message of a burst; the rest of the burst goes unconfirmed."""
        last = await self._cases.last_ack(case.id, kind, actor_id)
        return last is None or now - last >= ACK_WINDOW

    async def note(self, actor: Actor, case: Case, text: str) -> None:
        """A private note: history only, never relayed to the owner."""
        if actor.role is not Role.ADMIN:
            self.check_act(actor, case)
        staff_id = actor.staff.id if actor.staff else None
        await self._cases.commit(
            at=self._clock.now(), events=[(case.id, NewEvent("staff", staff_id, "note", text))]
        )

    # -- lifecycle ----------------------------------------------------------------------------
    async def accept(self, actor: Actor, case: Case) -> None:
        """The assignee takes the case; the owner is told who handles it."""
        self.check_act(actor, case)
        if case.status is not CaseStatus.OPEN:
            raise CaseClosed(case.number)
        staff = actor.staff
        out = await self._to_contacts(
            case, "cases/accepted", {"number": case.number, "signature": _signature(staff)}
        )
        await self._cases.commit(
            at=self._clock.now(),
            changes=[(case.id, {"status": CaseStatus.ACCEPTED})],
            events=[(case.id, NewEvent("staff", staff.id if staff else None, "accepted"))],
            outgoing=out,
        )
        self._wake()

    async def transfer(
        self, actor: Actor, case: Case, target: Staff | None, reason: str
    ) -> Staff | None:
        """Hand the case to someone else (or back to routing) with a private reason."""
        async with self._routing:
            return await self._transfer(actor, case, target, reason)

    async def _transfer(
        self, actor: Actor, case: Case, target: Staff | None, reason: str
    ) -> Staff | None:
        self.check_act(actor, case)
        if not case.is_open:
            raise CaseClosed(case.number)
        category = self._categories.get(case.category)
        enterprise = await self._people.enterprise(case.enterprise_id)
        assert enterprise is not None
        if target is None:
            assert category is not None
            exclude = [case.assignee_id] if case.assignee_id else []
            decision = await self._route(category, enterprise, exclude)
        else:
            if not target.routable:
                raise NotAllowed(target.display_name)
            decision = Decision(target.id, "transfer")
        new = await self._people.by_id(decision.staff_id) if decision.staff_id else None
        actor_id = actor.staff.id if actor.staff else None
        events = [
            (
                case.id,
                NewEvent(
                    "staff", actor_id, "transferred", reason, details={"to": decision.staff_id}
                ),
            ),
            (case.id, _assignment_event(decision)),
        ]
        out = await self._handover_messages(case, enterprise, category, new, decision, reason)
        await self._cases.commit(
            at=self._clock.now(),
            changes=[(case.id, {"assignee_id": decision.staff_id, "status": CaseStatus.OPEN})],
            events=events,
            outgoing=out,
            cursor=(decision.pool, decision.staff_id)
            if decision.pool and decision.staff_id
            else None,
        )
        self._wake()
        return new

    async def _handover_messages(
        self,
        case: Case,
        enterprise: Enterprise,
        category: Category | None,
        new: Staff | None,
        decision: Decision,
        reason: str,
    ) -> list[Outgoing]:
        context = _card_context(case, enterprise, category, new)
        context["reason"] = reason
        if new is not None and new.telegram_id is not None:
            out = self._card(case, new.telegram_id, context, (), template="cases/card_transferred")
            out += await self._to_contacts(
                case, "cases/reassigned", {"number": case.number, "signature": _signature(new)}
            )
            return out
        return [
            Outgoing(a, "cases/unassigned_alert", context, case_id=case.id)
            for a in await self._admin_chats()
        ]

    async def resolve(self, actor: Actor, case: Case) -> None:
        """Staff mark the case resolved; the owner is asked to confirm and rate it."""
        self.check_act(actor, case)
        if not case.is_open:
            raise CaseClosed(case.number)
        staff = actor.staff
        buttons = (
            tuple(
                Button("stars", ("case", "rate", str(case.id), str(n)), (str(n),))
                for n in range(1, 6)
            ),
            (Button("not_resolved", ("case", "reopen", str(case.id))),),
        )
        context = {"number": case.number, "signature": _signature(staff)}
        out = await self._to_contacts(case, "cases/resolved", context, buttons)
        await self._cases.commit(
            at=self._clock.now(),
            changes=[(case.id, {"status": CaseStatus.RESOLVED, "resolved_at": self._clock.now()})],
            events=[(case.id, NewEvent("staff", staff.id if staff else None, "resolved"))],
            outgoing=out,
        )
        self._wake()

    async def rate(self, actor: Actor, case: Case, stars: int, comment: str | None = None) -> None:
        """The owner confirms the resolution with 1-5 stars: the case closes."""
        await self.check_view(actor, case)
        if actor.role is not Role.OWNER or case.status is not CaseStatus.RESOLVED:
            raise CaseClosed(case.number)
        if not 1 <= stars <= 5:
            raise ValueError(stars)
        assert actor.registration is not None
        now = self._clock.now()
        out = await self._to_assignee(case, "cases/rated", {"number": case.number, "stars": stars})
        await self._cases.commit(
            at=now,
            changes=[(case.id, {"status": CaseStatus.CLOSED, "closed_at": now, "rating": stars})],
            events=[
                (
                    case.id,
                    NewEvent(
                        "owner",
                        actor.registration.contact.id,
                        "rated",
                        None,
                        details={"stars": stars},
                    ),
                )
            ],
            outgoing=out,
        )
        self._wake()

    async def comment(self, actor: Actor, case: Case, text: str) -> None:
        """An optional comment after rating."""
        await self.check_view(actor, case)
        assert actor.registration is not None
        out = await self._to_assignee(
            case, "cases/rating_comment", {"number": case.number, "text": text}
        )
        await self._cases.commit(
            at=self._clock.now(),
            changes=[(case.id, {"rating_comment": text})],
            events=[(case.id, NewEvent("owner", actor.registration.contact.id, "comment", text))],
            outgoing=out,
        )
        self._wake()

    async def reopen(self, actor: Actor, case: Case) -> None:
        """The owner says a resolved case is not resolved: it goes back to its assignee."""
        await self.check_view(actor, case)
        if actor.role is not Role.OWNER or case.status is not CaseStatus.RESOLVED:
            raise CaseClosed(case.number)
        assert actor.registration is not None
        out = await self._to_assignee(case, "cases/reopened", {"number": case.number})
        await self._cases.commit(
            at=self._clock.now(),
            changes=[(case.id, {"status": CaseStatus.ACCEPTED, "resolved_at": None})],
            events=[(case.id, NewEvent("owner", actor.registration.contact.id, "reopened"))],
            outgoing=out,
        )
        self._wake()

    async def close_by_owner(self, actor: Actor, case: Case) -> None:
        """The owner closes their own case (no longer needed)."""
        await self.check_view(actor, case)
        if actor.role is not Role.OWNER or case.status is CaseStatus.CLOSED:
            raise CaseClosed(case.number)
        assert actor.registration is not None
        now = self._clock.now()
        out = await self._to_assignee(case, "cases/closed_by_owner", {"number": case.number})
        await self._cases.commit(
            at=now,
            changes=[(case.id, {"status": CaseStatus.CLOSED, "closed_at": now})],
            events=[(case.id, NewEvent("owner", actor.registration.contact.id, "closed"))],
            outgoing=out,
        )
        self._wake()

    async def deactivate(self, actor: Actor, staff: Staff) -> int:
        """An admin deactivates a staff member: their open cases go back to routing."""
        async with self._routing:
            return await self._deactivate(actor, staff)

    async def _deactivate(self, actor: Actor, staff: Staff) -> int:
        if actor.role is not Role.ADMIN:
            raise NotAllowed(staff.display_name)
        cases = await self._cases.open_cases(staff.id)
        moved = 0
        for case in cases:
            category = self._categories.get(case.category)
            enterprise = await self._people.enterprise(case.enterprise_id)
            assert category is not None
            assert enterprise is not None
            decision = await self._route(category, enterprise, [staff.id])
            new = await self._people.by_id(decision.staff_id) if decision.staff_id else None
            out = await self._handover_messages(case, enterprise, category, new, decision, "")
            await self._cases.commit(
                at=self._clock.now(),
                changes=[(case.id, {"assignee_id": decision.staff_id, "status": CaseStatus.OPEN})],
                events=[(case.id, _assignment_event(decision))],
                outgoing=out,
                cursor=(decision.pool, decision.staff_id)
                if decision.pool and decision.staff_id
                else None,
            )
            moved += 1
        await self._cases.commit(
            at=self._clock.now(),
            deactivate_staff=staff.id,
            audit_entry=(actor.telegram_id, "deactivate", f"staff:{staff.id}"),
        )
        self._wake()
        return moved

    async def report_undeliverable(self, outgoing: Outgoing, error: str) -> None:
        """A case message to an owner could not be delivered: tell the case's assignee."""
        if outgoing.case_id is None or outgoing.template != "cases/from_staff":
            return
        case = await self._cases.by_id(outgoing.case_id)
        if case is None:
            return
        out = await self._to_assignee(
            case, "cases/undeliverable", {"number": case.number, "blocked": error.startswith("403")}
        )
        if out:
            await self._cases.commit(at=self._clock.now(), outgoing=out)
            self._wake()

    # -- helpers ------------------------------------------------------------------------------
    async def _to_contacts(
        self,
        case: Case,
        template: str,
        context: dict[str, Any],
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> list[Outgoing]:
        return [
            Outgoing(c.telegram_id, template, context, buttons, case_id=case.id)
            for c in await self._people.contacts_of(case.enterprise_id)
            if c.telegram_id is not None and await self._people.active_chat(c.telegram_id)
        ]

    async def _to_assignee(
        self, case: Case, template: str, context: dict[str, Any]
    ) -> list[Outgoing]:
        staff = await self._people.by_id(case.assignee_id) if case.assignee_id else None
        chats = (
            [staff.telegram_id]
            if staff is not None and staff.telegram_id is not None
            else await self._admin_chats()
        )
        return [Outgoing(chat, template, context, case_id=case.id) for chat in chats]

    def _wake(self) -> None:
        if self.waker is not None:
            self.waker.wake()


def _signature(staff: Staff | None) -> dict[str, str]:
    if staff is None:
        return {"name": "", "title": ""}
    return {"name": staff.display_name, "title": staff.title}


def _card_context(
    case: Case, enterprise: Enterprise, category: Category | None, assignee: Staff | None
) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category,
        "urgency": case.urgency.value,
        "description": case.description[:TEXT_PART],
        "enterprise": enterprise.name,
        "district": enterprise.district,
        "due": case.sla_due_at.isoformat(),
        "sla_hours": category.sla_hours[case.urgency.value] if category else None,
        "assignee": _signature(assignee),
    }


def _assignment_event(decision: Decision) -> NewEvent:
    if decision.staff_id is None:
        return NewEvent("system", None, "unassigned", None, details={"reason": decision.reason})
    return NewEvent(
        "system",
        None,
        "assigned",
        None,
        details={"staff_id": decision.staff_id, "reason": decision.reason},
    )


def _message_event(
    actor_kind: str,
    actor_id: int | None,
    text: str | None,
    attachment: Attachment | None,
    ack: bool,
) -> NewEvent:
    details: dict[str, Any] = {"acked": 1} if ack else {}
    if attachment is None:
        return NewEvent(actor_kind, actor_id, "message", text, details=details)
    return _attachment_event(actor_kind, actor_id, attachment, text, details)


def _attachment_event(
    actor_kind: str,
    actor_id: int | None,
    attachment: Attachment,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> NewEvent:
    return NewEvent(
        actor_kind,
        actor_id,
        "attachment",
        text if text is not None else attachment.caption,
        file_kind=attachment.kind,
        file_id=attachment.file_id,
        file_name=attachment.file_name,
        details=details or {},
    )


def _copies(
    chat_id: int, case: Case, attachments: Sequence[Attachment], context: dict[str, Any]
) -> list[Outgoing]:
    return [
        Outgoing(
            chat_id,
            "cases/attachment_caption",
            {**context, "caption": (a.caption or "")[:CAPTION_PART]},
            copy_from=(a.chat_id, a.message_id),
            case_id=case.id,
        )
        for a in attachments
    ]


def _relay_messages(
    chat_id: int,
    case: Case,
    template: str,
    context: dict[str, Any],
    text: str | None,
    attachment: Attachment | None,
) -> list[Outgoing]:
    if attachment is not None:
        caption = (text or attachment.caption or "")[:CAPTION_PART]
        return [
            Outgoing(
                chat_id,
                template,
                {**context, "text": caption, "part": 1, "parts": 1},
                copy_from=(attachment.chat_id, attachment.message_id),
                case_id=case.id,
            )
        ]
    parts = split_text(text or "", TEXT_PART)
    return [
        Outgoing(
            chat_id,
            template,
            {**context, "text": p, "part": i + 1, "parts": len(parts)},
            case_id=case.id,
        )
        for i, p in enumerate(parts)
    ]
