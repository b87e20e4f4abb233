"""Cases in the chat (PRODUCT §3.3, §4): relay both ways, case buttons, lists, commands.

Free input (text, photos, documents outside a dialog) is routed here in this order: a pending
input the user was asked for (a reply, a transfer reason, a rating comment, added information,
which case a message is about), then a Telegram reply to a message of a case, then an owner's
only open case. Anything left goes on to the FAQ / help handler.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.domain.models import Case, DialogState, Role
from bot.services.cases import Actor, Attachment, CaseClosed, NotAllowed
from bot.telegram import commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    Handler,
    answer_query,
    button,
    chat_id,
    clear_buttons,
    guarded,
    keyboard,
    language,
    message_attachment,
    reply,
    user_id,
)

_LOGGER = logging.getLogger(__name__)
PENDING = "pending"  # the dialogs-table name of one-shot inputs the bot asked for
CASE = "case"
INPUT = filters.TEXT & ~filters.COMMAND | filters.PHOTO | filters.Document.ALL


# -- pending inputs ---------------------------------------------------------------------------


async def _pending(update: Update, context: BotContext) -> DialogState | None:
    return await context.services.store.load_dialog(PENDING, chat_id(update), user_id(update))


async def _expect(update: Update, context: BotContext, kind: str, **data: Any) -> None:
    """Remember that the user's next input is of this kind (stored: survives a restart)."""
    dialog = DialogState(PENDING, chat_id(update), user_id(update), kind, data)
    await context.services.store.save_dialog(dialog)


async def _forget(update: Update, context: BotContext) -> None:
    await context.services.store.delete_dialog(PENDING, chat_id(update), user_id(update))


# -- errors -----------------------------------------------------------------------------------


async def _problem(update: Update, context: BotContext, problem: str, number: str = "") -> None:
    if update.callback_query is not None:
        lang = await language(update, context)
        text = context.services.renderer.render(
            "cases/errors", lang, problem=problem, number=number
        )
        await update.callback_query.answer(text, show_alert=True)
        return
    await reply(update, context, "cases/errors", problem=problem, number=number)


async def _guard(update: Update, context: BotContext, action: Any, number: str = "") -> bool:
    """Run an action; turn authorization and state errors into clear answers. True if done."""
    try:
        await action
    except NotAllowed:
        _LOGGER.warning("User %s was refused access to case %s", user_id(update), number)
        await _problem(update, context, "not_allowed", number)
        return False
    except CaseClosed:
        await _problem(update, context, "closed", number)
        return False
    except LookupError:
        await _problem(update, context, "not_found", number)
        return False
    return True


# -- free input -------------------------------------------------------------------------------


async def on_input(update: Update, context: BotContext, fallback: Handler) -> None:
    """Text, photo or document outside dialogs: relay it to the right case if there is one."""
    message = update.message
    if message is None:
        return
    actor = await context.actor(user_id(update))
    if actor.role is Role.OWNER and actor.registration is not None:
        await context.services.store.reactivate(actor.telegram_id)
    pending = await _pending(update, context)
    if pending is not None:
        await _answer_pending(update, context, actor, pending, message)
        return
    if message.reply_to_message is not None:
        case = await context.services.cases.case_of_message(
            chat_id(update), message.reply_to_message.message_id
        )
        if case is not None:
            await _relay(update, context, actor, case, message)
            return
    if actor.role is Role.OWNER and actor.registration is not None:
        open_cases = [c for c in await context.services.cases.owner_cases(actor, open_only=True)]
        if len(open_cases) == 1:
            await _relay(update, context, actor, open_cases[0], message)
            return
        if len(open_cases) > 1:
            await _ask_which_case(update, context, open_cases, message)
            return
    elif actor.role is not Role.OWNER:
        await reply(update, context, "cases/which_case_staff")
        return
    await fallback(update, context)  # nothing case-related: the FAQ / help answers


async def _relay(
    update: Update, context: BotContext, actor: Actor, case: Case, message: Message
) -> None:
    attachment = message_attachment(message)
    text = message.text if attachment is None else message.caption
    cases = context.services.cases
    if actor.role is Role.OWNER:
        await _guard(
            update, context, cases.relay_from_owner(actor, case, text, attachment), case.number
        )
    else:
        await _guard(
            update, context, cases.relay_from_staff(actor, case, text, attachment), case.number
        )


