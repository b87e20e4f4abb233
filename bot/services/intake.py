"""The /ask dialog (PRODUCT §3.2): category → description (+ attachments) → urgency → confirm.

Like registration, the next step is derived from the stored answers, and every answer is
stored before the bot replies. Attachments are kept as references to the owner's messages
(chat id, message id, file id), copied to staff once the request is confirmed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
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
    """A description that is too short or too long."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


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

    async def describe(self, dialog: DialogState, text: str) -> DialogState:
        """Store the description (added to any caption given with attachments)."""
        cleaned = text.strip()
        earlier = str(dialog.data.get("caption_text") or "")
        combined = f"{earlier}\n{cleaned}".strip() if earlier else cleaned
        if len(combined) < self._min_chars:
            raise DescriptionError("too_short")
        if len(combined) > DESCRIPTION_MAX:
            raise DescriptionError("too_long")
        dialog.data["description"] = combined
        return await self._save(dialog)

    async def attach(self, dialog: DialogState, attachment: Attachment) -> DialogState:
        """Keep an attachment; its caption counts towards the description."""
        attachments = list(_attachments(dialog))
        if len(attachments) >= ATTACHMENTS_MAX:
            raise DescriptionError("too_many")
        attachments.append(attachment.to_dict())
        dialog.data["attachments"] = attachments
        if attachment.caption and not dialog.data.get("description"):
            earlier = str(dialog.data.get("caption_text") or "")
            captions = f"{earlier}\n{attachment.caption}".strip()
            dialog.data["caption_text"] = captions
            if len(captions) >= self._min_chars:
                dialog.data["description"] = captions[:DESCRIPTION_MAX]
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


def _attachments(dialog: DialogState) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], dialog.data.get("attachments", []))
