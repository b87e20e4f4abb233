"""Recurring notices (PRODUCT §6, issue 11 item 4): each cron occurrence sent once.

The truth is a row per notice (`notice_state`): the last occurrence handled. At `run_due(now)`
each notice whose next occurrence after it is due becomes a bulk send, and the row moves to the
*latest* occurrence up to now, in the same transaction: a bot that was down over several
occurrences sends one notice when it starts, not one per missed time, and a second run sends
nothing (bulk_sends has one row per notice and occurrence). A notice never handled counts from
the time the bot started with it configured, so adding one sends nothing for the past.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.domain.bulk import BulkKind, NewBulk
from bot.domain.notices import Notice
from bot.domain.outbox import Lane, Outgoing
from bot.domain.ports import BulkPort, Clock
from bot.domain.schedule import Upcoming
from bot.services.bulk import BulkService

_LOGGER = logging.getLogger(__name__)
# Occurrences walked to find the latest missed one (a minutely notice down for ~70 days).
_MAX_STEPS = 100_000


class NoticeWork:
    """The DueWork of config/notices.toml."""

    def __init__(
        self, notices: Sequence[Notice], store: BulkPort, bulk: BulkService, clock: Clock
    ) -> None:
        self.notices = tuple(notices)
        self._store = store
        self._bulk = bulk
        self._since = clock.now()  # notices never handled count from this start

    async def _state(self) -> dict[str, datetime]:
        state = await self._store.notice_state()
        missing = [n.id for n in self.notices if n.id not in state]
        if missing:
            await self._store.first_seen(missing, self._since)
            state.update(dict.fromkeys(missing, self._since))
        return state

    async def run_due(self, now: datetime) -> int:
        """Send every notice whose occurrence fell due; return how many were started."""
        if not self.notices:
            return 0
        state = await self._state()
        started = 0
        for notice in self.notices:
            occurrence = _latest(notice, state[notice.id], now)
            if occurrence is None:
                continue
            message = Outgoing(0, notice.template, {}, lane=Lane.BULK)
            bulk_id = await self._bulk.create(
                NewBulk(
                    BulkKind.NOTICE,
                    message,
                    notice.audience,
                    notice.urgent,
                    now,
                    notice_id=notice.id,
                    occurrence=occurrence,
                ),
                last_at=occurrence,
            )
            if bulk_id is not None:
                started += 1
                _LOGGER.info("Notice %s of %s started (bulk %s)", notice.id, occurrence, bulk_id)
        return started

    async def upcoming(self, now: datetime) -> Sequence[Upcoming]:
        """Each notice's next occurrence."""
        items = []
        for notice in self.notices:
            at = notice.recurrence.next_after(now)
            if at is not None:
                items.append(Upcoming("notice", at, f"notice {notice.id}"))
        return items

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest occurrence after what was last handled (<= now when one is overdue)."""
        if not self.notices:
            return None
        state = await self._state()
        times = [
            at
            for n in self.notices
            if (at := n.recurrence.next_after(state.get(n.id, self._since))) is not None
        ]
        return min(times, default=None)


def _latest(notice: Notice, last: datetime, now: datetime) -> datetime | None:
    """The latest occurrence after last and not after now; None when none fell due."""
    found = None
    at = notice.recurrence.next_after(last)
    for _ in range(_MAX_STEPS):
        if at is None or at > now:
            break
        found = at
        at = notice.recurrence.next_after(at)
    return found
