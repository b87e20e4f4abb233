"""Registration dialog (PRODUCT §3.1) as a persistent ConversationHandler.

States are the values of bot.domain.registration.Step; the service stores every answer before a
handler replies, and the dialogs table doubles as the ConversationHandler's persistence, so a
crash resumes at the same step. Diagram: docs/registration.md.
"""

from __future__ import annotations

import warnings

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import BotContext
from bot.domain import phone
from bot.domain.credit_code import CreditCodeError
from bot.domain.models import DialogState
from bot.domain.phone import PhoneError, PhoneRule
from bot.domain.registration import (
    DIALOG_NAME,
    EXISTING,
    IMPORTED,
    UPDATING,
    Step,
    TextError,
    editable_fields,
)
from bot.services.registration import NotEditable, UnknownChoice
from bot.telegram import commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_query,
    button,
    chat_id,
    choice_rows,
    clear_buttons,
    keyboard,
    language,
    reply,
    user_id,
)

PREFIX = "reg"
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
    """/register (or the Register button): resume, start, or review a saved registration."""
    await answer_query(update)
    svc = context.services.registration
    dialog = await svc.current(chat_id(update), user_id(update)) or await svc.begin(
        chat_id(update), user_id(update)
    )
    return await ask(update, context, dialog)


# -- answers --------------------------------------------------------------------------------


def _verified(update: Update, context: BotContext) -> tuple[str, ...] | None:
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if callback is None or callback.prefix != PREFIX:
        return None
    return callback.args


async def on_consent(update: Update, context: BotContext) -> str:
    """The owner agreed to the privacy terms."""
    if _verified(update, context) is None:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    dialog = await _dialog(update, context)
    if dialog is None:
        return END  # type: ignore[return-value]
    return await ask(update, context, await context.services.registration.consent(dialog))


async def on_name(update: Update, context: BotContext) -> str:
    """A typed enterprise or contact name."""
    dialog = await _dialog(update, context)
    assert update.message is not None
    assert update.message.text is not None
    if dialog is None:
        return END  # type: ignore[return-value]
    step = Step(dialog.state)
    try:
        dialog = await context.services.registration.answer_name(dialog, step, update.message.text)
    except TextError as exc:
        await reply(
            update, context, "registration/error_name", rule=exc.rule.value, limit=exc.limit
        )
        return await ask(update, context, dialog)
    return await ask(update, context, dialog)


async def on_credit_code(update: Update, context: BotContext) -> str:
    """A typed credit code, checked against GB 32100-2015."""
    dialog = await _dialog(update, context)
    assert update.message is not None
    assert update.message.text is not None
    if dialog is None:
        return END  # type: ignore[return-value]
    try:
        answered = await context.services.registration.answer_credit_code(
            dialog, update.message.text
        )
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
        return Step.CREDIT_CODE.value
    if answered.matched is not None:
        await reply(
            update,
            context,
            "registration/matched",
            enterprise=answered.matched,
            imported=bool(answered.dialog.data.get(IMPORTED)),
        )
    return await ask(update, context, answered.dialog)


async def on_choice_button(update: Update, context: BotContext) -> str:
    """A district or industry button."""
    args = _verified(update, context)
    dialog = await _dialog(update, context)
    if args is None or dialog is None or len(args) != 2 or args[0] != dialog.state:
        return await stale_button(update, context)
    try:
        dialog = await context.services.registration.answer_choice(dialog, Step(args[0]), args[1])
    except UnknownChoice:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, dialog)


async def on_choice_text(update: Update, context: BotContext) -> str:
    """A district or industry typed instead of pressed: accepted when it names one option."""
    dialog = await _dialog(update, context)
    assert update.message is not None
    assert update.message.text is not None
    if dialog is None:
        return END  # type: ignore[return-value]
    step = Step(dialog.state)
    svc = context.services.registration
    found = svc.match_choice(step, update.message.text)
    if found is None:
        await reply(update, context, "registration/error_choice", text=update.message.text[:50])
        return await ask(update, context, dialog)
    return await ask(update, context, await svc.answer_choice(dialog, step, found))


async def on_phone_text(update: Update, context: BotContext) -> str:
    """A typed phone number."""
    assert update.message is not None
    assert update.message.text is not None
    return await _take_phone(update, context, update.message.text)


async def on_contact(update: Update, context: BotContext) -> str:
    """A shared contact: only the sender's own card is taken as their number."""
    message = update.message
    assert message is not None
    assert message.contact is not None
    if message.contact.user_id != user_id(update):
        await reply(update, context, "registration/error_foreign_contact")
        return await reask(update, context)
    return await _take_phone(update, context, message.contact.phone_number)


async def _take_phone(update: Update, context: BotContext, text: str) -> str:
    dialog = await _dialog(update, context)
    if dialog is None:
        return END  # type: ignore[return-value]
    try:
        dialog = await context.services.registration.answer_phone(dialog, text)
    except PhoneError as exc:
        rule = exc.rule if isinstance(exc.rule, PhoneRule) else PhoneRule.INVALID
        await reply(update, context, "registration/error_phone", rule=rule.value)
        return Step.PHONE.value
    shown = _display_phone(str(dialog.data[Step.PHONE.value]))
    await reply(update, context, "registration/phone_received", ReplyKeyboardRemove(), phone=shown)
    return await ask(update, context, dialog)


async def on_confirm(update: Update, context: BotContext) -> str:
    """Confirm on the summary: save, in one transaction, and end the dialog."""
    dialog = await _dialog(update, context)
    if _verified(update, context) is None or dialog is None or dialog.state != Step.CONFIRM:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    registration = await context.services.registration.confirm(dialog)
    await reply(
        update,
        context,
        "registration/saved",
        updating=bool(dialog.data.get(UPDATING)),
        enterprise_name=registration.enterprise.name,
    )
    return END  # type: ignore[return-value]


