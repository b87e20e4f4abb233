"""What no other handler took: unknown commands, stale buttons, stray input; the error
handler; and the hook that records every user seen, before any handler runs."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot.telegram import callbacks
from bot.telegram.common import answer_expired, button, keyboard, language, reply, user_id
from bot.telegram.context import BotContext
from bot.telegram.inbox import failed_try

_LOGGER = logging.getLogger(__name__)


async def seen(update: Update, context: BotContext) -> None:
    """Every update: record its user (reactivating one who had blocked the bot)."""
    user = update.effective_user
    if user is None:
        return
    context.remember(await context.services.accounts.seen(user.id, user.language_code))


def seen_hook() -> BaseHandler[Update, BotContext, None]:
    """The hook app.py registers in group -1, ahead of every handler."""
    return TypeHandler(Update, seen)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command that does not exist (or not for this role)."""
    await reply(update, context, "errors/unknown_command")


async def other_input(update: Update, context: BotContext) -> None:
    """Anything else outside a dialog: point to registration or /help."""
    registration = await context.services.registration.registration_of(user_id(update))
    markup = None
    if registration is None:
        lang = await language(update, context)
        label = context.services.renderer.label(lang, "register")
        markup = keyboard([[button(context, update, label, callbacks.REGISTRATION, "start")]])
    await reply(
        update, context, "errors/unknown_input", markup, registered=registration is not None
    )


async def stale_button(update: Update, context: BotContext) -> None:
    """A button nobody handles any more (old message, finished dialog, forged data)."""
    await answer_expired(update, context, alert=True)


async def on_error(update: object, context: BotContext) -> None:
    """Log every error with its context; tell the user, in their language, without a trace."""
    _LOGGER.error(
        "Error while handling update %s",
        update.update_id if isinstance(update, Update) else update,
        exc_info=context.error,
    )
    if not failed_try(context.error):
        return  # the inbox tries the update again: the user hears only of the last failure
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        lang = await language(update, context)
        text = context.services.renderer.render("errors/internal", lang)
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the error reply itself failed (e.g. Telegram is down): logged only
        _LOGGER.exception("Could not tell the user about the error")
    if update.callback_query is not None:
        # Stop the button's spinner, unless the handler had answered it already.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Handlers for everything no other handler took (registered last)."""
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, other_input),
    ]
