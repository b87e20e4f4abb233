"""Pending inputs and where free input goes (PRODUCT §3.3, §4).

`route` decides what a message outside any dialog is about, in this order: a Telegram reply to
a message of a case, an input the user was asked for (pending), an owner's only open case,
"which case?" for an owner with several, "reply to a case message" for staff, else nothing
(the FAQ answers). Every step of it is stored: a held message survives a restart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from bot.domain.cases import Actor
from bot.domain.models import Case, DialogState, Role
from bot.domain.pending import DIALOG_NAME, Held, Pending, PendingKind
from bot.domain.ports import DialogStore
from bot.services.cases.queries import CaseQueries


class Destination(enum.Enum):
    """Where a free input goes."""

    PENDING = "pending"  # the input the user was asked for
    CASE = "case"  # a case's conversation
    CHOOSE = "choose"  # an owner with several open cases: held, "which case?"
    # Held for "which case?", but one open case is left (the others ended meanwhile): every
    # held message goes to it. With none left, they are offered as a new request.
    HELD_TO_CASE = "held_to_case"
    HELD_NEW_REQUEST = "held_new_request"
    STAFF_WHICH = "staff_which"  # staff wrote without replying to a case message
    NONE = "none"  # not about a case: the FAQ / help answers


@dataclass(frozen=True, slots=True)
class Route:
    """The decision for one free input."""

    to: Destination
    pending: Pending | None = None
    case: Case | None = None
    choices: list[Case] = field(default_factory=list)


class PendingService:
    """The one-shot inputs the bot asked for, and the routing of free input."""

    def __init__(self, dialogs: DialogStore, queries: CaseQueries) -> None:
        self._dialogs = dialogs
        self._queries = queries

    async def current(self, chat_id: int, user_id: int) -> Pending | None:
        """The input the user was asked for, if any."""
        stored = await self._dialogs.load_dialog(DIALOG_NAME, chat_id, user_id)
        return Pending.from_data(stored.state, stored.data) if stored else None

    async def expect(self, chat_id: int, user_id: int, pending: Pending) -> None:
        """Remember that the user's next input is of this kind (replacing any other)."""
        dialog = DialogState(DIALOG_NAME, chat_id, user_id, pending.kind.value, pending.to_data())
        await self._dialogs.save_dialog(dialog)

    async def forget(self, chat_id: int, user_id: int) -> bool:
        """Drop the pending input; return whether there was one."""
        had = await self.current(chat_id, user_id) is not None
        await self._dialogs.delete_dialog(DIALOG_NAME, chat_id, user_id)
        return had

    async def hold_more(self, chat_id: int, user_id: int, held: Held) -> bool:
        """Add a message to those held for "which case?" or a closed case's offer (a further
        item of an album whose first item was held); False when nothing is held."""
        pending = await self.current(chat_id, user_id)
        if pending is None or pending.kind not in (
            PendingKind.CHOOSE_CASE,
            PendingKind.NEW_REQUEST,
        ):
            return False
        await self.expect(chat_id, user_id, replace(pending, held=(*pending.held, held)))
        return True

    async def route(self, actor: Actor, chat_id: int, reply_to: int | None, held: Held) -> Route:
        """Decide where a free input goes; an owner's message for "which case?" is held."""
        # A Telegram reply to a message of a case always goes to that case: a pending prompt
        # (Reply pressed on another case, a transfer reason) takes only input that is not such
        # a reply, and stays pending.
        if reply_to is not None:
            case = await self._queries.case_of_message(chat_id, reply_to)
            if case is not None:
                return Route(Destination.CASE, case=case)
        pending = await self.current(chat_id, actor.telegram_id)
        if pending is not None and pending.kind is PendingKind.NEW_REQUEST:
            # The offer to send a closed case's message as a new request does not hold the
            # next message: the owner moved on, so it is routed as usual.
            await self.forget(chat_id, actor.telegram_id)
            pending = None
        if pending is not None and pending.kind is PendingKind.CHOOSE_CASE:
            return await self._hold(actor, chat_id, (*pending.held, held))
        if pending is not None:
            return Route(Destination.PENDING, pending=pending)
        if actor.role is Role.DEACTIVATED:
            return Route(Destination.NONE)
        if actor.role is not Role.OWNER:
            return Route(Destination.STAFF_WHICH)
        if actor.registration is None:
            return Route(Destination.NONE)
        open_cases = await self._queries.owner_cases(actor, open_only=True)
        if len(open_cases) == 1:
            return Route(Destination.CASE, case=open_cases[0])
        if len(open_cases) > 1:
            return await self._hold(actor, chat_id, (held,), open_cases)
        return Route(Destination.NONE)

    async def _hold(
        self,
        actor: Actor,
        chat_id: int,
        held: tuple[Held, ...],
        open_cases: list[Case] | None = None,
    ) -> Route:
        """Keep every message written before the owner chose (stored), and ask again; unless
        the choice is gone: one open case left takes them all, none left offers a new request."""
        if open_cases is None:
            open_cases = await self._queries.owner_cases(actor, open_only=True)
        if not open_cases:
            offer = Pending(PendingKind.NEW_REQUEST, held=held)
            await self.expect(chat_id, actor.telegram_id, offer)
            return Route(Destination.HELD_NEW_REQUEST, pending=offer)
        waiting = Pending(PendingKind.CHOOSE_CASE, held=held)
        await self.expect(chat_id, actor.telegram_id, waiting)
        if len(open_cases) == 1:
            return Route(Destination.HELD_TO_CASE, pending=waiting, case=open_cases[0])
        return Route(Destination.CHOOSE, pending=waiting, choices=open_cases)
