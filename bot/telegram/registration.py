"""Registration dialog (PRODUCT §3.1) as a persistent ConversationHandler.

States are the values of bot.domain.registration.Step; the service stores every answer before a
handler replies, and the dialogs table doubles as the ConversationHandler's persistence, so a
crash resumes at the same step. Diagram: docs/registration.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import phone
from bot.domain.credit_code import CreditCodeError
from bot.domain.models import DialogState, EnterpriseSource, Registration, Role
from bot.domain.phone import PhoneError
from bot.domain.registration import (
    DIALOG_NAME,
    EXISTING,
    IMPORTED,
    UPDATING,
    Step,
    TextError,
    editable_fields,
)
from bot.services.registration import (
    Confirmed,
    NotEditable,
    RegistrationService,
    UnknownChoice,
)
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    chat_id,
    choice_rows,
    clear_buttons,
    dialog_handler,
    keyboard,
    language,
    reply,
    user_id,
)
from bot.telegram.context import BotContext

PREFIX = callbacks.REGISTRATION
END = ConversationHandler.END
_TEXT = filters.TEXT & ~filters.COMMAND


async def _dialog(update: Update, context: BotContext) -> DialogState | None:
    return await context.services.registration.current(chat_id(update), user_id(update))


# -- asking ---------------------------------------------------------------------------------


async def ask(update: Update, context: BotContext, dialog: DialogState) -> str:
    """Send the question for the dialog's current step and return that step as the state."""
    step = Step(dialog.state)
    lang = await language(update, context)
    labels = context.services.renderer
    svc = context.services.registration
    settings = context.services.settings
    if step is Step.CONSENT:
        rows = [
            [
                button(context, update, labels.label(lang, "agree"), PREFIX, "consent"),
                button(context, update, labels.label(lang, "cancel"), PREFIX, "cancel"),
            ]
        ]
        await reply(update, context, "registration/consent", keyboard(rows))
    elif step in (Step.DISTRICT, Step.INDUSTRY):
        choices = settings.districts if step is Step.DISTRICT else settings.industries
        rows = choice_rows(context, update, lang, choices, PREFIX, step.value)
        await reply(update, context, f"registration/ask_{step.value}", keyboard(rows))
    elif step is Step.PHONE:
        share = KeyboardButton(labels.label(lang, "share_phone"), request_contact=True)
        markup = ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True)
        await reply(update, context, "registration/ask_phone", markup)
    elif step is Step.CONFIRM:
        data = dialog.data
        updating = bool(data.get(UPDATING))
        rows = [
            [
                button(
                    context,
                    update,
                    labels.label(lang, "save" if updating else "confirm"),
                    PREFIX,
                    "confirm",
                )
            ],
            [
                button(context, update, labels.label(lang, "edit"), PREFIX, "edit"),
                button(context, update, labels.label(lang, "cancel"), PREFIX, "cancel"),
            ],
        ]
        district = svc.choice(Step.DISTRICT, str(data[Step.DISTRICT.value]))
        industry = svc.choice(Step.INDUSTRY, str(data[Step.INDUSTRY.value]))
        await reply(
            update,
            context,
            "registration/summary",
            keyboard(rows),
            updating=updating,
            existing=bool(data.get(EXISTING)),
            imported=bool(data.get(IMPORTED)),
            enterprise_name=data[Step.ENTERPRISE_NAME.value],
            credit_code=data[Step.CREDIT_CODE.value],
            district=district.label(lang) if district else data[Step.DISTRICT.value],
            industry=industry.label(lang) if industry else data[Step.INDUSTRY.value],
            contact_name=data[Step.CONTACT_NAME.value],
            phone=_display_phone(str(data[Step.PHONE.value])),
        )
    elif step is Step.EDIT_MENU:
        fields = [
            button(
                context, update, labels.label(lang, f"field_{f.value}"), PREFIX, "field", f.value
            )
            for f in editable_fields(dialog.data)
        ]
        rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
        rows.append([button(context, update, labels.label(lang, "back"), PREFIX, "back")])
        await reply(update, context, "registration/edit_menu", keyboard(rows))
    else:
        await reply(update, context, f"registration/ask_{step.value}")
    return step.value


