"""Staff onboarding by invite deep link (PRODUCT §5.1): `/start inv-…`, then name → title →
district (liaisons) or specialties (counsel). The dialog is OnboardingService's; diagram in
docs/staff.md."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.models import DialogState
from bot.domain.onboarding import ROLE, OnboardingStep, chosen_specialties
from bot.domain.registration import TextError
from bot.services.onboarding import CannotOnboard, WrongStep
from bot.services.staff import InviteProblem
from bot.telegram import callbacks, commands, keyboards
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
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
from bot.telegram.menus import set_chat_menu

END = ConversationHandler.END
INVITE_PAYLOAD = "inv-"


async def begin(update: Update, context: BotContext) -> str | int:
    """`/start inv-…`: check the invite and the account, then ask the first question."""
    code = (context.args or [""])[0]
    uid = user_id(update)
    try:
        dialog = await context.services.onboarding.begin(
            chat_id(update),
            uid,
            code,
            role=await context.role(uid),
            registered=await context.services.accounts.registration_of(uid) is not None,
        )
    except InviteProblem:
        await reply(update, context, "staff/invite_problem")
        return END
    except CannotOnboard:
        await reply(update, context, "staff/already")
        return END
    return await ask(update, context, dialog)


async def ask(update: Update, context: BotContext, dialog: DialogState) -> str | int:
    """Ask the question of the dialog's step, or finish when all is answered."""
    lang = await language(update, context)
    labels = context.services.renderer
    step = OnboardingStep(dialog.state)
    if step is OnboardingStep.NAME:
        role_name = labels.label(lang, f"role_{dialog.data[ROLE]}")
        await reply(update, context, "staff/welcome", role_name=role_name)
    elif step is OnboardingStep.TITLE:
        await reply(update, context, "staff/ask_title")
    elif step is OnboardingStep.DISTRICT:
        districts = context.services.settings.districts
        rows = choice_rows(context, update, lang, districts, callbacks.ONBOARDING, "district")
        await reply(update, context, "staff/ask_district", keyboard(rows))
    elif step is OnboardingStep.SPECIALTIES:
        chosen = chosen_specialties(dialog.data)
        offered = context.services.onboarding.specialties
        markup = keyboards.specialties(context, update, lang, offered, chosen)
        names = [labels.label(lang, "specialty", s) for s in chosen]
        await reply(update, context, "staff/ask_specialties", markup, chosen=names)
    else:
        return await _finish(update, context, dialog)
    return dialog.state


async def _finish(update: Update, context: BotContext, dialog: DialogState) -> int:
    try:
        staff = await context.services.onboarding.finish(dialog)
    except InviteProblem:
        await reply(update, context, "staff/invite_problem")
        return END
    await reply(
        update,
        context,
        "staff/joined",
        signature={"name": staff.display_name, "title": staff.title},
    )
    lang = await language(update, context)
    await set_chat_menu(context.bot, context.services.renderer, chat_id(update), staff.role, lang)
    return END


async def on_text(update: Update, context: BotContext) -> str | int:
    """A typed name or title (other steps want buttons)."""
    onboarding = context.services.onboarding
    dialog = await onboarding.current(chat_id(update), user_id(update))
    if dialog is None:
        return END
    assert update.message is not None
    try:
        dialog = await onboarding.answer_text(dialog, update.message.text or "")
    except TextError as exc:
        await reply(
            update, context, "registration/error_name", rule=exc.rule.value, limit=exc.limit
        )
    except WrongStep:
        await reply(update, context, "errors/expected_input", expected="button")
    return await ask(update, context, dialog)


async def on_button(update: Update, context: BotContext) -> str | int:
    """District, specialty toggles, done."""
    query = update.callback_query
    assert query is not None
    onboarding = context.services.onboarding
    callback = context.services.callbacks.decode(user_id(update), query.data)
    dialog = await onboarding.current(chat_id(update), user_id(update))
    if callback is None or dialog is None:
        await answer_expired(update, context)
        return dialog.state if dialog else END
    action, arg = callback.arg(0), callback.arg(1)
    try:
        if action == "district":
            dialog = await onboarding.choose_district(dialog, arg)
        elif action == "spec":
            dialog = await onboarding.toggle_specialty(dialog, arg)
        elif action == "done":
            dialog = await onboarding.specialties_done(dialog)
        else:
            raise WrongStep(action)
    except WrongStep:
        await answer_expired(update, context)
        return dialog.state
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, dialog)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: leave onboarding; the invite stays usable until it expires."""
    await context.services.onboarding.cancel(chat_id(update), user_id(update))
    await reply(update, context, "cancelled", dialog="onboarding", updating=False)
    return END


async def other(update: Update, context: BotContext) -> str | int:
    """Anything else during onboarding: the current question again."""
    dialog = await context.services.onboarding.current(chat_id(update), user_id(update))
    if dialog is None:
        return END
    if update.callback_query is not None:
        await answer_expired(update, context)
    else:
        await reply(update, context, "staff/in_progress")
    return await ask(update, context, dialog)


def conversation() -> ConversationHandler[BotContext]:
    """Onboarding by deep link; app.py registers it before /start."""
    steps: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(callbacks.ONBOARDING)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
    ]
    asked = [s.value for s in OnboardingStep if s is not OnboardingStep.DONE]
    return dialog_handler(
        entry_points=[
            CommandHandler(commands.START, begin, filters.Regex(rf"^/start {INVITE_PAYLOAD}"))
        ],
        states={state: steps for state in asked},
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            MessageHandler(filters.ALL, other),
            CallbackQueryHandler(other),
        ],
        name="onboarding",
        persistent=True,
    )
