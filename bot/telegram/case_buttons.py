"""Case buttons (PRODUCT §3.3, §4): Accept, Reply, Transfer, Resolve on cards; history, add
information, close, rate, reopen, "which case?" for owners.

Every press is verified (signature bound to the user), and role, ownership and the case's
current state are checked again by the services; refusals answer as an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.domain.cases import Action, Actor, NotAllowed, allows, may_act
from bot.domain.models import Case, CaseStatus, Role
from bot.domain.pending import Pending, PendingKind
from bot.services.cases.lifecycle import STARS
from bot.telegram import callbacks, keyboards
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_query,
    chat_id,
    clear_buttons,
    guard,
    language,
    not_available,
    problem,
    reply,
    user_id,
)
from bot.telegram.context import BotContext
from bot.telegram.relay import deliver_held

_LOGGER = logging.getLogger(__name__)
Press = Callable[[Update, BotContext, Actor, Case, tuple[str, ...]], Awaitable[None]]


async def on_case_button(update: Update, context: BotContext) -> None:
    """Every case button: verified signature, fresh role and ownership checks, current state."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if callback is None:
        _LOGGER.warning(
            "Forged or foreign case button from user %s: %r", user_id(update), query.data
        )
        await problem(update, context, "not_allowed")
        return
    action, case_arg = callback.arg(0), callback.arg(1)
    actor = await context.actor(user_id(update))
    if actor.role is Role.DEACTIVATED:
        await not_available(update, context)
        return
    try:
        case = await context.services.queries.get(actor, int(case_arg))
    except (ValueError, LookupError):
        await problem(update, context, "not_found")
        return
    except NotAllowed:
        _LOGGER.warning("User %s pressed a button of case %s", user_id(update), case_arg)
        await problem(update, context, "not_allowed")
        return
    press = _BUTTONS.get(action)
    if press is None:
        await problem(update, context, "closed", case.number)
        return
    await press(update, context, actor, case, callback.args[2:])


async def _may(update: Update, context: BotContext, actor: Actor, case: Case, what: Action) -> bool:
    """The actor is the case's assignee (or an admin) and the case allows it; else say why."""
    if not may_act(actor, case):
        _LOGGER.warning("User %s may not act on case %s", actor.telegram_id, case.number)
        await problem(update, context, "not_allowed", case.number)
        return False
    if not allows(case, what):
        await problem(update, context, "closed", case.number)
        return False
    return True


async def _expect(update: Update, context: BotContext, pending: Pending) -> None:
    await context.services.pending.expect(chat_id(update), user_id(update), pending)


