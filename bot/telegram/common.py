"""Helpers every handler module shares: the user's language, rendering and replying."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.domain.cases import Attachment, CaseClosed, NotAllowed
from bot.domain.models import Choice, Language
from bot.telegram import commands
from bot.telegram.context import BotContext

_LOGGER = logging.getLogger(__name__)
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


async def language(update: Update, context: BotContext) -> Language:
    """The language to answer this update's user in."""
    user = update.effective_user
    if user is None:
        return context.services.settings.default_language
    return await context.language(user.id, user.language_code)


def user_id(update: Update) -> int:
    """The id of the user who sent the update (handlers only run for updates with one)."""
    assert update.effective_user is not None
    return update.effective_user.id


def chat_id(update: Update) -> int:
    """The id of the chat the update came from."""
    assert update.effective_chat is not None
    return update.effective_chat.id


async def reply(
    update: Update,
    context: BotContext,
    template: str,
    markup: Markup = None,
    /,
    **values: Any,
) -> Message:
    """Render a template in the user's language and send it to the update's chat."""
    lang = await language(update, context)
    text = context.services.renderer.render(template, lang, **values)
    return await context.bot.send_message(chat_id(update), text, reply_markup=markup)


def button(
    context: BotContext, update: Update, label: str, prefix: str, *args: str
) -> InlineKeyboardButton:
    """An inline button whose signed callback data only this user can use."""
    data = context.services.callbacks.encode(user_id(update), prefix, *args)
    return InlineKeyboardButton(label, callback_data=data)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of buttons."""
    return InlineKeyboardMarkup([list(row) for row in rows])


def choice_rows(
    context: BotContext,
    update: Update,
    lang: Language,
    choices: Sequence[Choice],
    prefix: str,
    action: str,
    columns: int = 2,
) -> list[list[InlineKeyboardButton]]:
    """Buttons for configured choices, laid out in columns."""
    buttons = [button(context, update, c.label(lang), prefix, action, c.id) for c in choices]
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


async def answer_query(update: Update) -> None:
    """Acknowledge a button press so the client stops its spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def clear_buttons(update: Update) -> None:
    """Remove the inline keyboard of the message whose button was pressed."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message) and query.message.reply_markup:
        await query.edit_message_reply_markup(reply_markup=None)


async def not_available(update: Update, context: BotContext) -> None:
    """Say "not available" (as an alert under a button): not for this account's role."""
    if update.callback_query is not None:
        lang = await language(update, context)
        text = context.services.renderer.render("errors/not_available", lang)
        await update.callback_query.answer(text, show_alert=True)
        return
    await reply(update, context, "errors/not_available")


def guarded(name: str, callback: Handler) -> Handler:
    """Run a command's handler only for the roles that have it; others hear "not available"."""

    async def check(update: Update, context: BotContext) -> Any:
        role = await context.role(user_id(update))
        if not commands.allowed(name, role):
            _LOGGER.info("User %s (%s) tried /%s", user_id(update), role.value, name)
            await not_available(update, context)
            return None
        return await callback(update, context)

    check.__name__ = callback.__name__
    return check


def message_attachment(message: Message) -> Attachment | None:
    """A photo or document of a received message, as a case attachment."""
    if message.photo:
        largest = message.photo[-1]
        return Attachment(
            "photo", largest.file_id, None, message.chat_id, message.message_id, message.caption
        )
    if message.document is not None:
        doc = message.document
        return Attachment(
            "document",
            doc.file_id,
            doc.file_name,
            message.chat_id,
            message.message_id,
            message.caption,
        )
    return None


async def answer_expired(update: Update, context: BotContext, *, alert: bool = False) -> None:
    """Answer a button press that no longer applies (old message, finished dialog, forged)."""
    query = update.callback_query
    if query is None:
        return
    lang = await language(update, context)
    text = context.services.renderer.render("errors/stale_button", lang)
    await query.answer(text, show_alert=alert)


def dialog_handler(**kwargs: Any) -> ConversationHandler[BotContext]:
    """A ConversationHandler for our stored dialogs.

    PTB warns that per_message=False does not track callback queries per message. That is
    intended: dialogs are keyed by chat and user, and every button is verified by its
    signature and against the dialog's stored step instead.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        return ConversationHandler(**kwargs)


async def problem(update: Update, context: BotContext, what: str, number: str = "") -> None:
    """Say why a case action did nothing: as an alert under a button, else as a message."""
    if update.callback_query is not None:
        lang = await language(update, context)
        text = context.services.renderer.render("cases/errors", lang, problem=what, number=number)
        await update.callback_query.answer(text, show_alert=True)
        return
    await reply(update, context, "cases/errors", problem=what, number=number)


async def guard(update: Update, context: BotContext, action: Awaitable[Any], number: str) -> bool:
    """Run a case action; turn authorization and state errors into clear answers. True if done."""
    try:
        await action
    except NotAllowed:
        _LOGGER.warning("User %s was refused access to case %s", user_id(update), number)
        await problem(update, context, "not_allowed", number)
        return False
    except CaseClosed:
        await problem(update, context, "closed", number)
        return False
    except LookupError:
        await problem(update, context, "not_found", number)
        return False
    return True