def _display_phone(e164: str) -> str:
    try:
        return phone.parse(e164).national
    except PhoneError:
        return e164


async def reask(update: Update, context: BotContext) -> str:
    """Ask the current question again (after an error, an old button or a stray input)."""
    dialog = await _dialog(update, context)
    if dialog is None:  # the dialog was ended elsewhere (e.g. /deleteme)
        return END  # type: ignore[return-value]
    return await ask(update, context, dialog)


# -- entry ----------------------------------------------------------------------------------


async def begin(update: Update, context: BotContext) -> str:
    """/register (or the Register button): resume, start, or show a saved registration.

    Showing a saved registration is not editing it: no dialog starts (so /ask and /mycases
    keep working) until the owner presses Edit.
    """
    await answer_query(update)
    if await context.role(user_id(update)) is not Role.OWNER:
        await reply(update, context, "errors/not_available")  # one account, one role
        return END  # type: ignore[return-value]
    svc = context.services.registration
    dialog = await svc.current(chat_id(update), user_id(update))
    if dialog is None:
        saved = await svc.registration_of(user_id(update))
        if saved is not None:
            await _show_saved(update, context, saved)
            return END  # type: ignore[return-value]
        dialog = await svc.begin(chat_id(update), user_id(update))
    return await ask(update, context, dialog)


async def begin_edit(update: Update, context: BotContext) -> str:
    """Edit under a shown registration: the dialog starts, at the menu of fields."""
    await answer_query(update)
    await clear_buttons(update)
    svc = context.services.registration
    if await context.role(user_id(update)) is not Role.OWNER:
        await reply(update, context, "errors/not_available")
        return END  # type: ignore[return-value]
    dialog = await svc.current(chat_id(update), user_id(update)) or await svc.begin(
        chat_id(update), user_id(update)
    )
    return await ask(update, context, await svc.show_edit_menu(dialog))


async def _show_saved(update: Update, context: BotContext, saved: Registration) -> None:
    lang = await language(update, context)
    svc = context.services.registration
    district = svc.choice(Step.DISTRICT, saved.enterprise.district)
    industry = svc.choice(Step.INDUSTRY, saved.enterprise.industry)
    edit = button(context, update, context.services.renderer.label(lang, "edit"), PREFIX, "modify")
    await reply(
        update,
        context,
        "registration/summary",
        keyboard([[edit]]),
        updating=True,
        existing=saved.enterprise.source is EnterpriseSource.IMPORT,
        imported=saved.enterprise.source is EnterpriseSource.IMPORT,
        enterprise_name=saved.enterprise.name,
        credit_code=saved.enterprise.credit_code,
        district=district.label(lang) if district else saved.enterprise.district,
        industry=industry.label(lang) if industry else saved.enterprise.industry,
        contact_name=saved.contact.name or "",
        phone=_display_phone(saved.contact.phone or ""),
    )


# -- answers --------------------------------------------------------------------------------
# The stored dialog, not the ConversationHandler's in-memory state, decides what an input
# answers: if a reply failed after the service had stored an answer (Telegram down, a crash),
# the two differ, and the stored one is the truth the owner was last asked about.


async def on_text(update: Update, context: BotContext) -> str:
    """Typed text: the answer to whatever the stored dialog asks now."""
    dialog = await _dialog(update, context)
    if dialog is None:
        return END  # type: ignore[return-value]
    assert update.message is not None
    text = update.message.text or ""
    answer = _TEXT_ANSWERS.get(Step(dialog.state), _expects_button)
    return await answer(update, context, dialog, text)


async def _answer_name(update: Update, context: BotContext, dialog: DialogState, text: str) -> str:
    step = Step(dialog.state)
    try:
        dialog = await context.services.registration.answer_name(dialog, step, text)
    except TextError as exc:
        values = {"rule": exc.rule.value, "limit": exc.limit}
        await reply(update, context, "registration/error_name", **values)
    return await ask(update, context, dialog)


