"""What the outbox carries: a message described by template and context, rendered at send time
in the recipient's language, with buttons signed for the recipient at send time too."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label (a macro of buttons.html, with arguments) and its action."""

    label: str
    action: tuple[str, ...]
    label_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message that must arrive.

    Either a rendered template (template + context) or a copy of a message the bot received
    (copy_from = (chat_id, message_id)) with a rendered caption. case_id, when set, links the
    sent message to the case, so that a Telegram reply to it reaches the case.
    """

    chat_id: int
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    copy_from: tuple[int, int] | None = None
    case_id: int | None = None

    def to_json(self) -> str:
        """Serialize for the outbox table."""
        return json.dumps(
            {
                "template": self.template,
                "context": dict(self.context),
                "buttons": [
                    [
                        {"label": b.label, "action": list(b.action), "args": list(b.label_args)}
                        for b in row
                    ]
                    for row in self.buttons
                ],
                "copy_from": list(self.copy_from) if self.copy_from else None,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, chat_id: int, case_id: int | None, payload: str) -> Outgoing:
        """Rebuild from an outbox row."""
        data = json.loads(payload)
        copy = data.get("copy_from")
        return cls(
            chat_id=chat_id,
            template=data["template"],
            context=data.get("context", {}),
            buttons=tuple(
                tuple(Button(b["label"], tuple(b["action"]), tuple(b.get("args", ()))) for b in row)
                for row in data.get("buttons", [])
            ),
            copy_from=(int(copy[0]), int(copy[1])) if copy else None,
            case_id=case_id,
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed message and how often it was tried."""

    id: int
    outgoing: Outgoing
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Counts for monitoring and tests."""

    pending: int
    sending: int
    sent: int
    failed: int
    uncertain: int


def split_text(text: str, limit: int) -> list[str]:
    """Split user text into parts of at most limit characters, at line or word breaks."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n") if rest[cut : cut + 1] == "\n" else rest[cut:]
    if rest:
        parts.append(rest)
    return parts
