"""Registration use case (PRODUCT §3.1): each answer validated and stored before the reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import credit_code, phone
from bot.domain.models import Choice, DialogState, Enterprise, EnterpriseSource, Registration
from bot.domain.outbox import Outgoing
from bot.domain.ports import Clock, DialogStore, RegistrationStore, Waker
from bot.domain.registration import (
    CONTACT_NAME_MAX,
    DIALOG_NAME,
    ENTERPRISE_NAME_MAX,
    EXISTING,
    IMPORTED,
    UPDATING,
    Step,
    clean_name,
    editable_fields,
    next_step,
)
from bot.services.contacts import ContactService

# Whether the stored phone came from the owner's own shared contact card.
PHONE_SHARED = "phone_shared"


class UnknownChoice(ValueError):
    """A district or industry id that is not in the configuration (an old or forged button)."""


class NotEditable(ValueError):
    """The owner asked to edit a field this registration does not let them change."""


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmed registration, and whether anything changed (saving nothing saves nothing)."""

    registration: Registration
    changed: bool = True


@dataclass(frozen=True, slots=True)
class Answered:
    """The dialog after an answer, and the enterprise the credit code matched, if any."""

    dialog: DialogState
    matched: Enterprise | None = None


class RegistrationService:
    """Runs the registration dialog; every method stores the dialog before it returns."""

    def __init__(
        self,
        registrations: RegistrationStore,
        dialogs: DialogStore,
        contacts: ContactService,
        clock: Clock,
        waker: Waker,
        districts: Sequence[Choice],
        industries: Sequence[Choice],
    ) -> None:
        self._store = registrations
        self._dialogs = dialogs
        self._contacts = contacts
        self._waker = waker
        self._clock = clock
        self._choices = {
            Step.DISTRICT: {c.id: c for c in districts},
            Step.INDUSTRY: {c.id: c for c in industries},
        }

    async def registration_of(self, user_id: int) -> Registration | None:
        """Return the user's saved registration, if any."""
        return await self._store.registration_of(user_id)

    async def current(self, chat_id: int, user_id: int) -> DialogState | None:
        """Return the user's dialog in progress, if any."""
        return await self._dialogs.load_dialog(DIALOG_NAME, chat_id, user_id)

    async def begin(self, chat_id: int, user_id: int) -> DialogState:
        """Start registering, or reviewing a saved registration (which opens at the summary)."""
        saved = await self._store.registration_of(user_id)
        data: dict[str, object] = {}
        if saved is not None:
            e, c = saved.enterprise, saved.contact
            data = {
                Step.CONSENT.value: c.consented_at.isoformat() if c.consented_at else "",
                Step.ENTERPRISE_NAME.value: e.name,
                Step.CREDIT_CODE.value: e.credit_code,
                Step.DISTRICT.value: e.district,
                Step.INDUSTRY.value: e.industry,
                Step.CONTACT_NAME.value: c.name or "",
                Step.PHONE.value: c.phone or "",
                UPDATING: True,
                EXISTING: e.source is EnterpriseSource.IMPORT,
                IMPORTED: e.source is EnterpriseSource.IMPORT,
            }
        dialog = DialogState(DIALOG_NAME, chat_id, user_id, next_step(data).value, data)
        await self._dialogs.save_dialog(dialog)
        return dialog

    async def consent(self, dialog: DialogState) -> DialogState:
        """Record the owner's consent and move on."""
        dialog.data[Step.CONSENT.value] = self._clock.now().isoformat()
        return await self._advance(dialog)

    async def answer_name(self, dialog: DialogState, step: Step, text: str) -> DialogState:
        """Store the enterprise or contact name; raises TextError."""
        limit = ENTERPRISE_NAME_MAX if step is Step.ENTERPRISE_NAME else CONTACT_NAME_MAX
        dialog.data[step.value] = clean_name(text, limit)
        return await self._advance(dialog)

    async def answer_credit_code(self, dialog: DialogState, text: str) -> Answered:
        """Store a valid code; link to the enterprise it names, if any. Raises CreditCodeError."""
        code = credit_code.validate(text)
        dialog.data[Step.CREDIT_CODE.value] = code
        matched = await self._store.enterprise_by_code(code)
        if matched is not None:
            dialog.data.update(
                {
                    Step.ENTERPRISE_NAME.value: matched.name,
                    Step.DISTRICT.value: matched.district,
                    Step.INDUSTRY.value: matched.industry,
                    EXISTING: True,
                    IMPORTED: matched.source is EnterpriseSource.IMPORT,
                }
            )
        elif dialog.data.pop(EXISTING, None):
            # The owner corrected a code that had matched: the enterprise is a new one now.
            dialog.data.pop(IMPORTED, None)
            for step in (Step.ENTERPRISE_NAME, Step.DISTRICT, Step.INDUSTRY):
                dialog.data.pop(step.value, None)
        return Answered(await self._advance(dialog), matched)

    async def answer_choice(self, dialog: DialogState, step: Step, choice_id: str) -> DialogState:
        """Store a district or industry chosen by id; raises UnknownChoice."""
        if choice_id not in self._choices[step]:
            raise UnknownChoice(choice_id)
        dialog.data[step.value] = choice_id
        return await self._advance(dialog)

    def match_choice(self, step: Step, text: str) -> str | None:
        """Find the district or industry a typed label names (any language), if exactly one."""
        wanted = text.strip().casefold()
        if not wanted:
            return None
        found = [
            c.id
            for c in self._choices[step].values()
            if any(wanted == label.casefold() for label in c.labels.values())
            or any(wanted in label.casefold() for label in c.labels.values())
        ]
        return found[0] if len(found) == 1 else None

    def choice(self, step: Step, choice_id: str) -> Choice | None:
        """Return a configured district or industry by id."""
        return self._choices[step].get(choice_id)

    async def answer_phone(
        self, dialog: DialogState, text: str, *, shared: bool = False
    ) -> DialogState:
        """Store a typed or shared phone, normalized to E.164; raises PhoneError.

        shared: it came from the owner's own contact card (Telegram verified the number),
        which an imported roster's phone can be matched against.
        """
        dialog.data[Step.PHONE.value] = phone.parse(text).e164
        dialog.data[PHONE_SHARED] = shared
        return await self._advance(dialog)

    async def edit(self, dialog: DialogState, step: Step) -> DialogState:
        """Clear one field so that it is asked again, then the summary follows."""
        if step not in editable_fields(dialog.data):
            raise NotEditable(step)
        dialog.data.pop(step.value, None)
        return await self._advance(dialog)

    async def show_edit_menu(self, dialog: DialogState) -> DialogState:
        """Move to the menu of editable fields."""
        dialog.state = Step.EDIT_MENU.value
        await self._dialogs.save_dialog(dialog)
        return dialog

    async def back_to_summary(self, dialog: DialogState) -> DialogState:
        """Leave the edit menu without changing anything."""
        return await self._advance(dialog)

    async def confirm(self, dialog: DialogState) -> Confirmed:
        """Save the registration and end the dialog, in one transaction (nothing changed:
        nothing is written, and the dialog just ends)."""
        data = dialog.data
        if next_step(data) is not Step.CONFIRM:
            raise ValueError("registration is incomplete")
        saved = await self._store.registration_of(dialog.user_id)
        if saved is not None and data.get(UPDATING) and _same(saved, data):
            await self._dialogs.delete_dialog(dialog.name, dialog.chat_id, dialog.user_id)
            return Confirmed(saved, changed=False)
        consent = str(data[Step.CONSENT.value])
        code = str(data[Step.CREDIT_CODE.value])
        name = str(data[Step.CONTACT_NAME.value])
        number = str(data[Step.PHONE.value])
        enterprise = await self._store.enterprise_by_code(code)
        status, asks = await self._contacts.joins_as(
            dialog.user_id, enterprise, saved, number, bool(data.get(PHONE_SHARED))
        )
        request = None
        if asks and enterprise is not None:
            recipients = await self._contacts.request_messages(
                enterprise, name, number, dialog.user_id
            )

            def request(contact_id: int) -> list[Outgoing]:
                return ContactService.request_outgoing(recipients, contact_id)

        registration = await self._store.save_registration(
            telegram_id=dialog.user_id,
            credit_code=code,
            enterprise_name=str(data[Step.ENTERPRISE_NAME.value]),
            district=str(data[Step.DISTRICT.value]),
            industry=str(data[Step.INDUSTRY.value]),
            contact_name=name,
            phone=number,
            consented_at=_parse_time(consent) or self._clock.now(),
            source=EnterpriseSource.REGISTRATION,
            dialog=(dialog.name, dialog.chat_id, dialog.user_id),
            status=status,
            request=request,
        )
        if request is not None:
            self._waker.wake()
        return Confirmed(registration)

    async def cancel(self, chat_id: int, user_id: int) -> bool:
        """Drop the dialog; return whether there was one."""
        existed = await self._dialogs.load_dialog(DIALOG_NAME, chat_id, user_id) is not None
        await self._dialogs.delete_dialog(DIALOG_NAME, chat_id, user_id)
        return existed

    async def erase(self, user_id: int) -> bool:
        """Erase the owner's personal data (/deleteme)."""
        return await self._store.erase_contact(user_id)

    async def _advance(self, dialog: DialogState) -> DialogState:
        dialog.state = next_step(dialog.data).value
        await self._dialogs.save_dialog(dialog)
        return dialog


def _same(saved: Registration, data: dict[str, object]) -> bool:
    """Whether the dialog's answers are what is saved already."""
    e, c = saved.enterprise, saved.contact
    return (
        data.get(Step.ENTERPRISE_NAME.value) == e.name
        and data.get(Step.DISTRICT.value) == e.district
        and data.get(Step.INDUSTRY.value) == e.industry
        and data.get(Step.CONTACT_NAME.value) == (c.name or "")
        and data.get(Step.PHONE.value) == (c.phone or "")
    )


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
