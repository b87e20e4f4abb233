"""Broadcasts (PRODUCT §5.3): the admin's /broadcast dialog, every answer stored.

Compose (text, or one photo or document with its caption) → audience (all owners, districts,
industries, owners with open cases; urgent reaches muted owners too) → preview with the count
→ send now, schedule at a local time, or cancel. Sending is a bulk send (services/bulk.py).
The dialog's answers live in the dialogs table, so a restart resumes at the same step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.bulk import (
    BROADCAST_DIALOG,
    CAPTION_MAX,
    TEXT_MAX,
    Audience,
    BroadcastStep,
    BulkKind,
    NewBulk,
)
from bot.domain.models import Choice, DialogState
from bot.domain.outbox import Lane, Outgoing
from bot.domain.ports import Clock, DialogStore
from bot.services.bulk import BulkService

TEMPLATE = "broadcasts/message"
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m-%d %H:%M", "%H:%M")


class BroadcastProblem(ValueError):
    """An answer the dialog refuses; str() is the reason code the template explains."""


class BroadcastService:
    """Runs the /broadcast dialog and hands the result to the bulk send."""

    def __init__(
        self,
        dialogs: DialogStore,
        bulk: BulkService,
        clock: Clock,
        timezone: str,
        districts: tuple[Choice, ...],
        industries: tuple[Choice, ...],
    ) -> None:
        self._dialogs = dialogs
        self._bulk = bulk
        self._clock = clock
        self.zone = ZoneInfo(timezone)
        self.districts = districts
        self.industries = industries

    async def current(self, chat_id: int, user_id: int) -> DialogState | None:
        """The dialog in progress, if any."""
        return await self._dialogs.load_dialog(BROADCAST_DIALOG, chat_id, user_id)

    async def begin(self, chat_id: int, user_id: int) -> DialogState:
        """Start composing (a dialog left open is started anew)."""
        dialog = DialogState(BROADCAST_DIALOG, chat_id, user_id, BroadcastStep.COMPOSE.value, {})
        return await self._save(dialog)

    async def compose(
        self, dialog: DialogState, text: str, copy_from: tuple[int, int] | None
    ) -> DialogState:
        """The message: text, or a photo or document (copied) with its caption."""
        if self.step(dialog) is not BroadcastStep.COMPOSE:
            raise BroadcastProblem("step")
        text = text.strip()
        if copy_from is None and not text:
            raise BroadcastProblem("empty")
        if len(text) > (CAPTION_MAX if copy_from else TEXT_MAX):
            raise BroadcastProblem("caption_too_long" if copy_from else "too_long")
        dialog.data["text"] = text
        dialog.data["copy_from"] = list(copy_from) if copy_from else None
        dialog.state = BroadcastStep.AUDIENCE.value
        return await self._save(dialog)

    async def toggle(self, dialog: DialogState, what: str, value: str = "") -> DialogState:
        """Switch a district, an industry, the open-cases filter or urgency."""
        if self.step(dialog) is not BroadcastStep.AUDIENCE:
            raise BroadcastProblem("step")
        if what == "urgent":
            dialog.data["urgent"] = not dialog.data.get("urgent", False)
            return await self._save(dialog)
        known = {"district": self.districts, "industry": self.industries, "open": ()}
        if what not in known or (what != "open" and value not in {c.id for c in known[what]}):
            raise BroadcastProblem("step")
        dialog.data["audience"] = _audience_dict(self.audience(dialog).toggled(what, value))
        return await self._save(dialog)

    async def audience_done(self, dialog: DialogState) -> DialogState:
        """On to the preview."""
        if self.step(dialog) is not BroadcastStep.AUDIENCE:
            raise BroadcastProblem("step")
        dialog.state = BroadcastStep.PREVIEW.value
        return await self._save(dialog)

    async def ask_time(self, dialog: DialogState) -> DialogState:
        """Schedule: ask when."""
        if self.step(dialog) is not BroadcastStep.PREVIEW:
            raise BroadcastProblem("step")
        dialog.state = BroadcastStep.SCHEDULE.value
        return await self._save(dialog)

    async def send_now(self, dialog: DialogState, by: int) -> int:
        """Send it now: a bulk send due at once; the dialog ends."""
        if self.step(dialog) is not BroadcastStep.PREVIEW:
            raise BroadcastProblem("step")
        return await self._create(dialog, by, self._clock.now())

    async def schedule(self, dialog: DialogState, text: str, by: int) -> tuple[int, datetime]:
        """Send it at a local time typed by the admin (in the future, within a year)."""
        if self.step(dialog) is not BroadcastStep.SCHEDULE:
            raise BroadcastProblem("step")
        at = self.parse_time(text)
        return await self._create(dialog, by, at), at

    def parse_time(self, text: str) -> datetime:
        """A local date and time ("2026-03-05 09:00", "03-05 09:00", "09:00") as UTC."""
        now = self._clock.now().astimezone(self.zone)
        raw = " ".join(text.split())
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(raw, fmt)  # noqa: DTZ007 - made aware just below
            except ValueError:
                continue
            if fmt == "%H:%M":  # today, or tomorrow once that time has passed
                parsed = parsed.replace(year=now.year, month=now.month, day=now.day)
            elif "%Y" not in fmt:
                parsed = parsed.replace(year=now.year)
            moment = parsed.replace(tzinfo=self.zone)
            if fmt == "%H:%M" and moment <= now:
                moment += timedelta(days=1)
            if moment <= now:
                raise BroadcastProblem("past")
            if moment > now + timedelta(days=366):
                raise BroadcastProblem("too_far")
            return moment.astimezone(self._clock.now().tzinfo)
        raise BroadcastProblem("time_format")

    async def cancel(self, chat_id: int, user_id: int) -> bool:
        """Leave the dialog; True if there was one."""
        had = await self.current(chat_id, user_id) is not None
        await self._dialogs.delete_dialog(BROADCAST_DIALOG, chat_id, user_id)
        return had

    async def _create(self, dialog: DialogState, by: int, at: datetime) -> int:
        bulk_id = await self._bulk.create(
            NewBulk(
                BulkKind.BROADCAST,
                self.message(dialog, 0),
                self.audience(dialog),
                self.urgent(dialog),
                at,
                created_by=by,
            ),
            dialog=(BROADCAST_DIALOG, dialog.chat_id, dialog.user_id),
        )
        assert bulk_id is not None  # only notice occurrences can already exist
        return bulk_id

    @staticmethod
    def step(dialog: DialogState) -> BroadcastStep:
        """The dialog's step."""
        return BroadcastStep(dialog.state)

    @staticmethod
    def audience(dialog: DialogState) -> Audience:
        """The audience chosen so far."""
        raw = dialog.data.get("audience")
        return Audience.from_dict(raw if isinstance(raw, dict) else {})

    @staticmethod
    def urgent(dialog: DialogState) -> bool:
        """Whether muted owners get it too."""
        return bool(dialog.data.get("urgent", False))

    def message(self, dialog: DialogState, chat_id: int) -> Outgoing:
        """The message as a recipient (chat_id) gets it: the preview is this very message."""
        raw = dialog.data.get("copy_from")
        copy = raw if isinstance(raw, list) and len(raw) == 2 else None
        return Outgoing(
            chat_id,
            TEMPLATE,
            {"text": dialog.data.get("text", ""), "urgent": self.urgent(dialog)},
            copy_from=(int(copy[0]), int(copy[1])) if copy else None,
            lane=Lane.BULK,
        )

    async def count(self, dialog: DialogState) -> int:
        """Recipients the audience reaches now."""
        return await self._bulk.count(self.audience(dialog), self.urgent(dialog))

    async def _save(self, dialog: DialogState) -> DialogState:
        await self._dialogs.save_dialog(dialog)
        return dialog


def _audience_dict(audience: Audience) -> dict[str, Any]:
    return {
        "districts": list(audience.districts),
        "industries": list(audience.industries),
        "open_cases": audience.open_cases,
    }
