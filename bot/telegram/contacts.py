"""Who speaks for an enterprise in the chat (PRODUCT §3.1): join requests answered with a
button, /contacts to see, approve and remove an enterprise's contacts."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.domain.cases import NotAllowed
from bot.domain.models import ContactStatus, Registration
from bot.services.contacts import Decision, Stale
from bot.telegram import callbacks, commands, keyboards
from bot.telegram.common import (
    answer_query,
    clear_buttons,
    guarded,
    language,
    reply,
    user_id,
)
from bot.telegram.context import BotContext

_LOGGER = logging.getLogger(__name__)


async def waiting(update: Update, context: BotContext, registration: Registration) -> None:
    """An owner whose registration is pending, refused or removed: where it stands."""
    await reply(update, context, "contacts/waiting", registration=registration)


async def list_contacts(update: Update, context: BotContext) -> None:
    """/contacts (owners: their enterprise) or /contacts <credit code> (admins, its liaison)."""
    actor = await context.actor(user_id(update))
    if actor.joining is not None:
        await waiting(update, context, actor.joining)
        return
    code = (context.args or [""])[0].strip().upper() or None
    try:
        listed = await context.services.contacts.listing(actor, code)
    except (NotAllowed, LookupError):  # one answer: enterprises cannot be probed
        await reply(update, context, "contacts/usage")
        return
    mine = actor.registration.contact.id if actor.registration else None
    shown = [
        {
            "name": c.name or "",
            "phone": c.phone or "",
            "pending": c.status is ContactStatus.PENDING,
            "you": c.id == mine,
        }
        for c in listed.contacts
    ]
    lang = await language(update, context)
    markup = keyboards.contact_decisions(context, update, lang, listed.decidable)
    await reply(
        update, context, "contacts/list", markup, enterprise=listed.enterprise.name, contacts=shown
    )


async def on_contact_button(update: Update, context: BotContext) -> None:
    """Approve, refuse, remove: verified, and re-checked by the service."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    actions = {d.value: d for d in Decision}
    if callback is None or callback.arg(0) not in actions or not callback.arg(1).isdigit():
        _LOGGER.warning("Refused contact button from user %s: %r", user_id(update), query.data)
        await _answered(update, context, problem="not_allowed")
        return
    decision = actions[callback.arg(0)]
    actor = await context.actor(user_id(update))
    try:
        found = await context.services.contacts.decide(actor, int(callback.arg(1)), decision)
    except NotAllowed:
        await _answered(update, context, problem="not_allowed")
        return
    except Stale:
        await _answered(update, context, problem="stale")
        return
    await answer_query(update)
    await clear_buttons(update)
    await reply(
        update,
        context,
        "contacts/decided",
        decision=decision.value,
        name=found.contact.name or "",
        problem="",
    )


async def _answered(update: Update, context: BotContext, *, problem: str) -> None:
    assert update.callback_query is not None
    lang = await language(update, context)
    text = context.services.renderer.render(
        "contacts/decided", lang, problem=problem, decision="", name=""
    )
    await update.callback_query.answer(text, show_alert=True)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """/contacts and the contact buttons."""
    return [
        CommandHandler(commands.CONTACTS, guarded(commands.CONTACTS, list_contacts)),
        CallbackQueryHandler(
            on_contact_button, pattern=callbacks.CallbackCodec.pattern(callbacks.CONTACT)
        ),
    ]