async def _ask_which_case(
    update: Update, context: BotContext, cases: list[Case], message: Message
) -> None:
    """Several open cases: keep the message (stored) and ask which case it is about."""
    attachment = message_attachment(message)
    await _expect(
        update,
        context,
        "choose_case",
        text=message.text if attachment is None else message.caption,
        attachment=attachment.__dict__ if attachment else None,
    )
    lang = await language(update, context)
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "case_choose", c.number),
                CASE,
                "pick",
                str(c.id),
            )
        ]
        for c in cases
    ]
    await reply(update, context, "cases/choose_case", keyboard(rows))


async def _answer_pending(
    update: Update, context: BotContext, actor: Actor, pending: DialogState, message: Message
) -> None:
    kind, data = pending.state, pending.data
    cases = context.services.cases
    if kind == "choose_case":
        await reply(update, context, "cases/choose_case")  # buttons are on the message above
        return
    case_id = int(str(data["case_id"]))
    attachment = message_attachment(message)
    text = message.text if attachment is None else message.caption
    try:
        case = await cases.get(actor, case_id)
    except (NotAllowed, LookupError):
        await _forget(update, context)
        await _problem(update, context, "not_allowed")
        return
    if kind in ("reply", "add_info"):
        await _forget(update, context)
        await _relay(update, context, actor, case, message)
    elif kind == "transfer_reason" and text:
        target_id = data.get("target")
        target = await context.services.staff.by_id(int(str(target_id))) if target_id else None
        await _forget(update, context)
        await _guard(
            update, context, _transfer(update, context, actor, case, target, text), case.number
        )
    elif kind == "comment" and text:
        await _forget(update, context)
        if await _guard(update, context, cases.comment(actor, case, text), case.number):
            await reply(update, context, "cases/comment_saved")
    else:
        await reply(update, context, "registration/error_not_text", expected="text")


async def _transfer(
    update: Update, context: BotContext, actor: Actor, case: Case, target: Any, reason: str
) -> None:
    new = await context.services.cases.transfer(actor, case, target, reason)
    assignee = {"name": new.display_name, "title": new.title} if new else {"name": "", "title": ""}
    await reply(update, context, "cases/transferred_done", number=case.number, assignee=assignee)


# -- buttons ----------------------------------------------------------------------------------


async def on_case_button(update: Update, context: BotContext) -> None:
    """Every case button: verified signature, fresh role and ownership checks, current state."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if callback is None:
        _LOGGER.warning(
            "Forged or foreign case button from user %s: %r", user_id(update), query.data
        )
        await _problem(update, context, "not_allowed")
        return
    action, case_arg = callback.arg(0), callback.arg(1)
    actor = await context.actor(user_id(update))
    cases = context.services.cases
    try:
        case = await cases.get(actor, int(case_arg))
    except (ValueError, LookupError):
        await _problem(update, context, "not_found")
        return
    except NotAllowed:
        _LOGGER.warning("User %s pressed a button of case %s", user_id(update), case_arg)
        await _problem(update, context, "not_allowed")
        return
    handler = _BUTTONS.get(action)
    if handler is None:
        await _problem(update, context, "closed", case.number)
        return
    await handler(update, context, actor, case, callback.args[2:])


async def _may_act(update: Update, context: BotContext, actor: Actor, case: Case) -> bool:
    """The actor is the case's assignee (or an admin) and the case is open; else say why."""
    try:
        context.services.cases.check_act(actor, case)
    except NotAllowed:
        _LOGGER.warning("User %s may not act on case %s", actor.telegram_id, case.number)
        await _problem(update, context, "not_allowed", case.number)
        return False
    if not case.is_open:
        await _problem(update, context, "closed", case.number)
        return False
    return True


