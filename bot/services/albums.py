"""Albums (issue 16): several photos or files sent at once reach a case as one message.

Telegram delivers an album as one update per item, sharing a media_group_id, and says neither
how many items there are nor which is the last. The first item decides the album's way: to a
case (its items are collected in rows as they arrive), or elsewhere (held for "which case?",
a closed case's offer, an answer): then the rest follow it silently. An album collected for a
case is relayed whole, as one album with one history entry and one confirmation, once no item
has arrived for [cases] album_wait_seconds; the relay and "done" are one transaction. After a
crash the items kept so far wait for the rest, which Telegram delivers again, and the album is
relayed whole once. A job woken after each item (and the due-work runner) calls run_due; the
relay's transaction marks the album done only if it was not, else rolls back (AlbumRelayed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.cases import (
    Action,
    Actor,
    Album,
    AlbumKey,
    AlbumRelayed,
    Attachment,
    CaseClosed,
    CaseCommit,
    NotAllowed,
    check,
)
from bot.domain.models import Case, Role
from bot.domain.outbox import Outgoing
from bot.domain.ports import AlbumStore, CaseStore, Clock, Waker
from bot.domain.schedule import Upcoming
from bot.services.accounts import AccountService
from bot.services.cases.queries import CaseQueries
from bot.services.cases.relay import RelayService

_LOGGER = logging.getLogger(__name__)


class AlbumService:
    """Collects albums sent to cases and relays each whole, once."""

    def __init__(
        self,
        albums: AlbumStore,
        cases: CaseStore,
        accounts: AccountService,
        queries: CaseQueries,
        relay: RelayService,
        clock: Clock,
        waker: Waker,
        wait_seconds: float,
    ) -> None:
        self._albums = albums
        self._cases = cases
        self._accounts = accounts
        self._queries = queries
        self._relay = relay
        self._clock = clock
        self._waker = waker
        self.wait = timedelta(seconds=wait_seconds)
        self._flushing = asyncio.Lock()

    async def album(self, key: AlbumKey) -> Album | None:
        """An album whose first item was seen, if any."""
        return await self._albums.get(key)

    async def add(self, key: AlbumKey, item: Attachment) -> bool:
        """A further item of an album being collected: kept (again after a redelivery: once);
        False when the album was relayed already (the item is then a message of its own)."""
        return await self._albums.add(key, item, self._clock.now())

    async def collect(self, actor: Actor, case: Case, item: Attachment) -> None:
        """The first item of an album to a case: checked as a message to it would be, kept;
        raises NotAllowed or CaseClosed as the relay would."""
        assert item.group is not None
        if actor.role is Role.OWNER:
            await self._queries.check_view(actor, case)
            check(actor, case, Action.OWNER_MESSAGE)
        else:
            check(actor, case, Action.STAFF_MESSAGE)
        key = AlbumKey(item.chat_id, item.group)
        now = self._clock.now()
        await self._albums.begin(key, actor.telegram_id, case.id, now)
        await self._albums.add(key, item, now)

    async def follow(self, key: AlbumKey, user_id: int) -> None:
        """The first item of an album went elsewhere: the rest follow it (no second answer)."""
        await self._albums.begin(key, user_id, None, self._clock.now())

    async def flush(self) -> int:
        """Relay the albums complete by now (what the job woken after each item calls)."""
        return await self.run_due(self._clock.now())

    async def run_due(self, now: datetime) -> int:
        """Relay every album with no new item for the wait, each whole and once."""
        done = 0
        async with self._flushing:
            for key in await self._albums.quiet_since(now - self.wait):
                done += await self._relay_one(key, now)
        return done

    async def _relay_one(self, key: AlbumKey, now: datetime) -> int:
        album = await self._albums.get(key)
        if album is None or album.done or album.case_id is None:
            return 0
        items = album.items
        case = await self._cases.by_id(album.case_id)
        actor = await self._accounts.actor(album.user_id)
        if case is None or not items:
            await self._albums.close(key, now)
            return 0
        single = items[0] if len(items) == 1 else None
        several: Sequence[Attachment] = items if len(items) > 1 else ()
        try:
            try:
                if actor.role is Role.OWNER:
                    relaying = self._relay.from_owner
                else:
                    relaying = self._relay.from_staff
                await relaying(actor, case, None, single, several, collected=key)
            except (NotAllowed, CaseClosed):
                # The case closed (or changed hands) between the first item and the relay:
                # say so, in the same transaction that ends the album.
                _LOGGER.warning("Album %s for case %s could not be relayed", key, case.number)
                problem = Outgoing(
                    key.chat_id, "cases/errors", {"problem": "closed", "number": case.number}
                )
                await self._cases.commit(CaseCommit(at=now, outgoing=[problem], album=key))
                self._waker.wake()
        except AlbumRelayed:  # another flush relayed it first: nothing was written
            return 0
        return 1

    async def upcoming(self, now: datetime) -> Sequence[Upcoming]:
        """Albums waiting for their wait to pass (seconds away; listed for completeness)."""
        first = await self._albums.next_quiet()
        return [] if first is None else [Upcoming("album", first + self.wait, "albums")]

    async def next_due(self, now: datetime) -> datetime | None:
        """When the album collected longest ago is complete."""
        first = await self._albums.next_quiet()
        return None if first is None else first + self.wait
