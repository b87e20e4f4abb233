"""The conversation of a case: owners' and staff's messages relayed, notes, undeliverables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.cases import (
    UNSET,
    Action,
    Actor,
    AlbumKey,
    Attachment,
    CaseChange,
    CaseCommit,
    NotAllowed,
    check,
    may_act,
)
from bot.domain.models import Case, CaseStatus, NewEvent
from bot.domain.outbox import Outgoing
from bot.domain.ports import CaseStore, Clock, Waker
from bot.domain.timers import CaseTimers
from bot.services.cases.messages import CaseMessages, message_event, relayed, signature
from bot.services.cases.queries import CaseQueries

# A burst of messages to a case is confirmed once: no new confirmation within this window.
ACK_WINDOW = timedelta(seconds=60)


class RelayService:
    """Messages to and from a case."""

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

    async def from_owner(
        self,
        actor: Actor,
        case: Case,
        text: str | None,
        attachment: Attachment | None = None,
        album: Sequence[Attachment] = (),
        collected: AlbumKey | None = None,
    ) -> int:
        """What an owner wrote to a case: stored, relayed to its staff (or admins), confirmed.
        An album is one message: one history entry, one relay, one confirmation."""
        await self._queries.check_view(actor, case)
        check(actor, case, Action.OWNER_MESSAGE)
        registration = actor.registration
        assert registration is not None
        contact = registration.contact
        assignee, recipients = await self._messages.assignee_chats(case)
        context = {
            "number": case.number,
            "name": contact.name or "",
            "enterprise": registration.enterprise.name,
        }
        now = self._clock.now()
        receipt = {"number": case.number, "assignee": signature(assignee)}
        ack, confirmation = await self._confirmation(
            case, "owner", contact.id, actor.telegram_id, "cases/ack_owner", receipt, now
        )
        event = message_event("owner", contact.id, text, attachment, ack, album)
        out: list[Outgoing] = []
        for chat in recipients:
            out += relayed(chat, case, "cases/from_owner", context, text, attachment, album)
        out.append(confirmation)
        await self._cases.commit(
            CaseCommit(
                at=now,
                events=[(case.id, event)],
                outgoing=out,
                timers=self._timers.owner_wrote(case.id),
                album=collected,
            )
        )
        self._waker.wake()
        return len(recipients)

    async def from_staff(
        self,
        actor: Actor,
        case: Case,
        text: str | None,
        attachment: Attachment | None = None,
        album: Sequence[Attachment] = (),
        collected: AlbumKey | None = None,
    ) -> int:
        """A staff reply: stored, relayed to every active contact, signed, confirmed; first
        response set."""
        check(actor, case, Action.STAFF_MESSAGE)
        contacts = await self._messages.reachable_contacts(case)
        context = {"number": case.number, "signature": signature(actor.staff)}
        now = self._clock.now()
        count = {"number": case.number, "count": len(contacts)}
        ack, confirmation = await self._confirmation(
            case, "staff", actor.staff_id, actor.telegram_id, "cases/ack_staff", count, now
        )
        if not contacts and not ack:  # nobody to deliver to is always said in a message
            ack, confirmation = True, replace(confirmation, edit_of=None, context=count)
        event = message_event("staff", actor.staff_id, text, attachment, ack, album)
        out: list[Outgoing] = []
        for chat in contacts:
            out += relayed(chat, case, "cases/from_staff", context, text, attachment, album)
        out.append(confirmation)
        # The first reply by the assignee accepts an open case.
        accepts = case.status is CaseStatus.OPEN and case.assignee_id is not None
        change = CaseChange(
            case.id,
            first_response_at=now if case.first_response_at is None else UNSET,
            status=CaseStatus.ACCEPTED if accepts else UNSET,
        )
        # A first reply ends the SLA's reminder and escalation; the owner is followed up if
        # they leave the message unanswered.
        timers = self._timers.answered(case.id) if case.first_response_at is None else []
        if contacts:
            timers += self._timers.staff_wrote(case.id, now)
        await self._cases.commit(
            CaseCommit(
                at=now,
                changes=[change] if change.values() else [],
                events=[(case.id, event)],
                outgoing=out,
                timers=timers,
                album=collected,
            )
        )
        self._waker.wake()
        return len(contacts)

    async def _confirmation(
        self,
        case: Case,
        kind: str,
        actor_id: int | None,
        chat: int,
        template: str,
        context: dict[str, Any],
        now: datetime,
    ) -> tuple[bool, Outgoing]:
        """Every message is confirmed: the first of a burst by a new message, the rest by
        editing that one to count them ("3 messages sent to …"). True: a new confirmation."""
        last = await self._cases.last_ack(case.id, kind, actor_id, chat, template)
        if last is None or last.outbox_id is None or now - last.at >= ACK_WINDOW:
            return True, Outgoing(chat, template, {**context, "messages": 1}, case_id=case.id)
        counted = {**context, "messages": last.messages_since + 1}
        return False, Outgoing(chat, template, counted, case_id=case.id, edit_of=last.outbox_id)

    async def note(self, actor: Actor, case: Case, text: str) -> None:
        """A private note: history only, never relayed to the owner (any status)."""
        if not may_act(actor, case):
            raise NotAllowed(case.number)
        await self._cases.commit(
            CaseCommit(
                at=self._clock.now(),
                events=[(case.id, NewEvent("staff", actor.staff_id, "note", text))],
            )
        )

    async def report_undeliverable(self, outgoing: Outgoing, error: str) -> None:
        """A case message to an owner could not be delivered: tell the case's assignee. A copy
        Telegram refused (its message deleted meanwhile, or a kind it will not copy): tell the
        one who sent it, so that nothing is lost without a word."""
        if outgoing.case_id is not None and outgoing.copy_from and error.startswith("400"):
            await self._copy_refused(outgoing)
            return
        if outgoing.case_id is None or outgoing.template != "cases/from_staff":
            return
        case = await self._cases.by_id(outgoing.case_id)
        if case is None:
            return
        out = await self._messages.to_assignee(
            case, "cases/undeliverable", {"number": case.number, "blocked": error.startswith("403")}
        )
        if out:
            await self._cases.commit(CaseCommit(at=self._clock.now(), outgoing=out))
            self._waker.wake()

    async def _copy_refused(self, outgoing: Outgoing) -> None:
        assert outgoing.case_id is not None
        assert outgoing.copy_from is not None
        case = await self._cases.by_id(outgoing.case_id)
        if case is None:
            return
        sender = outgoing.copy_from[0]
        notice = Outgoing(sender, "cases/copy_refused", {"number": case.number}, case_id=case.id)
        await self._cases.commit(CaseCommit(at=self._clock.now(), outgoing=[notice]))
        self._waker.wake()
