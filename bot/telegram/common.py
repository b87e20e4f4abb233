"""Helpers every handler module shares: the user's language, rendering and replying."""

from __future__ import annotations

import functools
import logging
import operator
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import ConversationHandler, filters
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
    """Any kind a case takes besides text, as a case attachment (None: text, or a kind no case
    takes, such as a poll or a dice)."""

    def of(kind: str, file: Any, **extra: Any) -> Attachment:
        return Attachment(
            kind,
            file.file_id if file is not None else "",
            getattr(file, "file_name", None),
            message.chat_id,
            message.message_id,
            message.caption,
            duration=_seconds(getattr(file, "duration", None)),
            size=getattr(file, "file_size", None),
            group=message.media_group_id,
            **extra,
        )

    if message.photo:
        return of("photo", message.photo[-1])
    if message.animation is not None:  # before document: an animation comes as both
        return of("animation", message.animation)
    for kind in ("document", "voice", "audio", "video", "video_note", "sticker"):
        file = getattr(message, kind)
        if file is not None:
            info = file.emoji if kind == "sticker" else None
            return of(kind, file, info=info)
    if message.venue is not None:  # before location: a venue comes with its location
        venue = message.venue
        return of("venue", None, info=f"{venue.title}, {venue.address}")
    if message.location is not None:
        place = message.location
        return of("location", None, info=f"{place.latitude:.5f}, {place.longitude:.5f}")
    if message.contact is not None:
        card = message.contact
        name = " ".join(n for n in (card.first_name, card.last_name) if n)
        return of("contact", None, info=f"{name} {card.phone_number}".strip())
    return None


# Every kind a case takes besides text (message_attachment builds them), and the kinds no case
# takes, which are answered saying so (docs/cases.md).
ATTACHMENT = (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Sticker.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
)
_UNSUPPORTED = {
    "poll": filters.POLL,
    "dice": filters.Dice.ALL,
    "game": filters.GAME,
    "story": filters.STORY,
    "invoice": filters.INVOICE,
    "paid_media": filters.PAID_MEDIA,
    "giveaway": filters.GIVEAWAY,
    "checklist": filters.CHECKLIST,
}
UNSUPPORTED = functools.reduce(operator.or_, _UNSUPPORTED.values())


def unsupported_kind(message: Message) -> str:
    """The name of a kind no case takes (for the answer saying so)."""
    update = Update(0, message=message)
    return next((k for k, f in _UNSUPPORTED.items() if f.check_update(update)), "other")


async def refuse_kind(update: Update, context: BotContext) -> None:
    """Say that this kind of message cannot be passed on, and what can."""
    assert update.message is not None
    await reply(update, context, "errors/unsupported_kind", kind=unsupported_kind(update.message))


def _seconds(value: object) -> int | None:
    """A duration as whole seconds (PTB gives timedelta or int, by its settings)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value) if isinstance(value, int | float) else None


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
