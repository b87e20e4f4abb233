"""Live events for the page: every change the emulator reports, numbered, to each open page."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..models import CallbackAnswer, Message, Refusal
from ..state import FakeState
from .views import message_view

__all__ = ["EventHub"]

_QUEUE_SIZE = 2000


class EventHub:
    """Turns the emulator's observations into numbered JSON events for subscribers.

    ``seq`` counts the events; each message remembers the number of its latest change
    (``rev``), so a page that fetched a chat at ``seq`` N can tell which of the events it
    receives are newer than what it fetched.
    """

    def __init__(self, api: FakeState) -> None:
        self.api = api
        self.seq = 0
        self._revs: dict[tuple[int, int], int] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        api.add_observer(self._observe)

    def rev(self, message: Message) -> int:
        """The event number of the message's latest change (0: before the page was up)."""
        return self._revs.get((message.chat_id, message.message_id), 0)

    def view(self, message: Message) -> dict[str, Any]:
        """The message as the page draws it, with its rev."""
        return message_view(self.api, message, self.rev(message))

    def _observe(self, event: str, subject: Any) -> None:
        if isinstance(subject, Message):
            seq = self.seq + 1
            self._revs[(subject.chat_id, subject.message_id)] = seq
            self.publish(
                {
                    "type": "message",
                    "event": event.removeprefix("message."),
                    "chat_id": subject.chat_id,
                    "message": message_view(self.api, subject, seq),
                }
            )
        elif isinstance(subject, CallbackAnswer):
            self.publish(
                {
                    "type": "answer",
                    "chat_id": subject.chat_id,
                    "message_id": subject.message_id,
                    "text": subject.text,
                    "show_alert": subject.show_alert,
                    "url": subject.url,
                }
            )
        elif isinstance(subject, Refusal):
            self.publish({"type": "refusal", "refusal": subject.to_dict()})

    def publish(self, event: dict[str, Any]) -> None:
        """Number an event and hand it to every subscriber (a stalled one is dropped)."""
        self.seq += 1
        event["seq"] = self.seq
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)  # ends its stream; the page reconnects and refetches

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue receiving every event from now on; ``None`` means the stream ends."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(_QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Stop delivering to a queue."""
        self._subscribers.discard(queue)

    def close(self) -> None:
        """End every stream (at shutdown)."""
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._subscribers.clear()
