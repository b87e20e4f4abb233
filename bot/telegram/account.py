"""The account's own commands: /start /help /privacy /language /deleteme."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.domain.models import Language
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    chat_id,
    clear_buttons,
    guarded,
    keyboard,
    language,
    reply,
    user_id,
)
from bot.telegram.context import BotContext
from bot.telegram.menus import set_chat_menu


async def start(update: Update, context: BotContext) -> None:
    """/start: welcome; offer registration, or greet a registered owner."""
    registration = await context.services.registration.registration_of(user_id(update))
    lang = await language(update, context)
    label = "view_registration" if registration else "register"
    markup = keyboard(
        [
            [
                button(
                    context,
                    update,
                    context.services.renderer.label(lang, label),
                    callbacks.REGISTRATION,
                    "start",
                )
            ]
        ]
    )
    assert update.effective_user is not None
    await reply(
        update,
        context,
        "start",
        markup,
        name=update.effective_user.first_name,
        registration=registration,
    )


async def help_command(update: Update, context: BotContext) -> None:
    """/help: the commands of the user's role, described in their language."""
    lang = await language(update, context)
    role = await context.role(user_id(update))
    listed = [
        {"name": c.name, "description": context.services.renderer.label(lang, f"cmd_{c.name}")}
        for c in commands.commands_for(role)
    ]
    await reply(update, context, "help", commands=listed)


async def privacy(update: Update, context: BotContext) -> None:
    """/privacy: what is stored, why and who sees it."""
    await reply(update, context, "privacy")


async def choose_language(update: Update, context: BotContext) -> None:
    """/language: offer the three languages, each named in its own script."""
    # A reader who cannot read the current language must still find their own.
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(code, f"language_{code.name.lower()}"),
                callbacks.LANGUAGE,
                code.value,
            )
            for code in Language
        ]
    ]
    await reply(update, context, "language_choose", keyboard(rows))


async def set_language(update: Update, context: BotContext) -> None:
    """A language button: remember it, answer in it, and set the chat's menu in it."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    values = {lang.value for lang in Language}
    if callback is None or callback.prefix != callbacks.LANGUAGE or callback.arg() not in values:
        await answer_expired(update, context, alert=True)
        return
    chosen = Language(callback.arg())
    await context.services.accounts.set_language(user_id(update), chosen)
    context.forget_account()
    await answer_query(update)
    await clear_buttons(update)
    await reply(update, context, "language_changed")
    role = await context.role(user_id(update))
    await set_chat_menu(context.bot, context.services.renderer, chat_id(update), role, chosen)


async def deleteme(update: Update, context: BotContext) -> None:
    """/deleteme: ask for confirmation before erasing personal data."""
    if await context.services.registration.registration_of(user_id(update)) is None:
        await reply(update, context, "deleteme_nothing")
        return
    lang = await language(update, context)
    labels = context.services.renderer
    rows = [
        [button(context, update, labels.label(lang, "erase_yes"), callbacks.ERASE, "yes")],
        [button(context, update, labels.label(lang, "erase_no"), callbacks.ERASE, "no")],
    ]
    await reply(update, context, "deleteme_confirm", keyboard(rows))


async def erase_answer(update: Update, context: BotContext) -> None:
    """The answer to /deleteme's confirmation."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if (
        callback is None
        or callback.prefix != callbacks.ERASE
        or callback.arg() not in ("yes", "no")
    ):
        await answer_expired(update, context, alert=True)
        return
    await answer_query(update)
    await clear_buttons(update)
    if callback.arg() == "no":
        await reply(update, context, "deleteme_kept")
        return
    erased = await context.services.registration.erase(user_id(update))
    await reply(update, context, "deleteme_done" if erased else "deleteme_nothing")


def before_dialogs() -> list[BaseHandler[Update, BotContext, None]]:
    """Handlers that work even in the middle of a dialog (checked before dialogs)."""
    return [
        CommandHandler(commands.HELP, help_command),
        CommandHandler(commands.PRIVACY, guarded(commands.PRIVACY, privacy)),
        CommandHandler(commands.LANGUAGE, choose_language),
        CallbackQueryHandler(set_language, pattern=CallbackCodec.pattern(callbacks.LANGUAGE)),
    ]


def commands_after_dialogs() -> list[BaseHandler[Update, BotContext, None]]:
    """/start and /deleteme: answered when no dialog took the update."""
    return [
        CommandHandler(commands.START, start),
        CommandHandler(commands.DELETEME, guarded(commands.DELETEME, deleteme)),
        CallbackQueryHandler(erase_answer, pattern=CallbackCodec.pattern(callbacks.ERASE)),
    ]
