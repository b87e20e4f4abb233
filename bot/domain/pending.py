"""Pending inputs: the one message the bot asked a user for outside a dialog (PRODUCT §3.3, §4).

A staff member pressed Reply (their next message goes to that case), chose a transfer target
(their next text is the reason), an owner rated (their next text is a comment) or pressed Add
information, or an owner with several open cases wrote and was asked which case it is about
(the message is held until they choose). At most one is pending per user and chat; it is stored,
so it survives a restart. Diagram: docs/cases.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot.domain.cases import Attachment

DIALOG_NAME = "pending"


class PendingKind(enum.StrEnum):
    """What the next input is."""

    CHOOSE_CASE = "choose_case"  # a held message waits for the owner to pick its case
    REPLY = "reply"  # staff: the next message goes to case_id
    ADD_INFO = "add_info"  # owner: the next message goes to case_id
    TRANSFER_REASON = "transfer_reason"  # staff: the next text is the reason; target or routing
    COMMENT = "comment"  # owner: the next text comments the rating of case_id
    NEW_REQUEST = "new_request"  # owner wrote to closed case_id: held, offered as a new /ask


# Kinds whose input must be text (the others take any message a case takes).
TEXT_ONLY = frozenset({PendingKind.TRANSFER_REASON, PendingKind.COMMENT})


@dataclass(frozen=True, slots=True)
class Held:
    """A message kept while the owner chooses its case."""

    text: str | None
    attachment: Attachment | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialize for the dialogs table."""
        return {
            "text": self.text,
            "attachment": self.attachment.to_dict() if self.attachment else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Held:
        """Rebuild from the dialogs table."""
        raw = data.get("attachment")
        text = data.get("text")
        return cls(
            str(text) if text else None,
            Attachment.from_dict(raw) if isinstance(raw, dict) else None,
        )


def runs(held: tuple[Held, ...]) -> list[tuple[Held, ...]]:
    """Held messages in order, the items of one album together (relayed as one album)."""
    grouped: list[list[Held]] = []
    for h in held:
        group = h.attachment.group if h.attachment else None
        last = grouped[-1][-1].attachment if grouped else None
        if group is not None and last is not None and last.group == group:
            grouped[-1].append(h)
        else:
            grouped.append([h])
    return [tuple(g) for g in grouped]


@dataclass(frozen=True, slots=True)
class Pending:
    """The input a user was asked for."""

    kind: PendingKind
    case_id: int | None = None
    target: int | None = None  # TRANSFER_REASON: the staff id, None for back to routing
    held: tuple[Held, ...] = ()  # CHOOSE_CASE: the messages waiting for their case, in order

    def to_data(self) -> dict[str, Any]:
        """The stored answers of the pending dialog row."""
        stored: dict[str, Any] = {}
        if self.case_id is not None:
            stored["case_id"] = self.case_id
        if self.kind is PendingKind.TRANSFER_REASON:
            stored["target"] = self.target
        if self.held:
            stored["held"] = [h.to_dict() for h in self.held]
        return stored

    @classmethod
    def from_data(cls, kind: str, data: dict[str, Any]) -> Pending:
        """Rebuild from a stored pending dialog row."""
        pending_kind = PendingKind(kind)
        case_id = data.get("case_id")
        target = data.get("target")
        held: tuple[Held, ...] = ()
        if pending_kind in (PendingKind.CHOOSE_CASE, PendingKind.NEW_REQUEST):
            raw = data.get("held")
            # Rows stored before held lists kept one message's keys at the top level.
            items = raw if isinstance(raw, list) else [data]
            held = tuple(Held.from_dict(h) for h in items if isinstance(h, dict))
        return cls(
            pending_kind,
            case_id=int(case_id) if case_id is not None else None,
            target=int(target) if target is not None else None,
            held=held,
        )
