"""Staff onboarding (PRODUCT §5.1): the dialog an invite link opens, every answer stored.

The step is derived from the stored answers (bot.domain.onboarding.next_step); each method
stores the dialog before it returns, so a restart resumes at the same question.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.models import Choice, DialogState, Role, Staff
from bot.domain.onboarding import (
    CODE,
    DIALOG_NAME,
    NAME_MAX,
    ROLE,
    SPECIALTIES_DONE,
    OnboardingStep,
    chosen_specialties,
    next_step,
)
from bot.domain.ports import DialogStore
from bot.domain.registration import clean_name
from bot.services.staff import InviteProblem, StaffService


class CannotOnboard(ValueError):
    """The account already has a role or a registration: one account, one role (§2)."""


class WrongStep(ValueError):
    """An answer that does not fit the current step (an old or forged button)."""


class OnboardingService:
    """Runs the onboarding dialog and creates the staff record at its end."""

    def __init__(
        self,
        dialogs: DialogStore,
        staff: StaffService,
        districts: Sequence[Choice],
        specialties: Sequence[str],
    ) -> None:
        self._dialogs = dialogs
        self._staff = staff
        self._districts = {d.id for d in districts}
        self.specialties = list(dict.fromkeys(specialties))

    async def current(self, chat_id: int, user_id: int) -> DialogState | None:
        """The dialog in progress, if any."""
        return await self._dialogs.load_dialog(DIALOG_NAME, chat_id, user_id)

    async def begin(
        self, chat_id: int, user_id: int, code: str, *, role: Role, registered: bool
    ) -> DialogState:
        """Check the invite and the account; raises InviteProblem or CannotOnboard.

        An invite made by a roster import is for a staff record that exists: its answers are
        taken from the record, so only what the roster left out is asked (often nothing).
        """
        invite = await self._staff.valid_invite(code)
        if role is not Role.OWNER or registered:
            raise CannotOnboard(code)
        data: dict[str, object] = {CODE: code, ROLE: invite.role.value}
        if invite.staff_id is not None:
            staff = await self._staff.by_id(invite.staff_id)
            if staff is None or not staff.active or staff.telegram_id is not None:
                raise InviteProblem(code)
            data |= {
                OnboardingStep.NAME.value: staff.display_name,
                OnboardingStep.TITLE.value: staff.title,
                OnboardingStep.DISTRICT.value: staff.district or "",
                OnboardingStep.SPECIALTIES.value: list(staff.specialties),
                SPECIALTIES_DONE: bool(staff.specialties),
            }
        dialog = DialogState(DIALOG_NAME, chat_id, user_id, "", data)
        return await self._save(dialog)

    @staticmethod
    def step(dialog: DialogState) -> OnboardingStep:
        """The dialog's current step."""
        return OnboardingStep(dialog.state)

    async def answer_text(self, dialog: DialogState, text: str) -> DialogState:
        """A typed name or title; raises TextError, or WrongStep where a button is wanted."""
        step = self.step(dialog)
        if step not in (OnboardingStep.NAME, OnboardingStep.TITLE):
            raise WrongStep(step)
        dialog.data[step.value] = clean_name(text, NAME_MAX)
        return await self._save(dialog)

    async def choose_district(self, dialog: DialogState, district: str) -> DialogState:
        """A liaison's district; raises WrongStep for another step or an unknown district."""
        if self.step(dialog) is not OnboardingStep.DISTRICT or district not in self._districts:
            raise WrongStep(district)
        dialog.data[OnboardingStep.DISTRICT.value] = district
        return await self._save(dialog)

    async def toggle_specialty(self, dialog: DialogState, specialty: str) -> DialogState:
        """Tick or untick a counsel's specialty."""
        if self.step(dialog) is not OnboardingStep.SPECIALTIES or specialty not in self.specialties:
            raise WrongStep(specialty)
        chosen = chosen_specialties(dialog.data)
        chosen = (
            [s for s in chosen if s != specialty] if specialty in chosen else [*chosen, specialty]
        )
        dialog.data[OnboardingStep.SPECIALTIES.value] = chosen
        return await self._save(dialog)

    async def specialties_done(self, dialog: DialogState) -> DialogState:
        """Done ticking (at least one specialty is needed)."""
        if self.step(dialog) is not OnboardingStep.SPECIALTIES or not chosen_specialties(
            dialog.data
        ):
            raise WrongStep("done")
        dialog.data[SPECIALTIES_DONE] = True
        return await self._save(dialog)

    async def finish(self, dialog: DialogState) -> Staff:
        """Create the staff record and end the dialog; raises InviteProblem if no longer valid."""
        data = dialog.data
        try:
            return await self._staff.join(
                str(data[CODE]),
                dialog.user_id,
                display_name=str(data[OnboardingStep.NAME.value]),
                title=str(data[OnboardingStep.TITLE.value]),
                district=str(data[OnboardingStep.DISTRICT.value])
                if data.get(OnboardingStep.DISTRICT.value)
                else None,
                specialties=tuple(chosen_specialties(data)),
            )
        finally:
            await self._dialogs.delete_dialog(DIALOG_NAME, dialog.chat_id, dialog.user_id)

    async def cancel(self, chat_id: int, user_id: int) -> None:
        """Leave onboarding; the invite stays usable until it expires."""
        await self._dialogs.delete_dialog(DIALOG_NAME, chat_id, user_id)

    async def _save(self, dialog: DialogState) -> DialogState:
        dialog.state = next_step(dialog.data).value
        await self._dialogs.save_dialog(dialog)
        return dialog


__all__ = ["CannotOnboard", "InviteProblem", "OnboardingService", "WrongStep"]
