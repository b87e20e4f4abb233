"""/broadcast for admins (PRODUCT §5.3) and /notices for owners (§3.5).

The dialog (BroadcastService: compose → audience → preview → send now, schedule or cancel) is
a ConversationHandler over the stored dialog; every step and every button re-checks that the
user is an admin, on the server, so a deactivated admin's old buttons do nothing. The Stop
buttons of the list and of the progress message work inside and outside the dialog.
Diagram: docs/broadcasts.md.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.bulk import CAPTION_MAX, TEXT_MAX, BroadcastStep
from bot.domain.models import DialogState, Language, Role
from bot.services.broadcasts import BroadcastProblem
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    chat_id,
    clear_buttons,
    dialog_handler,
    guarded,
    keyboard,
    language,
    not_available,
    reply,
    user_id,
)
from bot.telegram.context import BotContext

_LOGGER = logging.getLogger(__name__)
END = ConversationHandler.END
PREFIX = callbacks.BROADCAST


async def _admin(update: Update, context: BotContext) -> bool:
    """Re-check the role on every step: only admins (configured or invited and active)."""
    if await context.role(user_id(update)) is Role.ADMIN:
        return True
    _LOGGER.warning("Refused broadcast input from user %s", user_id(update))
    await not_available(update, context)
    return False


async def begin(update: Update, context: BotContext) -> str | int:
    """/broadcast: what is running or scheduled (each with Stop), then compose a new one."""
    await _show_live(update, context)
    await context.services.broadcasts.begin(chat_id(update), user_id(update))
    await reply(update, context, "broadcasts/ask_compose", limit=TEXT_MAX)
    return BroadcastStep.COMPOSE.value


async def _show_live(update: Update, context: BotContext) -> None:
    bulk = context.services.bulk
    lang = await language(update, context)
    entries, rows = [], []
    for b in await bulk.live():
        progress = await bulk.progress(b.id)
        text = str(b.message.context.get("text", "")) or b.notice_id or ""
        entries.append(
            {
                "id": b.id,
                "status": b.status.value,
                "due": b.due_at.isoformat(),
                "sent": progress.sent,
                "total": progress.total,
                "text": text[:40] + ("…" if len(text) > 40 else ""),
            }
        )
        label = context.services.renderer.label(lang, "broadcast_cancel_one", b.id)
        rows.append([button(context, update, label, PREFIX, "cancel", str(b.id))])
    markup = keyboard(rows) if rows else None
    await reply(update, context, "broadcasts/list", markup, broadcasts=entries)


async def on_message(update: Update, context: BotContext) -> str | int:
    """Text for the compose step or a time for the schedule step; photo or document to compose."""
    if not await _admin(update, context):
        return END
    service = context.services.broadcasts
    dialog = await service.current(chat_id(update), user_id(update))
    if dialog is None:
        return END
    message = update.message
    assert message is not None
    step = service.step(dialog)
    try:
        if step is BroadcastStep.COMPOSE:
            media = bool(message.photo or message.document)
            if not media and message.text is None:
                raise BroadcastProblem("kind")
            copy_from = (message.chat_id, message.message_id) if media else None
            dialog = await service.compose(dialog, message.caption or message.text or "", copy_from)
            return await _ask_audience(update, context, dialog)
        if step is BroadcastStep.SCHEDULE and message.text:
            number, at = await service.schedule(dialog, message.text, user_id(update))
            await reply(update, context, "broadcasts/scheduled", number=number, due=at.isoformat())
            return END
        raise BroadcastProblem("step")
    except BroadcastProblem as exc:
        limit = CAPTION_MAX if str(exc) == "caption_too_long" else TEXT_MAX
        await reply(update, context, "broadcasts/error", problem=str(exc), limit=limit)
    return dialog.state


async def _ask_audience(
    update: Update, context: BotContext, dialog: DialogState, *, edit: bool = False
) -> str:
    service = context.services.broadcasts
    lang = await language(update, context)
    labels = context.services.renderer
    audience, urgent = service.audience(dialog), service.urgent(dialog)

    def toggle(label: str, chosen: bool, *args: str) -> InlineKeyboardButton:
        shown = labels.label(lang, "broadcast_chosen", label) if chosen else label
        return button(context, update, shown, PREFIX, "aud", *args)

    rows: list[list[InlineKeyboardButton]] = []
    for kind, choices, chosen in (
        ("district", service.districts, audience.districts),
        ("industry", service.industries, audience.industries),
    ):
        line = [toggle(c.label(lang), c.id in chosen, kind, c.id) for c in choices]
        rows += [line[i : i + 3] for i in range(0, len(line), 3)]
    rows.append([toggle(labels.label(lang, "broadcast_open_cases"), audience.open_cases, "open")])
    rows.append([toggle(labels.label(lang, "broadcast_urgent"), urgent, "urgent")])
    rows.append(
        [
            button(context, update, labels.label(lang, "broadcast_next"), PREFIX, "next"),
            button(context, update, labels.label(lang, "cancel"), PREFIX, "drop"),
        ]
    )
    count = await service.count(dialog)
    text = labels.render("broadcasts/ask_audience", lang, count=count, urgent=urgent)
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        await query.edit_message_text(text, reply_markup=keyboard(rows))
    else:
        await context.bot.send_message(chat_id(update), text, reply_markup=keyboard(rows))
    return BroadcastStep.AUDIENCE.value


async def _preview(update: Update, context: BotContext, dialog: DialogState) -> str:
    """The message exactly as a recipient gets it, then the count and the choices."""
    service = context.services.broadcasts
    lang = await language(update, context)
    labels = context.services.renderer
    message = service.message(dialog, chat_id(update))
    text = labels.render(message.template, lang, **message.context)
    if message.copy_from is not None:
        await context.bot.copy_message(
            chat_id(update), message.copy_from[0], message.copy_from[1], caption=text
        )
    else:
        await context.bot.send_message(chat_id(update), text)
    markup = InlineKeyboardMarkup(
        [
            [
                button(context, update, labels.label(lang, "broadcast_send"), PREFIX, "send"),
                button(context, update, labels.label(lang, "broadcast_schedule"), PREFIX, "later"),
            ],
            [button(context, update, labels.label(lang, "cancel"), PREFIX, "drop")],
        ]
    )
    count = await service.count(dialog)
    urgent = service.urgent(dialog)
    await reply(update, context, "broadcasts/preview", markup, count=count, urgent=urgent)
    return BroadcastStep.PREVIEW.value


async def on_button(update: Update, context: BotContext) -> str | int:
    """Audience toggles, next, send now, schedule, drop; and Stop of a broadcast."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if not await _admin(update, context):
        return END
    service = context.services.broadcasts
    dialog = await service.current(chat_id(update), user_id(update))
    if callback is None:
        await answer_expired(update, context)
        return dialog.state if dialog else END
    action = callback.arg(0)
    if action == "cancel":
        await _stop(update, context, callback.arg(1))
        return dialog.state if dialog else END
    if dialog is None:
        await answer_expired(update, context)
        return END
    try:
        if action == "aud":
            dialog = await service.toggle(dialog, callback.arg(1), callback.arg(2))
            await answer_query(update)
            return await _ask_audience(update, context, dialog, edit=True)
        if action == "next":
            dialog = await service.audience_done(dialog)
            await answer_query(update)
            await clear_buttons(update)
            return await _preview(update, context, dialog)
        if action == "send":
            count = await service.count(dialog)
            number = await service.send_now(dialog, user_id(update))
            await answer_query(update)
            await clear_buttons(update)
            await reply(update, context, "broadcasts/started", number=number, count=count)
            return END
        if action == "later":
            dialog = await service.ask_time(dialog)
            await answer_query(update)
            await clear_buttons(update)
            zone = context.services.settings.locale.timezone
            await reply(update, context, "broadcasts/ask_time", zone=zone)
            return dialog.state
        if action == "drop":
            await service.cancel(chat_id(update), user_id(update))
            await answer_query(update)
            await clear_buttons(update)
            await reply(update, context, "cancelled", dialog="broadcast", updating=False)
            return END
    except BroadcastProblem:
        pass
    await answer_expired(update, context)
    return dialog.state


