"""Free input that belongs to a case (PRODUCT §3.3, §4): relayed, or the input it was asked for.

Text and every other kind a case takes (common.ATTACHMENT) outside a dialog are routed by
PendingService.route (a Telegram reply to a case message, a pending input, an owner's only
open case, "which case?"); what is not about a case goes on to the FAQ / help handler. Kinds no
case takes (polls, dice) are answered saying so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, JobQueue, MessageHandler, filters

from bot.domain.cases import Action, Actor, Album, AlbumKey, allows
from bot.domain.models import Case, Role, Staff
from bot.domain.pending import TEXT_ONLY, Held, Pending, PendingKind, runs
from bot.services.pending import Destination
from bot.telegram import faq, keyboards
from bot.telegram.common import (
    ATTACHMENT,
    UNSUPPORTED,
    Handler,
    chat_id,
    guard,
    language,
    message_attachment,
    problem,
    refuse_kind,
    reply,
    user_id,
)
from bot.telegram.context import BotContext, Services

# Shorter texts ("ok", "谢谢") are conversation, not questions for the FAQ.
FAQ_MIN_CHARS = 6
INPUT = filters.TEXT & ~filters.COMMAND | ATTACHMENT | UNSUPPORTED


def held_message(message: Message) -> Held:
    """The message as a case takes it: text, or an attachment with its caption."""
    attachment = message_attachment(message)
    return Held(message.text if attachment is None else message.caption, attachment)


async def on_input(update: Update, context: BotContext, fallback: Handler) -> None:
    """Relay the message to the case it belongs to, or hand it to fallback."""
    message = update.message
    if message is None:
        return
    held = held_message(message)
    if held.text is None and held.attachment is None:  # a poll, a dice: no case takes them
        await refuse_kind(update, context)
        return
    album = _album_of(held)
    if album is not None:
        known = await context.services.albums.album(album)
        if known is not None and await _album_item(update, context, known, held):
            return
        if known is not None:  # the album was relayed already: this late item goes alone
            assert held.attachment is not None
            held = Held(held.text, replace(held.attachment, group=None))
            album = None
    actor = await context.actor(user_id(update))
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    route = await context.services.pending.route(actor, chat_id(update), reply_to, held)
    if route.to is Destination.PENDING:
        assert route.pending is not None
        await _answer_pending(update, context, actor, route.pending, held)
    elif route.to is Destination.CASE:
        assert route.case is not None
        await relay(update, context, actor, route.case, held)
    elif route.to is Destination.CHOOSE:
        lang = await language(update, context)
        markup = keyboards.case_list(context, update, lang, route.choices, "pick")
        count = len(route.pending.held) if route.pending else 1
        await reply(update, context, "cases/choose_case", markup, held=count)
    elif route.to is Destination.HELD_TO_CASE:
        assert route.case is not None
        assert route.pending is not None
        await deliver_held(update, context, actor, route.case, route.pending)
    elif route.to is Destination.HELD_NEW_REQUEST:
        assert route.pending is not None
        lang = await language(update, context)
        markup = keyboards.new_request(context, update, lang)
        await reply(update, context, "cases/held_all_closed", markup, held=len(route.pending.held))
    elif route.to is Destination.STAFF_WHICH:
        await reply(update, context, "cases/which_case_staff")
    else:
        await fallback(update, context)  # nothing case-related: the FAQ / help answers
    if album is not None:  # unless collected for a case, its other items follow this one
        await context.services.albums.follow(album, user_id(update))


def _album_of(held: Held) -> AlbumKey | None:
    attachment = held.attachment
    if attachment is None or attachment.group is None:
        return None
    return AlbumKey(attachment.chat_id, attachment.group)


async def _album_item(update: Update, context: BotContext, album: Album, held: Held) -> bool:
    """A further item of an album: collected with the first, or gone the first item's way
    (held with it), without a second answer. False: the album was relayed already."""
    assert held.attachment is not None
    if album.relay:
        if not await context.services.albums.add(album.key, held.attachment):
            return False
        wake_albums(context.job_queue)
        return True
    if not album.done:
        await context.services.pending.hold_more(chat_id(update), user_id(update), held)
    return True


def wake_albums(job_queue: JobQueue[Any] | None) -> None:
    """Relay the albums that are complete once the wait has passed (woken after each item of
    an album, and at start for albums a restart interrupted)."""
    if job_queue is None:
        return
    services: Services = job_queue.application.bot_data["services"]
    wait = services.settings.cases.album_wait_seconds
    job_queue.run_once(_flush_albums, when=wait + 0.05, name="albums")


async def _flush_albums(context: BotContext) -> None:
    await context.services.albums.flush()


async def relay(update: Update, context: BotContext, actor: Actor, case: Case, held: Held) -> None:
    """Relay a message to a case from its owner or its staff; refusals are answered."""
    relays = context.services.relay
    if actor.role is Role.OWNER and not allows(case, Action.OWNER_MESSAGE):
        await _offer_new_request(update, context, case, held)
        return
    if _album_of(held) is not None:  # the first item of an album: collected, relayed whole
        assert held.attachment is not None
        collect = context.services.albums.collect(actor, case, held.attachment)
        if await guard(update, context, collect, case.number):
            wake_albums(context.job_queue)
        return
    if actor.role is Role.OWNER:
        action = relays.from_owner(actor, case, held.text, held.attachment)
    else:
        action = relays.from_staff(actor, case, held.text, held.attachment)
    if await guard(update, context, action, case.number) and actor.role is Role.OWNER:
        await _faq_too(update, context, held)


async def _faq_too(update: Update, context: BotContext, held: Held) -> None:
    """The FAQ stays reachable while a case is open: a typed question it answers well is still
    relayed to the case, and the owner also gets that answer at once (docs/cases.md)."""
    if held.attachment is not None or not held.text or len(held.text.strip()) < FAQ_MIN_CHARS:
        return
    lang = await language(update, context)
    entry = context.services.faq.best_for(held.text, lang)
    if entry is not None:
        await faq.show_entry(update, context, entry, query_id=None)


async def deliver_held(
    update: Update, context: BotContext, actor: Actor, case: Case, pending: Pending
) -> None:
    """Relay the messages held for "which case?" to the case they are for, in order (an album
    as one); the pending choice ends. On a refusal, said why, they stay held."""
    relays = context.services.relay
    for run in runs(pending.held):
        if len(run) > 1:
            items = [h.attachment for h in run if h.attachment is not None]
            relaying = relays.from_owner(actor, case, None, None, items)
        else:
            relaying = relays.from_owner(actor, case, run[0].text, run[0].attachment)
        if not await guard(update, context, relaying, case.number):
            return
    await context.services.pending.forget(chat_id(update), user_id(update))


async def _offer_new_request(update: Update, context: BotContext, case: Case, held: Held) -> None:
    """A message to a closed case is not thrown away: kept, and offered as a new request."""
    waiting = Pending(PendingKind.NEW_REQUEST, case_id=case.id, held=(held,))
    await context.services.pending.expect(chat_id(update), user_id(update), waiting)
    lang = await language(update, context)
    markup = keyboards.new_request(context, update, lang)
    await reply(update, context, "cases/closed_reply", markup, number=case.number)


async def _answer_pending(
    update: Update, context: BotContext, actor: Actor, pending: Pending, held: Held
) -> None:
    services = context.services
    assert pending.case_id is not None
    try:
        case = await services.queries.get(actor, pending.case_id)
    except (PermissionError, LookupError):
        await services.pending.forget(chat_id(update), user_id(update))
        await problem(update, context, "not_allowed")
        return
    if pending.kind in TEXT_ONLY and (held.attachment is not None or not held.text):
        await reply(update, context, "errors/expected_input", expected="text")
        return
    await services.pending.forget(chat_id(update), user_id(update))
    if pending.kind in (PendingKind.REPLY, PendingKind.ADD_INFO):
        await relay(update, context, actor, case, held)
    elif pending.kind is PendingKind.TRANSFER_REASON:
        assert held.text is not None
        target = await services.staff.by_id(pending.target) if pending.target else None
        await guard(
            update, context, _transfer(update, context, actor, case, target, held.text), case.number
        )
    elif pending.kind is PendingKind.COMMENT:
        assert held.text is not None
        if await guard(
            update, context, services.lifecycle.comment(actor, case, held.text), case.number
        ):
            await reply(update, context, "cases/comment_saved")


async def _transfer(
    update: Update,
    context: BotContext,
    actor: Actor,
    case: Case,
    target: Staff | None,
    reason: str,
) -> None:
    new = await context.services.assignment.transfer(actor, case, target, reason)
    assignee = {"name": new.display_name, "title": new.title} if new else {"name": "", "title": ""}
    await reply(update, context, "cases/transferred_done", number=case.number, assignee=assignee)


def input_handler(fallback: Handler) -> BaseHandler[Update, BotContext, None]:
    """Free input routed to cases first; what is not about a case goes to fallback."""

    async def route_input(update: Update, context: BotContext) -> None:
        await on_input(update, context, fallback)

    return MessageHandler(INPUT & filters.ChatType.PRIVATE, route_input)
