"""The /ask dialog (PRODUCT §3.2): category → description (+ attachments) → urgency → confirm.

Like registration, the next step is derived from the stored answers, and every answer is
stored before the bot replies. Attachments are kept as references to the owner's messages
(chat id, message id, file id), copied to staff once the request is confirmed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from bot.domain.cases import Actor, Attachment
from bot.domain.models import Case, Category, DialogState, Urgency
from bot.domain.ports import DialogStore
from bot.services.cases.assignment import AssignmentService

DIALOG_NAME = "intake"
DESCRIPTION_MAX = 3000
ATTACHMENTS_MAX = 10


class IntakeStep(enum.StrEnum):
    """The /ask dialog's states."""

    CATEGORY = "category"
    DESCRIPTION = "description"
    URGENCY = "urgency"
    CONFIRM = "confirm"


class DescriptionError(ValueError):
    """A description that is too short or too long (length: what was sent, in characters)."""

    def __init__(self, rule: str, length: int = 0, *, quiet: bool = False) -> None:
        super().__init__(rule)
        self.rule = rule
        self.length = length
        self.quiet = quiet  # said already (a further item of an album over the limit)


# Telegram splits a pasted text over 4096 characters into messages sent back to back: a text
# arriving within this many seconds of a refused part that was cut at the limit (at least
# SPLIT_AT characters) is the rest of the same paste.
PASTE_SECONDS = 2
SPLIT_AT = 4000
REFUSED_AT = "refused_paste_at"
REFUSED_CHARS = "refused_paste_chars"
REFUSED_LAST = "refused_paste_last"
# The stored answer saying the description is a voice message (its length in seconds).
VOICE_DESCRIPTION = "voice_description"
# The album whose items over ATTACHMENTS_MAX were refused (the refusal is said once).
REFUSED_ALBUM = "refused_album"


def next_step(data: dict[str, Any]) -> IntakeStep:
    """The first unanswered question, or the summary."""
    if not data.get("category"):
        return IntakeStep.CATEGORY
    if not data.get("description"):
        return IntakeStep.DESCRIPTION
    if not data.get("urgency"):
        return IntakeStep.URGENCY
    return IntakeStep.CONFIRM


