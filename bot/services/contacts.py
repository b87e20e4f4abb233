"""Who speaks for an enterprise (PRODUCT §3.1): join requests, approval, refusal, removal.

The rules are bot.domain.contacts'; this service writes each decision with its audit entry
and the messages it causes in one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.cases import Actor, NotAllowed
from bot.domain.contacts import joins_as, lapsed, may_decide, oversees
from bot.domain.models import (
    AuditAction,
    AuditEntry,
    Contact,
    ContactStatus,
    Enterprise,
    Registration,
    Role,
)
from bot.domain.outbox import Button, Outgoing
from bot.domain.phone import masked
from bot.domain.ports import Clock, ContactStore, StaffDirectory, Waker


class Decision(enum.StrEnum):
    """What is done with a contact."""

    APPROVE = "approve"
    REFUSE = "refuse"
    REMOVE = "remove"


_RESULT = {
    Decision.APPROVE: (ContactStatus.ACTIVE, AuditAction.APPROVE_CONTACT, "contacts/approved"),
    Decision.REFUSE: (ContactStatus.REFUSED, AuditAction.REFUSE_CONTACT, "contacts/refused"),
    Decision.REMOVE: (ContactStatus.REMOVED, AuditAction.REMOVE_CONTACT, "contacts/removed"),
}


class Stale(ValueError):
    """The request was decided by someone else, lapsed, or the contact changed meanwhile."""


@dataclass(frozen=True, slots=True)
class ContactList:
    """An enterprise's contacts as /contacts shows them, and who may be decided on."""

    enterprise: Enterprise
    contacts: list[Contact]
    decidable: list[Contact]


class ContactService:
    """Join requests and the decisions on them."""

    def __init__(
        self,
        contacts: ContactStore,
        staff: StaffDirectory,
        clock: Clock,
        admins: Sequence[int],
        request_days: int,
        waker: Waker,
    ) -> None:
        self._contacts = contacts
        self._staff = staff
        self._clock = clock
        self._admins = tuple(admins)
        self.request_days = request_days
        self._waker = waker

    async def joins_as(
        self,
        telegram_id: int,
        enterprise: Enterprise | None,
        saved: Registration | None,
        phone: str,
        phone_shared: bool,
    ) -> tuple[ContactStatus, bool]:
        """The status a confirmed registration gives its contact, and whether that is a new
        join request (to be sent for approval)."""
        if saved is not None and enterprise is not None and saved.enterprise.id == enterprise.id:
            status = saved.contact.status
            if status is ContactStatus.ACTIVE:
                return status, False  # editing one's own registration
            if status is ContactStatus.PENDING and not lapsed(
                saved.contact, self._clock.now(), self.request_days
            ):
                return status, False  # still waiting: no second request
        others = []
        if enterprise is not None:
            others = [
                c
                for c in await self._contacts.contacts_of(enterprise.id)
                if c.telegram_id != telegram_id
            ]
        status = joins_as(enterprise, others, phone, phone_shared)
        return status, status is ContactStatus.PENDING

    async def request_messages(
        self, enterprise: Enterprise, name: str, phone: str, requester: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """Who is asked to approve (active contacts, the liaison and deputy; admins when the
        enterprise has no liaison), each with the request's context."""
        chats = [
            c.telegram_id
            for c in await self._contacts.contacts_of(enterprise.id)
            if c.telegram_id is not None and c.telegram_id != requester
        ]
        liaisons = [
            s
            for s in [
                await self._staff.by_id(i)
                for i in (enterprise.liaison_id, enterprise.deputy_liaison_id)
                if i is not None
            ]
            if s is not None and s.active and s.telegram_id is not None
        ]
        chats += [s.telegram_id for s in liaisons if s.telegram_id is not None]
        if not liaisons:
            chats += list(self._admins)
        context = {
            "enterprise": enterprise.name,
            "name": name,
            "phone": masked(phone),
            "days": self.request_days,
        }
        return [(chat, context) for chat in dict.fromkeys(chats)]

    @staticmethod
    def request_outgoing(
        recipients: list[tuple[int, dict[str, Any]]], contact_id: int
    ) -> list[Outgoing]:
        """The join request with Approve / Refuse, once the contact's id is known."""
        buttons = (
            (
                Button("contact_approve", ("contact", "approve", str(contact_id))),
                Button("contact_refuse", ("contact", "refuse", str(contact_id))),
            ),
        )
        return [
            Outgoing(chat, "contacts/join_request", context, buttons)
            for chat, context in recipients
        ]

    async def decide(self, actor: Actor, contact_id: int, decision: Decision) -> Registration:
        """Approve or refuse a request, or remove a contact; raises NotAllowed or Stale."""
        found = await self._contacts.contact(contact_id)
        if found is None:
            raise Stale(contact_id)
        if not may_decide(actor, found.enterprise, found.contact):
            raise NotAllowed(contact_id)
        now = self._clock.now()
        if decision is not Decision.REMOVE and lapsed(found.contact, now, self.request_days):
            raise Stale(contact_id)
        status, action, template = _RESULT[decision]
        told = found.contact.telegram_id
        out = (
            [Outgoing(told, template, {"enterprise": found.enterprise.name})]
            if told is not None
            else []
        )
        done = await self._contacts.decide_contact(
            contact_id,
            status,
            by=actor.telegram_id,
            at=now,
            audit_entry=AuditEntry(actor.telegram_id, action, f"contact:{contact_id}"),
            outgoing=out,
        )
        if not done:
            raise Stale(contact_id)
        self._waker.wake()
        return found

    async def listing(self, actor: Actor, credit_code: str | None) -> ContactList:
        """/contacts: an owner's own enterprise; admins and its liaison name one by code."""
        if actor.role is Role.OWNER:
            if actor.registration is None or credit_code:
                raise NotAllowed(credit_code or "")
            enterprise = actor.registration.enterprise
        else:
            found = await self._contacts.enterprise_by_code(credit_code or "")
            if found is None:
                raise LookupError(credit_code)
            enterprise = found
            if not oversees(actor, enterprise):
                raise NotAllowed(credit_code or "")
        everyone = await self._contacts.everyone_of(enterprise.id)
        shown = [c for c in everyone if c.status in (ContactStatus.ACTIVE, ContactStatus.PENDING)]
        now = self._clock.now()
        decidable = [
            c
            for c in shown
            if may_decide(actor, enterprise, c) and not lapsed(c, now, self.request_days)
        ]
        return ContactList(enterprise, shown, decidable)
