"""Case commands: /mycases (owners), /cases /reply /note (staff), and /cancel outside dialogs."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.domain.cases import NotAllowed
from bot.services.cases.queries import LIST_BUTTONS
from bot.telegram import commands, keyboards
from bot.telegram.common import chat_id, guard, guarded, language, problem, reply, user_id
from bot.telegram.contacts import waiting
from bot.telegram.context import BotContext

_LOGGER = logging.getLogger(__name__)


async def mycases(update: Update, context: BotContext) -> None:
    """/mycases: the owner's cases with their status; a button per case for its history."""
    actor = await context.actor(user_id(update))
    if actor.joining is not None:
        await waiting(update, context, actor.joining)
        return
    if actor.registration is None:
        await problem(update, context, "not_registered")
        return
    listed = await context.services.queries.owner_list(actor)
    lang = await language(update, context)
    markup = keyboards.case_list(context, update, lang, listed.cases, "view")
    await reply(update, context, "cases/list_owner", markup, cases=listed.described)


async def staff_cases(update: Update, context: BotContext) -> None:
    """/cases: open cases (one's own; admins: all, unassigned included), overdue first."""
    actor = await context.actor(user_id(update))
    listed = await context.services.queries.staff_list(actor)
    lang = await language(update, context)
    markup = keyboards.case_list(context, update, lang, listed.cases[:LIST_BUTTONS], "view")
    await reply(update, context, "cases/list_staff", markup, cases=listed.described)


async def reply_command(update: Update, context: BotContext) -> None:
    """/reply <case> <text>."""
    await _case_command(update, context, "usage_reply", note=False)


async def note_command(update: Update, context: BotContext) -> None:
    """/note <case> <text>: a private note."""
    await _case_command(update, context, "usage_note", note=True)


async def _case_command(update: Update, context: BotContext, usage: str, *, note: bool) -> None:
    args = context.args or []
    if len(args) < 2:
        await problem(update, context, usage)
        return
    number = args[0]
    assert update.message is not None
    assert update.message.text is not None
    # The text after the case number, as typed (spaces and line breaks kept).
    raw = update.message.text.split(None, 2)
    text = raw[2] if len(raw) > 2 else ""
    actor = await context.actor(user_id(update))
    services = context.services
    try:
        case = await services.queries.find(actor, number)
    except (LookupError, NotAllowed) as exc:
        # One answer for "no such case" and "not yours": case numbers cannot be probed.
        if isinstance(exc, NotAllowed):
            _LOGGER.warning("User %s was refused case %s", user_id(update), number)
        await problem(update, context, "unknown_case", number)
        return
    if note:
        if await guard(update, context, services.relay.note(actor, case, text), case.number):
            await reply(update, context, "cases/note_saved", number=case.number)
    else:
        await guard(update, context, services.relay.from_staff(actor, case, text), case.number)


async def cancel_pending(update: Update, context: BotContext) -> None:
    """/cancel outside dialogs: drop a pending input, if any."""
    had = await context.services.pending.forget(chat_id(update), user_id(update))
    await reply(update, context, "cancelled", dialog="pending" if had else None, updating=False)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Case commands (checked before the generic handlers)."""
    return [
        CommandHandler(commands.MYCASES, guarded(commands.MYCASES, mycases)),
        CommandHandler(commands.CASES, guarded(commands.CASES, staff_cases)),
        CommandHandler(commands.REPLY, guarded(commands.REPLY, reply_command)),
        CommandHandler(commands.NOTE, guarded(commands.NOTE, note_command)),
        CommandHandler(commands.CANCEL, cancel_pending),
    ]
