"""Who is told what about a case: the outbox messages each change causes (PRODUCT §3.3, §4).

Messages are described by template and context; the sender renders them in each recipient's
language at send time. Reminders, escalations and broadcasts will add their messages here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.cases import Attachment, albums
from bot.domain.models import Case, Category, Enterprise, NewEvent, Role, Staff
from bot.domain.outbox import Button, Outgoing, split_text
from bot.domain.ports import EnterpriseDirectory, Reachability, StaffDirectory
from bot.domain.routing import Decision

# Room left for the header in a 4096-character message.
TEXT_PART = 3800
CAPTION_PART = 900


class CaseMessages:
    """Builds the messages of case changes for the people concerned."""

    def __init__(
        self,
        staff: StaffDirectory,
        enterprises: EnterpriseDirectory,
        reachability: Reachability,
        admins: Sequence[int],
    ) -> None:
        self._staff = staff
        self._enterprises = enterprises
        self._reachability = reachability
        self._admins = tuple(admins)

    async def admin_chats(self) -> list[int]:
        """Configured admins, then invited active ones."""
        invited = [
            c.staff.telegram_id
            for c in await self._staff.loads()
            if c.staff.role is Role.ADMIN and c.staff.active and c.staff.telegram_id is not None
        ]
        return list(dict.fromkeys([*self._admins, *invited]))

    async def reachable_contacts(self, case: Case) -> list[int]:
        """The Telegram chats of the enterprise's contacts who have not blocked the bot."""
        return [
            c.telegram_id
            for c in await self._enterprises.contacts_of(case.enterprise_id)
            if c.telegram_id is not None and await self._reachability.active_chat(c.telegram_id)
        ]

    async def to_contacts(
        self,
        case: Case,
        template: str,
        context: dict[str, Any],
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> list[Outgoing]:
        """One message to every reachable contact of the case's enterprise."""
        return [
            Outgoing(chat, template, context, buttons, case_id=case.id)
            for chat in await self.reachable_contacts(case)
        ]

    async def assignee_chats(self, case: Case) -> tuple[Staff | None, list[int]]:
        """The assignee and their chat; with nobody assigned (or unbound), the admins."""
        staff = await self._staff.by_id(case.assignee_id) if case.assignee_id else None
        if staff is not None and staff.telegram_id is not None:
            return staff, [staff.telegram_id]
        return staff, await self.admin_chats()

    async def to_assignee(
        self, case: Case, template: str, context: dict[str, Any]
    ) -> list[Outgoing]:
        """One message to the assignee (or the admins when there is none)."""
        _, chats = await self.assignee_chats(case)
        return [Outgoing(chat, template, context, case_id=case.id) for chat in chats]

    async def handover(
        self,
        case: Case,
        enterprise: Enterprise,
        category: Category | None,
        new: Staff | None,
        reason: str,
    ) -> list[Outgoing]:
        """A transfer or re-routing: the new assignee's card and the owner's notice, or the
        admins' unassigned alert."""
        context = card_context(case, enterprise, category, new)
        context["reason"] = reason
        if new is not None and new.telegram_id is not None:
            out = card(case, new.telegram_id, context, (), template="cases/card_transferred")
            out += await self.to_contacts(
                case, "cases/reassigned", {"number": case.number, "signature": signature(new)}
            )
            return out
        return [
            Outgoing(a, "cases/unassigned_alert", context, case_id=case.id)
            for a in await self.admin_chats()
        ]


def opened(
    case: Case,
    owner_chat: int,
    enterprise: Enterprise,
    category: Category,
    assignee: Staff | None,
    attachments: Sequence[Attachment],
    admins: Sequence[int],
) -> list[Outgoing]:
    """A new case: the owner's receipt, and the card (or the admins' unassigned alert)."""
    context = card_context(case, enterprise, category, assignee)
    out = [Outgoing(owner_chat, "cases/opened", context, case_id=case.id)]
    if assignee is not None and assignee.telegram_id is not None:
        return out + card(case, assignee.telegram_id, context, attachments)
    out += [Outgoing(a, "cases/unassigned_alert", context, case_id=case.id) for a in admins]
    for admin in admins:
        out += copies(admin, case, attachments, context)
    return out


def signature(staff: Staff | None) -> dict[str, str]:
    """How a staff member signs relayed messages (configured admins: no record, empty)."""
    if staff is None:
        return {"name": "", "title": ""}
    return {"name": staff.display_name, "title": staff.title}


def card_context(
    case: Case, enterprise: Enterprise, category: Category | None, assignee: Staff | None
) -> dict[str, Any]:
    """What a case card shows."""
    return {
        "number": case.number,
        "category": case.category,
        "urgency": case.urgency.value,
        "description": case.description[:TEXT_PART],
        "enterprise": enterprise.name,
        "district": enterprise.district,
        "due": case.sla_due_at.isoformat(),
        "sla_hours": category.sla_hours[case.urgency.value] if category else None,
        "assignee": signature(assignee),
    }


def card(
    case: Case,
    chat_id: int,
    context: dict[str, Any],
    attachments: Sequence[Attachment],
    template: str = "cases/card",
) -> list[Outgoing]:
    """A case card with Accept / Reply / Transfer / Resolve, then copies of its attachments."""
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
    sent = Outgoing(chat_id, template, context, buttons, case_id=case.id)
    return [sent, *copies(chat_id, case, attachments, context)]


def rating_buttons(case: Case) -> tuple[tuple[Button, ...], ...]:
    """1-5 stars and "not solved yet", under a resolution notice."""
    return (
        tuple(
            Button("stars", ("case", "rate", str(case.id), str(n)), (str(n),)) for n in range(1, 6)
        ),
        (Button("not_resolved", ("case", "reopen", str(case.id))),),
    )


def copies(
    chat_id: int, case: Case, attachments: Sequence[Attachment], context: dict[str, Any]
) -> list[Outgoing]:
    """Copies (never forwards) of attachments, each with a rendered caption; an album as one
    album, and a kind that cannot carry a caption after a short message saying what it is."""
    out: list[Outgoing] = []
    for run in albums(attachments):
        own = run[0].caption if len(run) == 1 else None  # an album keeps its own captions
        caption = {**context, "caption": (own or "")[:CAPTION_PART]}
        out += _copy(chat_id, case, "cases/attachment_caption", caption, run)
    return out


def relayed(
    chat_id: int,
    case: Case,
    template: str,
    context: dict[str, Any],
    text: str | None,
    attachment: Attachment | None,
    album: Sequence[Attachment] = (),
) -> list[Outgoing]:
    """One relayed message: a copy with caption (an album together, after its signature), or
    text split into numbered parts."""
    items = list(album) or ([attachment] if attachment is not None else [])
    if items:
        # An album's own captions travel with its copies: its signature does not repeat them.
        own = items[0].caption if len(items) == 1 else None
        caption = (text or own or "")[:CAPTION_PART]
        signed = {**context, "text": caption, "part": 1, "parts": 1}
        return _copy(chat_id, case, template, signed, items)
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


def _copy(
    chat_id: int,
    case: Case,
    template: str,
    context: dict[str, Any],
    items: Sequence[Attachment],
) -> list[Outgoing]:
    """The copy of one attachment (or of one album), signed by the template: as its caption
    when it can carry one, else as a message just before it."""
    first = items[0]
    source = (first.chat_id, first.message_id)
    if len(items) == 1 and not first.captionless:
        return [Outgoing(chat_id, template, context, copy_from=source, case_id=case.id)]
    described = {**context, **item_context(items)}
    signature_first = Outgoing(chat_id, template, described, case_id=case.id)
    if len(items) == 1:
        copy = Outgoing(
            chat_id, template, described, copy_from=source, case_id=case.id, captioned=False
        )
    else:
        # The album's own captions travel with it (copyMessages keeps them).
        ids = tuple(sorted(a.message_id for a in items))
        copy = Outgoing(
            chat_id,
            template,
            described,
            copy_from=(first.chat_id, ids[0]),
            album=ids,
            case_id=case.id,
        )
    return [signature_first, copy]


def item_context(items: Sequence[Attachment]) -> dict[str, Any]:
    """What a signature message says of what follows it: the kind, or the album's kinds."""
    first = items[0]
    if len(items) > 1:
        return {"kind": "album", "count": len(items), "duration": None, "info": ""}
    return {"kind": first.kind, "count": 1, "duration": first.duration, "info": first.info or ""}


def assignment_event(decision: Decision) -> NewEvent:
    """The history entry of a routing decision."""
    if decision.staff_id is None:
        return NewEvent("system", None, "unassigned", None, details={"reason": decision.reason})
    return NewEvent(
        "system",
        None,
        "assigned",
        None,
        details={"staff_id": decision.staff_id, "reason": decision.reason},
    )


def message_event(
    actor_kind: str,
    actor_id: int | None,
    text: str | None,
    attachment: Attachment | None,
    ack: bool,
    album: Sequence[Attachment] = (),
) -> NewEvent:
    """The history entry of a relayed message (acked: its sender got a confirmation); an
    album is one entry listing its items."""
    details: dict[str, Any] = {"acked": 1} if ack else {}
    if album:
        captions = [a.caption for a in album if a.caption]
        details["items"] = [_item(a) for a in album]
        return NewEvent(
            actor_kind,
            actor_id,
            "attachment",
            text if text is not None else ("\n".join(captions) or None),
            file_kind="album",
            details=details,
        )
    if attachment is None:
        return NewEvent(actor_kind, actor_id, "message", text, details=details)
    return attachment_event(actor_kind, actor_id, attachment, text, details)


def attachment_event(
    actor_kind: str,
    actor_id: int | None,
    attachment: Attachment,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> NewEvent:
    """The history entry of an attachment."""
    return NewEvent(
        actor_kind,
        actor_id,
        "attachment",
        text if text is not None else attachment.caption,
        file_kind=attachment.kind,
        file_id=attachment.file_id or None,
        file_name=attachment.file_name,
        details={**(details or {}), **_item(attachment)},
    )


def _item(attachment: Attachment) -> dict[str, Any]:
    """What the history keeps of an item besides its file: kind, length, place or card."""
    item: dict[str, Any] = {"kind": attachment.kind}
    for key in ("file_id", "file_name", "duration", "info"):
        value = getattr(attachment, key)
        if value:
            item[key] = value
    return item


def is_overdue(case: Case, now: datetime) -> bool:
    """Open, never answered, past its SLA deadline."""
    return case.is_open and case.first_response_at is None and case.sla_due_at < now
