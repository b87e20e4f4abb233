"""The bulk send (PRODUCT §5.3, §6, §10): one message to an audience, exactly once each.

A bulk send is created with its message and audience; its recipients are then written to the
outbox in batches (one transaction per batch, each moving the send's cursor), in the bulk lane,
so case traffic overtakes it (the sender claims lower lanes first). A crash between batches
loses nothing and doubles nothing: the next run continues after the cursor, and a unique index
on (bulk_id, chat_id) refuses a second row for anyone. While the outbox drains it, the
creator's progress message is edited in place, no more often than every progress_seconds,
and a delivery report ends it. Broadcasts and recurring notices both use it; it is the
DueWork of scheduled and running bulk sends (docs/broadcasts.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from bot.domain.bulk import (
    LIVE,
    Audience,
    BulkKind,
    BulkSend,
    BulkStatus,
    NewBulk,
    eta_seconds,
    throttled,
)
from bot.domain.models import AuditAction, AuditEntry
from bot.domain.outbox import BulkProgress, Button, Outgoing
from bot.domain.ports import BulkPort, Clock, Waker
from bot.domain.schedule import Upcoming

_LOGGER = logging.getLogger(__name__)
BROADCAST_BUTTON = "bc"  # callbacks.BROADCAST (the domain does not import the edge)


class BulkService:
    """Creates bulk sends, writes them in batches, reports progress, cancels them."""

    def __init__(
        self,
        store: BulkPort,
        clock: Clock,
        doorbell: Waker,
        *,
        batch_size: int = 500,
        progress_seconds: float = 5.0,
        rate: float = 30.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._doorbell = doorbell
        self.batch_size = batch_size
        self.progress_seconds = progress_seconds
        self.rate = rate

    async def count(self, audience: Audience, urgent: bool) -> int:
        """How many owners the audience reaches now (muted ones only when urgent)."""
        return await self._store.count(audience, urgent)

    async def create(
        self,
        new: NewBulk,
        *,
        dialog: tuple[str, int, int] | None = None,
        last_at: datetime | None = None,
    ) -> int | None:
        """Store a bulk send: due now, it starts writing at once; later, it is scheduled.

        A broadcast is audited and gets a progress message to its creator. A notice
        occurrence already stored returns None (each occurrence is sent once).
        """
        now = self._clock.now()
        due = new.due_at <= now
        status = BulkStatus.WRITING if due else BulkStatus.SCHEDULED
        entry = None
        if new.kind is BulkKind.BROADCAST:
            entry = AuditEntry(
                new.created_by,
                AuditAction.BROADCAST,
                "broadcast",
                {
                    "audience": new.audience.to_json(),
                    "urgent": new.urgent,
                    "scheduled_at": None if due else new.due_at.isoformat(),
                },
            )
        creator = new.created_by
        progress = None
        if due and creator is not None:
            progress = partial(self._first_progress, creator)
        bulk_id = await self._store.create(
            new,
            now,
            status=status,
            progress=progress,
            audit_entry=entry,
            dialog=dialog,
            last_at=last_at,
        )
        if bulk_id is not None and due:
            await self.write(now)
        return bulk_id

    def _first_progress(self, chat_id: int, bulk_id: int) -> Outgoing:
        return Outgoing(
            chat_id,
            "broadcasts/progress",
            {"state": "writing", **_figures(None)},
            buttons=((_cancel_button(bulk_id),),),
        )

    async def run_due(self, now: datetime) -> int:
        """Start scheduled sends whose time came, write what is unwritten, report progress."""
        scheduled = [
            b for b in await self._store.with_status([BulkStatus.SCHEDULED]) if b.due_at <= now
        ]
        if scheduled:
            progress = {
                b.id: self._first_progress(b.created_by, b.id) for b in scheduled if b.created_by
            }
            entries = {
                b.id: AuditEntry(
                    None, AuditAction.BROADCAST, f"broadcast {b.id}", {"started": True}
                )
                for b in scheduled
                if b.kind is BulkKind.BROADCAST
            }
            started = await self._store.start_due(now, progress, entries)
            if started:
                _LOGGER.info("Scheduled bulk sends %s started", started)
                self._doorbell.wake()
        written = await self.write(now)
        return written + await self.tick(now)

    async def write(self, now: datetime) -> int:
        """Write every bulk send's remaining recipients, batch by batch; return rows written."""
        total = 0
        for bulk in await self._store.with_status([BulkStatus.WRITING]):
            while True:
                count = await self._store.write_batch(bulk.id, now, self.batch_size)
                if count is None:
                    break
                total += count
                if count:
                    self._doorbell.wake()
                if count < self.batch_size:
                    break
        return total

    async def tick(self, now: datetime) -> int:
        """Edit each running send's progress message (throttled); finish those all sent."""
        finished = 0
        for bulk in await self._store.with_status([BulkStatus.SENDING]):
            progress = await self._store.bulk_progress(bulk.id)
            done = progress.pending == 0
            if not done and throttled(bulk.progress_at, now, self.progress_seconds):
                continue
            outgoing = self._progress_messages(bulk, progress, now, "done" if done else "sending")
            if await self._store.progressed(bulk.id, now, outgoing, done=done):
                finished += int(done)
                if outgoing:
                    self._doorbell.wake()
        return finished

    def _progress_messages(
        self, bulk: BulkSend, progress: BulkProgress, now: datetime, state: str
    ) -> list[Outgoing]:
        if bulk.created_by is None:
            return []
        figures = _figures(progress)
        figures["eta"] = eta_seconds(progress, bulk.due_at, now, self.rate)
        messages = []
        if bulk.progress_id is not None:
            buttons: tuple[tuple[Button, ...], ...] = ()
            if state == "sending":
                buttons = ((_cancel_button(bulk.id),),)
            messages.append(
                Outgoing(
                    bulk.created_by,
                    "broadcasts/progress",
                    {"state": state, **figures},
                    buttons=buttons,
                    edit_of=bulk.progress_id,
                )
            )
        if state != "sending":
            messages.append(
                Outgoing(bulk.created_by, "broadcasts/report", {"state": state, **figures})
            )
        return messages

    async def cancel(self, bulk_id: int, by: int) -> bool:
        """Stop a scheduled or running bulk send; False if it had already ended."""
        bulk = await self._store.bulk(bulk_id)
        if bulk is None or bulk.status not in LIVE:
            return False
        now = self._clock.now()
        progress = await self._store.bulk_progress(bulk_id)
        entry = AuditEntry(by, AuditAction.BROADCAST_CANCEL, f"broadcast {bulk_id}", {})
        # The figures once the unsent rows are dropped: what went, and what never will.
        after = BulkProgress(
            progress.sent, progress.failed, progress.blocked, 0, progress.uncertain
        )
        outgoing = self._progress_messages(bulk, after, now, "cancelled")
        dropped = await self._store.cancel(bulk_id, now, outgoing, entry)
        if dropped is None:
            return False
        _LOGGER.info("Bulk send %s cancelled by %s; %d messages not sent", bulk_id, by, dropped)
        self._doorbell.wake()
        return True

    async def live(self) -> list[BulkSend]:
        """Running and scheduled bulk sends, soonest first."""
        return await self._store.with_status(sorted(LIVE))

    async def muted(self, telegram_id: int) -> bool:
        """Whether the owner muted non-urgent notices (/notices)."""
        return await self._store.muted(telegram_id)

    async def set_muted(self, telegram_id: int, muted: bool) -> None:
        """Mute or unmute non-urgent notices and broadcasts for an owner."""
        await self._store.set_muted(telegram_id, muted, self._clock.now())

    async def progress(self, bulk_id: int) -> BulkProgress:
        """How far one bulk send has come."""
        return await self._store.bulk_progress(bulk_id)

    async def upcoming(self, now: datetime) -> Sequence[Upcoming]:
        """Scheduled broadcasts (notices list their own occurrences)."""
        return [
            Upcoming("broadcast", b.due_at, f"broadcast {b.id}")
            for b in await self._store.with_status([BulkStatus.SCHEDULED])
            if b.due_at > now and b.kind is BulkKind.BROADCAST
        ]

    async def next_due(self, now: datetime) -> datetime | None:
        """Now while recipients wait to be written; the next progress edit while a send is
        being sent; else the next scheduled start.

        A send being sent is not due "now": the due-work job re-plans after every run, and
        would run again at once, over and over, for the whole broadcast (the bulk-sends job
        edits its progress every progress_seconds as well).
        """
        live = await self.live()
        if any(b.status is BulkStatus.WRITING for b in live):
            return now
        times = [b.due_at for b in live if b.status is BulkStatus.SCHEDULED]
        if any(b.status is BulkStatus.SENDING for b in live):
            times.append(now + timedelta(seconds=self.progress_seconds))
        return min(times, default=None)


def _figures(progress: BulkProgress | None) -> dict[str, int]:
    p = progress or BulkProgress(0, 0, 0, 0)
    return {
        "sent": p.sent,
        "failed": p.failed,
        "blocked": p.blocked,
        "remaining": p.pending,
        "total": p.total,
        "uncertain": p.uncertain,
        "eta": 0,
    }


def _cancel_button(bulk_id: int) -> Button:
    return Button("broadcast_cancel", (BROADCAST_BUTTON, "cancel", str(bulk_id)))