async def _answer_credit_code(
    update: Update, context: BotContext, dialog: DialogState, text: str
) -> str:
    try:
        answered = await context.services.registration.answer_credit_code(dialog, text)
    except CreditCodeError as exc:
        await reply(
            update,
            context,
            "registration/error_credit_code",
            rule=exc.rule.value,
            length=exc.length,
            bad_chars=exc.bad_chars,
            suggestions=exc.suggestions,
            expected=exc.expected,
        )
        return dialog.state  # the error ends with "please type it again"
    if answered.matched is not None:
        imported = bool(answered.dialog.data.get(IMPORTED))
        await reply(
            update, context, "registration/matched", enterprise=answered.matched, imported=imported
        )
    return await ask(update, context, answered.dialog)


async def _answer_choice_text(
    update: Update, context: BotContext, dialog: DialogState, text: str
) -> str:
    """A district or industry typed instead of pressed: accepted when it names one option."""
    svc = context.services.registration
    step = Step(dialog.state)
    found = svc.match_choice(step, text)
    if found is None:
        await reply(update, context, "registration/error_choice", text=text[:50])
        return await ask(update, context, dialog)
    return await ask(update, context, await svc.answer_choice(dialog, step, found))


async def _answer_phone(
    update: Update, context: BotContext, dialog: DialogState, text: str, shared: bool = False
) -> str:
    try:
        dialog = await context.services.registration.answer_phone(dialog, text, shared=shared)
    except PhoneError as exc:
        await reply(update, context, "registration/error_phone", rule=exc.rule.value)
        return dialog.state
    shown = _display_phone(str(dialog.data[Step.PHONE.value]))
    await reply(update, context, "registration/phone_received", ReplyKeyboardRemove(), phone=shown)
    return await ask(update, context, dialog)


async def _expects_button(
    update: Update, context: BotContext, dialog: DialogState, text: str
) -> str:
    """Typed text where only buttons work (consent, summary, edit menu)."""
    del text
    await reply(update, context, "errors/expected_input", expected="button")
    return await ask(update, context, dialog)


_TEXT_ANSWERS = {
    Step.ENTERPRISE_NAME: _answer_name,
    Step.CREDIT_CODE: _answer_credit_code,
    Step.DISTRICT: _answer_choice_text,
    Step.INDUSTRY: _answer_choice_text,
    Step.CONTACT_NAME: _answer_name,
    Step.PHONE: _answer_phone,
}


async def on_contact(update: Update, context: BotContext) -> str:
    """A shared contact: only the sender's own card, and only when the phone is asked."""
    dialog = await _dialog(update, context)
    if dialog is None or dialog.state != Step.PHONE:
        return await wrong_kind(update, context)
    message = update.message
    assert message is not None
    assert message.contact is not None
    if message.contact.user_id != user_id(update):
        await reply(update, context, "registration/error_foreign_contact")
        return await ask(update, context, dialog)
    return await _answer_phone(update, context, dialog, message.contact.phone_number, True)