async def _accept(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await _guard(update, context, context.services.cases.accept(actor, case), case.number):
        await answer_query(update)
        await reply(update, context, "cases/accepted_done", number=case.number)


async def _start_reply(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may_act(update, context, actor, case):
        return
    await answer_query(update)
    await _expect(update, context, "reply", case_id=case.id)
    await reply(update, context, "cases/ask_reply", number=case.number)


async def _resolve(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await _guard(update, context, context.services.cases.resolve(actor, case), case.number):
        await answer_query(update)
        await reply(update, context, "cases/resolved_done", number=case.number)


async def _choose_transfer(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may_act(update, context, actor, case):
        return
    await answer_query(update)
    lang = await language(update, context)
    labels = context.services.renderer
    roster = [
        c.staff
        for c in await context.services.staff.roster()
        if c.staff.routable and c.staff.id != case.assignee_id and c.staff.role is not Role.ADMIN
    ]
    rows = [
        [
            button(
                context,
                update,
                f"{s.display_name}（{s.title}）",
                CASE,
                "to",
                str(case.id),
                str(s.id),
            )
        ]
        for s in roster[:20]
    ]
    rows.append(
        [
            button(
                context,
                update,
                labels.label(lang, "back_to_routing"),
                CASE,
                "to",
                str(case.id),
                "route",
            )
        ]
    )
    await reply(update, context, "cases/choose_transfer", keyboard(rows), number=case.number)


async def _transfer_target(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not await _may_act(update, context, actor, case):
        return
    target = args[0] if args else "route"
    if target != "route" and not target.isdigit():
        await _problem(update, context, "not_allowed", case.number)
        return
    await answer_query(update)
    await clear_buttons(update)
    await _expect(
        update,
        context,
        "transfer_reason",
        case_id=case.id,
        target=None if target == "route" else int(target),
    )
    await reply(update, context, "cases/ask_transfer_reason")


async def _view(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    await answer_query(update)
    events = await context.services.cases.history(actor, case)
    described = await context.services.cases.describe(case)
    await _send_detail(update, context, actor, case, described, events)


async def _send_detail(
    update: Update,
    context: BotContext,
    actor: Actor,
    case: Case,
    described: dict[str, Any],
    events: list[Any],
) -> None:
    lang = await language(update, context)
    labels = context.services.renderer
    rows = []
    if actor.role is Role.OWNER and case.status.value != "closed":
        rows.append(
            [
                button(
                    context, update, labels.label(lang, "case_add_info"), CASE, "info", str(case.id)
                ),
                button(
                    context, update, labels.label(lang, "case_close"), CASE, "close", str(case.id)
                ),
            ]
        )
    # Long histories: the newest entries that fit in one message.
    shown = list(events)
    while True:
        text = labels.render("cases/detail", lang, case=described, events=shown)
        if len(text) < 3900 or len(shown) <= 1:
            break
        shown = shown[1:]
    await context.bot.send_message(
        chat_id(update), text, reply_markup=keyboard(rows) if rows else None
    )


async def _add_info(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if not case.is_open and case.status.value != "resolved":
        await _problem(update, context, "closed", case.number)
        return
    await answer_query(update)
    await _expect(update, context, "add_info", case_id=case.id)
    await reply(update, context, "cases/add_info", number=case.number)


async def _close(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await _guard(
        update, context, context.services.cases.close_by_owner(actor, case), case.number
    ):
        await answer_query(update)
        await clear_buttons(update)
        await reply(update, context, "cases/closed_done", number=case.number)


async def _rate(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    stars = int(args[0]) if args and args[0].isdigit() else 0
    if not 1 <= stars <= 5:
        await _problem(update, context, "not_allowed", case.number)
        return
    if await _guard(update, context, context.services.cases.rate(actor, case, stars), case.number):
        await answer_query(update)
        await clear_buttons(update)
        lang = await language(update, context)
        skip = button(
            context,
            update,
            context.services.renderer.label(lang, "skip"),
            CASE,
            "skip",
            str(case.id),
        )
        await _expect(update, context, "comment", case_id=case.id)
        await reply(update, context, "cases/thanks_rating", keyboard([[skip]]), number=case.number)


async def _skip(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    await answer_query(update)
    await clear_buttons(update)
    await _forget(update, context)


async def _reopen(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    if await _guard(update, context, context.services.cases.reopen(actor, case), case.number):
        await answer_query(update)
        await clear_buttons(update)
        await reply(update, context, "cases/reopen_done", number=case.number)


async def _pick(
    update: Update, context: BotContext, actor: Actor, case: Case, args: tuple[str, ...]
) -> None:
    """Which case a held message was about: relay the held message to it."""
    pending = await _pending(update, context)
    if pending is None or pending.state != "choose_case":
        await _problem(update, context, "closed", case.number)
        return
    await answer_query(update)
    await clear_buttons(update)
    await _forget(update, context)
    raw = pending.data.get("attachment")
    attachment = Attachment(**raw) if isinstance(raw, dict) else None
    text = pending.data.get("text")
    await _guard(
        update,
        context,
        context.services.cases.relay_from_owner(
            actor, case, str(text) if text else None, attachment
        ),
        case.number,
    )


_BUTTONS = {
    "accept": _accept,
    "reply": _start_reply,
    "transfer": _choose_transfer,
    "to": _transfer_target,
    "resolve": _resolve,
    "view": _view,
    "info": _add_info,
    "close": _close,
    "rate": _rate,
    "skip": _skip,
    "reopen": _reopen,
    "pick": _pick,
}


# -- commands ---------------------------------------------------------------------------------


async def mycases(update: Update, context: BotContext) -> None:
    """/mycases: the owner's cases with their status; a button per case for its history."""
    actor = await context.actor(user_id(update))
    if actor.registration is None:
        await _problem(update, context, "not_registered")
        return
    cases = await context.services.cases.owner_cases(actor)
    described = [await context.services.cases.describe(c) for c in cases[:20]]
    lang = await language(update, context)
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "case_choose", c.number),
                CASE,
                "view",
                str(c.id),
            )
        ]
        for c in cases[:20]
    ]
    await reply(
        update, context, "cases/list_owner", keyboard(rows) if rows else None, cases=described
    )


async def staff_cases(update: Update, context: BotContext) -> None:
    """/cases: open cases (one's own; admins: all, unassigned included), overdue first."""
    actor = await context.actor(user_id(update))
    cases = await context.services.cases.staff_cases(actor)
    described = [await context.services.cases.describe(c) for c in cases[:30]]
    described.sort(key=lambda d: (not d["overdue"], d["due"]))
    lang = await language(update, context)
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "case_choose", d["number"]),
                CASE,
                "view",
                str(c.id),
            )
        ]
        for c, d in zip(cases[:30], described, strict=False)
    ][:10]
    await reply(
        update, context, "cases/list_staff", keyboard(rows) if rows else None, cases=described
    )


async def reply_command(update: Update, context: BotContext) -> None:
    """/reply <case> <text>."""
    await _case_command(update, context, "usage_reply", note=False)


async def note_command(update: Update, context: BotContext) -> None:
    """/note <case> <text>: a private note."""
    await _case_command(update, context, "usage_note", note=True)


async def _case_command(update: Update, context: BotContext, usage: str, *, note: bool) -> None:
    args = context.args or []
    if len(args) < 2:
        await _problem(update, context, usage)
        return
    number = args[0]
    assert update.message is not None
    assert update.message.text is not None
    # The text after the case number, as typed (spaces and line breaks kept).
    raw = update.message.text.split(None, 2)
    text = raw[2] if len(raw) > 2 else ""
    actor = await context.actor(user_id(update))
    cases = context.services.cases
    try:
        case = await cases.find(actor, number)
    except LookupError:
        await _problem(update, context, "not_found", number)
        return
    except NotAllowed:
        _LOGGER.warning("User %s was refused case %s", user_id(update), number)
        await _problem(update, context, "not_allowed", number)
        return
    if note:
        if await _guard(update, context, cases.note(actor, case, text), case.number):
            await reply(update, context, "cases/note_saved", number=case.number)
    else:
        await _guard(update, context, cases.relay_from_staff(actor, case, text), case.number)


async def cancel_pending(update: Update, context: BotContext) -> None:
    """/cancel outside dialogs: drop a pending input, if any."""
    had = await _pending(update, context) is not None
    await _forget(update, context)
    await reply(update, context, "cancelled", dialog="pending" if had else None, updating=False)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """Case commands and buttons (checked before the generic handlers)."""
    return [
        CommandHandler(commands.MYCASES, guarded(commands.MYCASES, mycases)),
        CommandHandler(commands.CASES, guarded(commands.CASES, staff_cases)),
        CommandHandler(commands.REPLY, guarded(commands.REPLY, reply_command)),
        CommandHandler(commands.NOTE, guarded(commands.NOTE, note_command)),
        CommandHandler(commands.CANCEL, cancel_pending),
        CallbackQueryHandler(on_case_button, pattern=CallbackCodec.pattern(CASE)),
    ]


def input_handler(fallback: Handler) -> BaseHandler[Update, BotContext, Any]:
    """Free input routed to cases first; what is not about a case goes to fallback."""

    async def route_input(update: Update, context: BotContext) -> None:
        await on_input(update, context, fallback)

    return MessageHandler(INPUT & filters.ChatType.PRIVATE, route_input)