async def _stop(update: Update, context: BotContext, arg: str) -> None:
    if not arg.isdigit():
        await answer_expired(update, context)
        return
    stopped = await context.services.bulk.cancel(int(arg), user_id(update))
    await answer_query(update)
    if stopped:
        await clear_buttons(update)
    await reply(update, context, "broadcasts/cancelled", ok=stopped, number=arg)


async def on_stop_button(update: Update, context: BotContext) -> None:
    """Stop a broadcast, outside the dialog (the list, the progress message)."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if not await _admin(update, context):
        return
    if callback is None or callback.arg(0) != "cancel":
        await answer_expired(update, context)
        return
    await _stop(update, context, callback.arg(1))


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: drop the draft; nothing is sent."""
    had = await context.services.broadcasts.cancel(chat_id(update), user_id(update))
    await reply(update, context, "cancelled", dialog="broadcast" if had else None, updating=False)
    return END


async def other(update: Update, context: BotContext) -> str | int:
    """Anything else during the dialog: say what is expected."""
    dialog = await context.services.broadcasts.current(chat_id(update), user_id(update))
    if dialog is None:
        return END
    if update.callback_query is not None:
        await answer_expired(update, context)
    else:
        await reply(update, context, "broadcasts/error", problem="step", limit=TEXT_MAX)
    return dialog.state