async def _accept(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await guard(update, context, context.services.lifecycle.accept(actor, case), case.number):
        await answer_query(update)
        await reply(update, context, "cases/accepted_done", number=case.number)


async def _start_reply(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may(update, context, actor, case, Action.STAFF_MESSAGE):
        return
    await answer_query(update)
    await _expect(update, context, Pending(PendingKind.REPLY, case_id=case.id))
    await reply(update, context, "cases/ask_reply", number=case.number)


async def _resolve(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await guard(update, context, context.services.lifecycle.resolve(actor, case), case.number):
        await answer_query(update)
        await reply(update, context, "cases/resolved_done", number=case.number)


async def _choose_transfer(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may(update, context, actor, case, Action.TRANSFER):
        return
    await answer_query(update)
    lang = await language(update, context)
    targets = await context.services.assignment.transfer_targets(case)
    markup = keyboards.transfer_targets(context, update, lang, case, targets)
    await reply(update, context, "cases/choose_transfer", markup, number=case.number)


async def _transfer_target(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may(update, context, actor, case, Action.TRANSFER):
        return
    target = args[0] if args else "route"
    if target != "route" and not target.isdigit():
        await problem(update, context, "not_allowed", case.number)
        return
    await answer_query(update)
    await clear_buttons(update)
    staff_id = None if target == "route" else int(target)
    await _expect(
        update, context, Pending(PendingKind.TRANSFER_REASON, case_id=case.id, target=staff_id)
    )
    await reply(update, context, "cases/ask_transfer_reason")


async def _view(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    await answer_query(update)
    queries = context.services.queries
    events = await queries.history(actor, case)
    described = await queries.describe(case)
    lang = await language(update, context)
    markup = keyboards.case_detail(
        context,
        update,
        lang,
        case,
        owner_may_write=actor.role is Role.OWNER and case.status is not CaseStatus.CLOSED,
    )
    # Long histories: the newest entries that fit in one message.
    shown = list(events)
    renderer = context.services.renderer
    while True:
        text = renderer.render("cases/detail", lang, case=described, events=shown)
        if len(text) < 3900 or len(shown) <= 1:
            break
        shown = shown[1:]
    await context.bot.send_message(chat_id(update), text, reply_markup=markup)


async def _add_info(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not allows(case, Action.OWNER_MESSAGE):
        await problem(update, context, "closed", case.number)
        return
    await answer_query(update)
    waiting = await context.services.pending.current(chat_id(update), user_id(update))
    if waiting is not None and waiting.kind is PendingKind.CHOOSE_CASE and waiting.held:
        # Choosing this case to add information to is choosing where the held messages go.
        await deliver_held(update, context, actor, case, waiting)
    await _expect(update, context, Pending(PendingKind.ADD_INFO, case_id=case.id))
    await reply(update, context, "cases/add_info", number=case.number)


async def _close(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    """Close, from a case's history: one tap must not end an urgent case, so confirm first."""
    if not allows(case, Action.CLOSE) or actor.role is not Role.OWNER:
        await problem(update, context, "closed", case.number)
        return
    await answer_query(update)
    lang = await language(update, context)
    markup = keyboards.close_confirmation(context, update, lang, case)
    await reply(update, context, "cases/close_confirm", markup, number=case.number)


async def _close_yes(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    closing = context.services.lifecycle.close_by_owner(actor, case)
    if await guard(update, context, closing, case.number):
        await answer_query(update)
        await clear_buttons(update)
        await reply(update, context, "cases/closed_done", number=case.number)


async def _close_no(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    await answer_query(update)
    await clear_buttons(update)
    await reply(update, context, "cases/close_kept", number=case.number)


async def _rate(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    stars = int(args[0]) if args and args[0].isdigit() else 0
    if stars not in STARS:
        await problem(update, context, "not_allowed", case.number)
        return
    rating = context.services.lifecycle.rate(actor, case, stars)
    if await guard(update, context, rating, case.number):
        await answer_query(update)
        await clear_buttons(update)
        lang = await language(update, context)
        await _expect(update, context, Pending(PendingKind.COMMENT, case_id=case.id))
        markup = keyboards.skip_comment(context, update, lang, case)
        await reply(update, context, "cases/thanks_rating", markup, number=case.number)


async def _skip(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    await answer_query(update)
    await clear_buttons(update)
    await context.services.pending.forget(chat_id(update), user_id(update))


async def _reopen(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await guard(update, context, context.services.lifecycle.reopen(actor, case), case.number):
        await answer_query(update)
        await clear_buttons(update)
        await reply(update, context, "cases/reopen_done", number=case.number)


async def _pick(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    """Which case the held messages were about: relay every one of them to it, in order."""
    pending = await context.services.pending.current(chat_id(update), user_id(update))
    if pending is None or pending.kind is not PendingKind.CHOOSE_CASE or not pending.held:
        await problem(update, context, "closed", case.number)
        return
    await answer_query(update)
    await clear_buttons(update)
    await deliver_held(update, context, actor, case, pending)


_BUTTONS: dict[str, Press] = {
    "accept": _accept,
    "reply": _start_reply,
    "transfer": _choose_transfer,
    "to": _transfer_target,
    "resolve": _resolve,
    "view": _view,
    "info": _add_info,
    "close": _close,
    "closeyes": _close_yes,
    "closeno": _close_no,
    "rate": _rate,
    "skip": _skip,
    "reopen": _reopen,
    "pick": _pick,
}


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The case buttons."""
    return [CallbackQueryHandler(on_case_button, pattern=CallbackCodec.pattern(callbacks.CASE))]
