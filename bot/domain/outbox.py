"""What the outbox carries: a message described by template and context, rendered at send time
in the recipient's language, with buttons signed for the recipient at send time too."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any


class Lane(IntEnum):
    """Which traffic goes first: the lower value, across chats and within one chat."""

    CASE = 0  # relays, case cards, receipts, alerts: someone is waiting for them
    BULK = 1  # broadcasts and other sends to many


class Kind(Enum):
    """What the sender does with a message."""

    MESSAGE = "message"  # send a rendered template
    COPY = "copy"  # copy a message the bot received, with a rendered caption
    EDIT = "edit"  # replace the text and buttons of a message the outbox sent earlier
    PHOTO = "photo"  # upload an image (bytes) with a rendered caption
    ALBUM = "album"  # copy an album the bot received, kept together (no caption of ours)


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label (a macro of buttons.html, with arguments) and its action."""

    label: str
    action: tuple[str, ...]
    label_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message that must arrive.

    A rendered template (template + context), and at most one of: a copy of a message the bot
    received (copy_from = (chat_id, message_id)) with the template as caption; a photo (bytes)
    with the template as caption; or an edit of the text and buttons of an earlier message
    (edit_of = the outbox id of its send, to the same chat and in the same lane; docs/cases.md).
    A copy of a kind that cannot carry a caption has captioned=False (the template is then not
    sent: the signature goes as a message of its own just before). An album copies the
    messages album (ascending ids, in copy_from's chat) together; copy_from names its first.
    case_id, when set, links the sent message to the case, so that a Telegram reply to it
    reaches the case. bulk_id groups the messages of one broadcast, for its progress counts.
    """

    chat_id: int
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    copy_from: tuple[int, int] | None = None
    case_id: int | None = None
    lane: Lane = Lane.CASE
    bulk_id: int | None = None
    edit_of: int | None = None
    photo: bytes | None = None
    captioned: bool = True
    album: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.copy_from, self.edit_of, self.photo)) > 1:
            raise ValueError("an outgoing message is a copy, an edit or a photo, not several")
        if self.photo is not None and not self.photo:
            raise ValueError("a photo needs its bytes")
        if self.album and (self.copy_from is None or self.copy_from[1] != self.album[0]):
            raise ValueError("an album is copied from the chat and first message of copy_from")
        if any(b <= a for a, b in itertools.pairwise(self.album)):
            raise ValueError("an album's message ids must be ascending")

    @property
    def kind(self) -> Kind:
        """What the sender does with it."""
        if self.album:
            return Kind.ALBUM
        if self.copy_from is not None:
            return Kind.COPY
        if self.edit_of is not None:
            return Kind.EDIT
        if self.photo is not None:
            return Kind.PHOTO
        return Kind.MESSAGE

    def to_json(self) -> str:
        """Serialize what is rendered at send time (lane, bulk, edit target, photo: columns)."""
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
                **({} if self.captioned else {"captioned": False}),
                **({"album": list(self.album)} if self.album else {}),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(
        cls,
        chat_id: int,
        case_id: int | None,
        payload: str,
        *,
        lane: Lane = Lane.CASE,
        bulk_id: int | None = None,
        edit_of: int | None = None,
        photo: bytes | None = None,
    ) -> Outgoing:
        """Rebuild from an outbox row (rows written before lanes and kinds read the same)."""
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
            lane=lane,
            bulk_id=bulk_id,
            edit_of=edit_of,
            photo=photo,
            captioned=bool(data.get("captioned", True)),
            album=tuple(int(i) for i in data.get("album", ())),
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed message, how often it was tried, and for an edit the message it changes."""

    id: int
    outgoing: Outgoing
    attempts: int
    # Telegram's id of the message an edit changes; None when its send was given up.
    target_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Counts for monitoring and tests."""

    pending: int
    sending: int
    sent: int
    failed: int
    uncertain: int


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """How far one bulk send (a broadcast) has come."""

    sent: int
    failed: int  # given up, for any reason but a blocked bot
    blocked: int  # given up because the recipient blocked the bot
    pending: int  # not finished yet: waiting, held for a retry, or in flight
    uncertain: int = 0  # sent, but a send before may have arrived too (in flight at a crash)

    @property
    def total(self) -> int:
        """Every message of the bulk send."""
        return self.sent + self.failed + self.blocked + self.pending


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