def conversation() -> ConversationHandler[BotContext]:
    """The /broadcast dialog; app.py registers it with the other dialogs."""
    stop = CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(PREFIX))
    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
    steps: list[BaseHandler[Update, BotContext, Any]] = [stop, MessageHandler(content, on_message)]
    return dialog_handler(
        entry_points=[CommandHandler(commands.BROADCAST, guarded(commands.BROADCAST, begin))],
        states={step.value: steps for step in BroadcastStep},
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            CommandHandler(commands.BROADCAST, guarded(commands.BROADCAST, begin)),
            MessageHandler(filters.ALL, other),
            CallbackQueryHandler(other),
        ],
        name="broadcast",
        persistent=True,
    )


async def notices(update: Update, context: BotContext) -> None:
    """/notices: whether non-urgent notices reach the owner, with a button to switch."""
    muted = await context.services.bulk.muted(user_id(update))
    markup = _notices_markup(update, context, muted, await language(update, context))
    await reply(update, context, "notices/status", markup, muted=muted)


def _notices_markup(
    update: Update, context: BotContext, muted: bool, lang: Language
) -> InlineKeyboardMarkup:
    labels = context.services.renderer
    action = "unmute" if muted else "mute"
    label = labels.label(lang, f"notices_{action}")
    return keyboard([[button(context, update, label, callbacks.NOTICES, action)]])


async def on_notices_button(update: Update, context: BotContext) -> None:
    """Mute or unmute (owners only, re-checked)."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if await context.role(user_id(update)) is not Role.OWNER:
        await not_available(update, context)
        return
    if callback is None or callback.arg(0) not in ("mute", "unmute"):
        await answer_expired(update, context)
        return
    muted = callback.arg(0) == "mute"
    await context.services.bulk.set_muted(user_id(update), muted)
    await answer_query(update)
    lang = await language(update, context)
    text = context.services.renderer.render("notices/status", lang, muted=muted)
    await query.edit_message_text(text, reply_markup=_notices_markup(update, context, muted, lang))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Stop buttons outside the dialog, and /notices."""
    return [
        CallbackQueryHandler(on_stop_button, pattern=CallbackCodec.pattern(PREFIX, "cancel")),
        CommandHandler(commands.NOTICES, guarded(commands.NOTICES, notices)),
        CallbackQueryHandler(on_notices_button, pattern=CallbackCodec.pattern(callbacks.NOTICES)),
    ]