async def on_button(update: Update, context: BotContext) -> str:
    """A registration button: verified, and valid only for the step the dialog is at."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    dialog = await _dialog(update, context)
    if callback is None or callback.prefix != PREFIX or dialog is None:
        return await stale_button(update, context)
    action, arg = callback.arg(0), callback.arg(1)
    if action == "cancel":
        return await cancel(update, context)  # type: ignore[return-value]
    handler = _BUTTONS.get((Step(dialog.state), action))
    if handler is None:
        return await stale_button(update, context)
    svc = context.services.registration
    try:
        changed = await handler(svc, dialog, arg)
    except (UnknownChoice, NotEditable, ValueError):
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    if isinstance(changed, Confirmed):
        if not changed.changed:
            await reply(update, context, "registration/unchanged")
            return END  # type: ignore[return-value]
        updating = bool(dialog.data.get(UPDATING))
        name = changed.registration.enterprise.name
        await reply(
            update,
            context,
            "registration/saved",
            updating=updating,
            enterprise_name=name,
            status=changed.registration.contact.status.value,
            days=context.services.contacts.request_days,
        )
        return END  # type: ignore[return-value]
    return await ask(update, context, changed)


async def _press_consent(svc: RegistrationService, dialog: DialogState, arg: str) -> DialogState:
    return await svc.consent(dialog)


async def _press_choice(svc: RegistrationService, dialog: DialogState, arg: str) -> DialogState:
    return await svc.answer_choice(dialog, Step(dialog.state), arg)


async def _press_confirm(svc: RegistrationService, dialog: DialogState, arg: str) -> Confirmed:
    return await svc.confirm(dialog)


async def _press_edit(svc: RegistrationService, dialog: DialogState, arg: str) -> DialogState:
    return await svc.show_edit_menu(dialog)


async def _press_field(svc: RegistrationService, dialog: DialogState, arg: str) -> DialogState:
    return await svc.edit(dialog, Step(arg))  # Step() raises ValueError on forged data


async def _press_back(svc: RegistrationService, dialog: DialogState, arg: str) -> DialogState:
    return await svc.back_to_summary(dialog)


_BUTTONS: dict[
    tuple[Step, str],
    Callable[[RegistrationService, DialogState, str], Awaitable[DialogState | Confirmed]],
] = {
    (Step.CONSENT, "consent"): _press_consent,
    (Step.DISTRICT, Step.DISTRICT.value): _press_choice,
    (Step.INDUSTRY, Step.INDUSTRY.value): _press_choice,
    (Step.CONFIRM, "confirm"): _press_confirm,
    (Step.CONFIRM, "edit"): _press_edit,
    (Step.EDIT_MENU, "field"): _press_field,
    (Step.EDIT_MENU, "back"): _press_back,
}


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button: drop the dialog; nothing half-written remains."""
    await answer_query(update)
    await clear_buttons(update)
    dialog = await _dialog(update, context)
    updating = bool(dialog and dialog.data.get(UPDATING))
    await context.services.registration.cancel(chat_id(update), user_id(update))
    await reply(
        update,
        context,
        "cancelled",
        ReplyKeyboardRemove(),
        dialog=DIALOG_NAME,
        updating=updating,
    )
    return END


# -- everything else inside the dialog ------------------------------------------------------


async def stale_button(update: Update, context: BotContext) -> str:
    """A button from an old message, or forged data: say so and ask the current question."""
    await answer_expired(update, context)
    return await reask(update, context)


async def wrong_kind(update: Update, context: BotContext) -> str:
    """A photo, sticker, location… where text or a button was asked."""
    dialog = await _dialog(update, context)
    if dialog is None:
        return END  # type: ignore[return-value]
    step = Step(dialog.state)
    expected = "text"
    if step not in _TEXT_ANSWERS:
        expected = "button"
    elif step is Step.PHONE:
        expected = "phone"
    await reply(update, context, "errors/expected_input", expected=expected)
    return await ask(update, context, dialog)


async def _command_in_dialog(update: Update, context: BotContext) -> str:
    """Another command mid-dialog: finish the dialog or /cancel it first."""
    await reply(update, context, "registration/in_progress")
    return await reask(update, context)


def build() -> ConversationHandler[BotContext]:
    """The registration ConversationHandler; app.py registers it."""
    # Every state takes the same handlers: they read the stored step (see on_text).
    answers: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(PREFIX)),
        MessageHandler(filters.CONTACT, on_contact),
        MessageHandler(_TEXT, on_text),
    ]
    return dialog_handler(
        entry_points=[
            CommandHandler(commands.REGISTER, begin),
            CallbackQueryHandler(begin, pattern=CallbackCodec.pattern(PREFIX, "start")),
            CallbackQueryHandler(begin_edit, pattern=CallbackCodec.pattern(PREFIX, "modify")),
        ],
        states={step.value: answers for step in Step},
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            CommandHandler(commands.REGISTER, reask),
            MessageHandler(filters.COMMAND, _command_in_dialog),
            CallbackQueryHandler(stale_button),
            MessageHandler(filters.ALL, wrong_kind),
        ],
        name=DIALOG_NAME,
        persistent=True,
        allow_reentry=False,
    )