async def on_edit(update: Update, context: BotContext) -> str:
    """Edit a field: show the menu of fields this registration lets the owner change."""
    dialog = await _dialog(update, context)
    if _verified(update, context) is None or dialog is None:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, await context.services.registration.show_edit_menu(dialog))


async def on_field(update: Update, context: BotContext) -> str:
    """A field chosen in the edit menu: ask it again."""
    args = _verified(update, context)
    dialog = await _dialog(update, context)
    if args is None or dialog is None or len(args) != 2 or args[1] not in Step.__members__.values():
        return await stale_button(update, context)
    try:
        dialog = await context.services.registration.edit(dialog, Step(args[1]))
    except NotEditable:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, dialog)


async def on_back(update: Update, context: BotContext) -> str:
    """Back from the edit menu to the summary."""
    dialog = await _dialog(update, context)
    if _verified(update, context) is None or dialog is None:
        return await stale_button(update, context)
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, await context.services.registration.back_to_summary(dialog))


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button: drop the dialog; nothing half-written remains."""
    if update.callback_query is not None:
        if _verified(update, context) is None:
            return await stale_button(update, context)  # type: ignore[return-value]
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
    query = update.callback_query
    if query is not None:
        lang = await language(update, context)
        await query.answer(context.services.renderer.render("errors/stale_button", lang))
    return await reask(update, context)


async def wrong_kind(update: Update, context: BotContext) -> str:
    """A photo, sticker, location… where text or a button was asked."""
    dialog = await _dialog(update, context)
    if dialog is None:
        return END  # type: ignore[return-value]
    step = Step(dialog.state)
    expected = "text"
    if step in (Step.CONSENT, Step.DISTRICT, Step.INDUSTRY, Step.CONFIRM, Step.EDIT_MENU):
        expected = "button"
    elif step is Step.PHONE:
        expected = "phone"
    await reply(update, context, "registration/error_not_text", expected=expected)
    return await ask(update, context, dialog)


async def text_instead_of_button(update: Update, context: BotContext) -> str:
    """Typed text where only buttons work (consent, summary, edit menu)."""
    await reply(update, context, "registration/error_not_text", expected="button")
    return await reask(update, context)


def build(codec: CallbackCodec) -> ConversationHandler[BotContext]:
    """The registration ConversationHandler; app.py registers it."""
    del codec  # patterns only check the prefix; handlers verify signatures
    pat = CallbackCodec.pattern
    on_text_only: list[BaseHandler[Update, BotContext, object]] = [
        MessageHandler(_TEXT, text_instead_of_button)
    ]
    states: dict[object, list[BaseHandler[Update, BotContext, object]]] = {
        Step.CONSENT.value: [
            CallbackQueryHandler(on_consent, pattern=pat(PREFIX, "consent")),
            *on_text_only,
        ],
        Step.ENTERPRISE_NAME.value: [MessageHandler(_TEXT, on_name)],
        Step.CREDIT_CODE.value: [MessageHandler(_TEXT, on_credit_code)],
        Step.DISTRICT.value: [
            CallbackQueryHandler(on_choice_button, pattern=pat(PREFIX, Step.DISTRICT.value)),
            MessageHandler(_TEXT, on_choice_text),
        ],
        Step.INDUSTRY.value: [
            CallbackQueryHandler(on_choice_button, pattern=pat(PREFIX, Step.INDUSTRY.value)),
            MessageHandler(_TEXT, on_choice_text),
        ],
        Step.CONTACT_NAME.value: [MessageHandler(_TEXT, on_name)],
        Step.PHONE.value: [
            MessageHandler(filters.CONTACT, on_contact),
            MessageHandler(_TEXT, on_phone_text),
        ],
        Step.CONFIRM.value: [
            CallbackQueryHandler(on_confirm, pattern=pat(PREFIX, "confirm")),
            CallbackQueryHandler(on_edit, pattern=pat(PREFIX, "edit")),
            *on_text_only,
        ],
        Step.EDIT_MENU.value: [
            CallbackQueryHandler(on_field, pattern=pat(PREFIX, "field")),
            CallbackQueryHandler(on_back, pattern=pat(PREFIX, "back")),
            *on_text_only,
        ],
    }
    with warnings.catch_warnings():
        # PTB warns that per_message=False does not track callback queries per message. That is
        # intended: the dialog is keyed by chat and user, and every button is verified by its
        # signature and against the dialog's current state instead.
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        return _conversation(states)


def _conversation(
    states: dict[object, list[BaseHandler[Update, BotContext, object]]],
) -> ConversationHandler[BotContext]:
    pat = CallbackCodec.pattern
    return ConversationHandler(
        entry_points=[
            CommandHandler(commands.REGISTER, begin),
            CallbackQueryHandler(begin, pattern=pat(PREFIX, "start")),
        ],
        states=states,
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            CallbackQueryHandler(cancel, pattern=pat(PREFIX, "cancel")),
            CommandHandler(commands.REGISTER, reask),
            MessageHandler(filters.COMMAND, _command_in_dialog),
            CallbackQueryHandler(stale_button),
            MessageHandler(filters.ALL, wrong_kind),
        ],
        name=DIALOG_NAME,
        persistent=True,
        allow_reentry=False,
    )


async def _command_in_dialog(update: Update, context: BotContext) -> str:
    """Another command mid-dialog: finish the dialog or /cancel it first."""
    await reply(update, context, "registration/in_progress")
    return await reask(update, context)