class IntakeService:
    """Runs the /ask dialog and opens the case when confirmed."""

    def __init__(
        self,
        dialogs: DialogStore,
        assignment: AssignmentService,
        categories: Sequence[Category],
        min_chars: int,
    ) -> None:
        self._dialogs = dialogs
        self._assignment = assignment
        self._categories = {c.id: c for c in categories}
        self._min_chars = min_chars

    async def current(self, chat_id: int, user_id: int) -> DialogState | None:
        """The dialog in progress, if any."""
        return await self._dialogs.load_dialog(DIALOG_NAME, chat_id, user_id)

    async def begin(self, chat_id: int, user_id: int, prefilled: str | None = None) -> DialogState:
        """Start /ask, optionally with a description already written (from the FAQ)."""
        data: dict[str, Any] = {"attachments": []}
        if prefilled:
            data["description"] = prefilled[:DESCRIPTION_MAX]
            data["prefilled"] = True
        return await self._save(DialogState(DIALOG_NAME, chat_id, user_id, "", data))

    async def choose_category(self, dialog: DialogState, category_id: str) -> DialogState:
        """Store the category; raises KeyError for one not configured (a forged button)."""
        if category_id not in self._categories:
            raise KeyError(category_id)
        dialog.data["category"] = category_id
        return await self._save(dialog)

    async def describe(
        self, dialog: DialogState, text: str, sent_at: datetime | None = None
    ) -> DialogState:
        """Store the description; raises DescriptionError (too short; too long, refused whole:
        the later parts of a long paste are refused with it, never taken as the description)."""
        cleaned = text.strip()
        if sent_at is not None and _continues_paste(dialog.data, sent_at):
            total = int(str(dialog.data.get(REFUSED_CHARS) or 0)) + len(text)
            dialog.data.update(
                {REFUSED_AT: sent_at.isoformat(), REFUSED_CHARS: total, REFUSED_LAST: len(text)}
            )
            await self._save(dialog)
            raise DescriptionError("rest_of_too_long", total)
        for key in (REFUSED_AT, REFUSED_CHARS, REFUSED_LAST):
            dialog.data.pop(key, None)
        if len(cleaned) > DESCRIPTION_MAX:
            if sent_at is not None:
                dialog.data.update(
                    {
                        REFUSED_AT: sent_at.isoformat(),
                        REFUSED_CHARS: len(text),
                        REFUSED_LAST: len(text),
                    }
                )
            await self._save(dialog)
            raise DescriptionError("too_long", len(text))
        if len(cleaned) < self._min_chars:
            raise DescriptionError("too_short", len(cleaned))
        dialog.data["description"] = cleaned
        return await self._save(dialog)

    async def attach(self, dialog: DialogState, attachment: Attachment) -> DialogState:
        """Keep an attachment with its caption. A caption never becomes the description by
        itself: the description is still asked (the owner may choose to use the caption)."""
        attachments = list(_attachments(dialog))
        if len(attachments) >= ATTACHMENTS_MAX:
            # Said once per album: its further items are refused quietly (the answer said so).
            said = (
                attachment.group is not None and dialog.data.get(REFUSED_ALBUM) == attachment.group
            )
            if attachment.group is not None and not said:
                dialog.data[REFUSED_ALBUM] = attachment.group
                await self._save(dialog)
            raise DescriptionError("too_many", quiet=said)
        attachments.append(attachment.to_dict())
        dialog.data["attachments"] = attachments
        return await self._save(dialog)

    def usable_caption(self, dialog: DialogState) -> str | None:
        """The latest attachment's caption, if it could serve as the description."""
        if dialog.data.get("description"):
            return None
        for stored in reversed(_attachments(dialog)):
            caption = str(stored.get("caption") or "").strip()
            if caption:
                return caption if self._min_chars <= len(caption) <= DESCRIPTION_MAX else None
        return None

    async def describe_by_voice(self, dialog: DialogState, voice: Attachment) -> DialogState:
        """A voice message as the whole description, so an owner who cannot type well is not
        turned away: kept as an attachment (staff get a copy after the card); the description
        says what it is (language-neutral: "🎤 0:42") and the summary names it."""
        dialog = await self.attach(dialog, voice)
        dialog.data["description"] = voice_label(voice.duration)
        dialog.data[VOICE_DESCRIPTION] = voice.duration or 0
        return await self._save(dialog)

    async def use_caption(self, dialog: DialogState) -> DialogState:
        """The latest caption becomes the description, and leaves its attachment (so the
        history does not show it twice); raises DescriptionError when there is none usable."""
        caption = self.usable_caption(dialog)
        if caption is None:
            raise DescriptionError("no_caption")
        attachments = list(_attachments(dialog))
        for stored in reversed(attachments):
            if str(stored.get("caption") or "").strip() == caption:
                stored["caption"] = None
                break
        dialog.data["attachments"] = attachments
        dialog.data["description"] = caption
        return await self._save(dialog)

    async def set_urgency(self, dialog: DialogState, urgency: str) -> DialogState:
        """Store normal or urgent; raises ValueError otherwise."""
        dialog.data["urgency"] = Urgency(urgency).value
        return await self._save(dialog)

    async def confirm(self, dialog: DialogState, actor: Actor) -> Case:
        """Open the case and forget the dialog, in one transaction."""
        if next_step(dialog.data) is not IntakeStep.CONFIRM:
            raise ValueError("request is incomplete")
        return await self._assignment.open_case(
            actor,
            str(dialog.data["category"]),
            Urgency(str(dialog.data["urgency"])),
            str(dialog.data["description"]),
            [Attachment.from_dict(a) for a in _attachments(dialog)],
            dialog=(dialog.name, dialog.chat_id, dialog.user_id),
        )

    async def cancel(self, chat_id: int, user_id: int) -> bool:
        """Drop the dialog; return whether there was one."""
        existed = await self.current(chat_id, user_id) is not None
        await self._dialogs.delete_dialog(DIALOG_NAME, chat_id, user_id)
        return existed

    async def _save(self, dialog: DialogState) -> DialogState:
        dialog.state = next_step(dialog.data).value
        await self._dialogs.save_dialog(dialog)
        return dialog


def voice_label(duration: int | None) -> str:
    """How a voice description reads on the card and in lists, in every language."""
    seconds = duration or 0
    return f"🎤 {seconds // 60}:{seconds % 60:02d}"


def _continues_paste(data: dict[str, Any], sent_at: datetime) -> bool:
    """Whether a text is the next part of a refused paste: the last refused part was cut at
    Telegram's limit and this one arrived right behind it."""
    refused = data.get(REFUSED_AT)
    if not isinstance(refused, str) or int(str(data.get(REFUSED_LAST) or 0)) < SPLIT_AT:
        return False
    return sent_at - datetime.fromisoformat(refused) <= timedelta(seconds=PASTE_SECONDS)


def _attachments(dialog: DialogState) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], dialog.data.get("attachments", []))
