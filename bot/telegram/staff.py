"""Staff onboarding by invite deep link, admin commands (/invite /staff /assign), /away /back.

Onboarding is a stored dialog (name → title → district for liaisons / specialties for counsel)
entered by `/start inv-…`; every answer is stored before the reply, as in registration.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.domain.credit_code import CreditCodeError, validate
from bot.domain.models import DialogState, Role
from bot.domain.registration import TextError, clean_name
from bot.services.staff import INVITE_ROLES, InviteProblem
from bot.telegram import commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    chat_id,
    choice_rows,
    clear_buttons,
    dialog_handler,
    guarded,
    keyboard,
    language,
    reply,
    user_id,
)
from bot.telegram.menus import set_chat_menu

_LOGGER = logging.getLogger(__name__)
DIALOG = "onboarding"
PREFIX = "onb"
STAFF_PREFIX = "staff"
END = ConversationHandler.END
INVITE_PAYLOAD = "inv-"


def specialties(context: BotContext) -> list[str]:
    """The counsel specialties the categories route to, in configuration order."""
    found = [c.specialty for c in context.services.settings.categories if c.specialty]
    return list(dict.fromkeys(found))


def _next_state(data: dict[str, Any]) -> str:
    if not data.get("name"):
        return "name"
    if not data.get("title"):
        return "title"
    if data["role"] == Role.LIAISON.value and not data.get("district"):
        return "district"
    if data["role"] == Role.COUNSEL.value and not data.get("specialties_done"):
        return "specialties"
    return "done"


def _chosen(dialog: DialogState) -> list[str]:
    return [str(s) for s in cast(list[object], dialog.data.get("specialties", []))]


async def _load(update: Update, context: BotContext) -> DialogState | None:
    return await context.services.store.load_dialog(DIALOG, chat_id(update), user_id(update))


async def _save(context: BotContext, dialog: DialogState) -> DialogState:
    dialog.state = _next_state(dialog.data)
    await context.services.store.save_dialog(dialog)
    return dialog


async def begin(update: Update, context: BotContext) -> str | int:
    """`/start inv-…`: check the invite and the account, then ask the first question."""
    code = (context.args or [""])[0]
    try:
        role = await context.services.staff.check_invite(code)
    except InviteProblem:
        await reply(update, context, "staff/invite_problem")
        return END
    current = await context.role(user_id(update))
    registered = await context.services.registration.registration_of(user_id(update))
    if current is not Role.OWNER or registered is not None:
        await reply(update, context, "staff/already")
        return END
    dialog = DialogState(
        DIALOG, chat_id(update), user_id(update), "", {"code": code, "role": role.value}
    )
    dialog = await _save(context, dialog)
    lang = await language(update, context)
    role_name = context.services.renderer.label(lang, f"role_{role.value}")
    await reply(update, context, "staff/welcome", role_name=role_name)
    return dialog.state


async def ask(update: Update, context: BotContext, dialog: DialogState) -> str | int:
    """Ask the question of the dialog's state, or finish when all is answered."""
    lang = await language(update, context)
    labels = context.services.renderer
    if dialog.state == "name":
        await reply(
            update,
            context,
            "staff/welcome",
            role_name=labels.label(lang, f"role_{dialog.data['role']}"),
        )
    elif dialog.state == "title":
        await reply(update, context, "staff/ask_title")
    elif dialog.state == "district":
        rows = choice_rows(
            context, update, lang, context.services.settings.districts, PREFIX, "district"
        )
        await reply(update, context, "staff/ask_district", keyboard(rows))
    elif dialog.state == "specialties":
        chosen = _chosen(dialog)
        rows = [
            [
                button(
                    context,
                    update,
                    ("✓ " if s in chosen else "") + labels.label(lang, "specialty", s),
                    PREFIX,
                    "spec",
                    s,
                )
            ]
            for s in specialties(context)
        ]
        rows.append([button(context, update, labels.label(lang, "done"), PREFIX, "done")])
        names = [labels.label(lang, "specialty", s) for s in chosen]
        await reply(update, context, "staff/ask_specialties", keyboard(rows), chosen=names)
    else:
        return await _finish(update, context, dialog)
    return dialog.state


async def _finish(update: Update, context: BotContext, dialog: DialogState) -> int:
    data = dialog.data
    try:
        staff = await context.services.staff.join(
            str(data["code"]),
            user_id(update),
            display_name=str(data["name"]),
            title=str(data["title"]),
            district=str(data["district"]) if data.get("district") else None,
            specialties=tuple(_chosen(dialog)),
        )
    except InviteProblem:
        await context.services.store.delete_dialog(DIALOG, chat_id(update), user_id(update))
        await reply(update, context, "staff/invite_problem")
        return END
    await context.services.store.delete_dialog(DIALOG, chat_id(update), user_id(update))
    await reply(
        update,
        context,
        "staff/joined",
        signature={"name": staff.display_name, "title": staff.title},
    )
    lang = await language(update, context)
    await set_chat_menu(context.bot, context.services.renderer, chat_id(update), staff.role, lang)
    return END


async def on_text(update: Update, context: BotContext) -> str | int:
    """A typed name or title (other states want buttons)."""
    dialog = await _load(update, context)
    if dialog is None:
        return END
    assert update.message is not None
    text = update.message.text or ""
    if dialog.state in ("name", "title"):
        try:
            dialog.data[dialog.state] = clean_name(text, 50)
        except TextError as exc:
            await reply(
                update, context, "registration/error_name", rule=exc.rule.value, limit=exc.limit
            )
            return await ask(update, context, dialog)
        dialog = await _save(context, dialog)
        return await ask(update, context, dialog)
    await reply(update, context, "registration/error_not_text", expected="button")
    return await ask(update, context, dialog)


async def on_button(update: Update, context: BotContext) -> str | int:
    """District, specialty toggles, done."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    dialog = await _load(update, context)
    if callback is None or dialog is None:
        await _stale(update, context)
        return dialog.state if dialog else END
    action, arg = callback.arg(0), callback.arg(1)
    ids = {d.id for d in context.services.settings.districts}
    if action == "district" and dialog.state == "district" and arg in ids:
        dialog.data["district"] = arg
    elif action == "spec" and dialog.state == "specialties" and arg in specialties(context):
        chosen = _chosen(dialog)
        dialog.data["specialties"] = (
            [s for s in chosen if s != arg] if arg in chosen else [*chosen, arg]
        )
    elif action == "done" and dialog.state == "specialties" and dialog.data.get("specialties"):
        dialog.data["specialties_done"] = True
    else:
        await _stale(update, context)
        return dialog.state
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, await _save(context, dialog))


async def _stale(update: Update, context: BotContext) -> None:
    await answer_expired(update, context)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: leave onboarding; the invite stays usable until it expires."""
    await context.services.store.delete_dialog(DIALOG, chat_id(update), user_id(update))
    await reply(update, context, "cancelled", dialog="onboarding", updating=False)
    return END


async def other(update: Update, context: BotContext) -> str | int:
    """Anything else during onboarding: the current question again."""
    dialog = await _load(update, context)
    if dialog is None:
        return END
    if update.callback_query is not None:
        await _stale(update, context)
    else:
        await reply(update, context, "staff/in_progress")
    return await ask(update, context, dialog)


def conversation() -> ConversationHandler[BotContext]:
    """Onboarding by deep link; app.py registers it before /start."""
    steps: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(PREFIX)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
    ]
    return dialog_handler(
        entry_points=[
            CommandHandler(commands.START, begin, filters.Regex(rf"^/start {INVITE_PAYLOAD}"))
        ],
        states={state: steps for state in ("name", "title", "district", "specialties")},
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            MessageHandler(filters.ALL, other),
            CallbackQueryHandler(other),
        ],
        name=DIALOG,
        persistent=True,
    )


# -- admin and staff commands -----------------------------------------------------------------


async def invite(update: Update, context: BotContext) -> None:
    """/invite liaison|counsel|admin: a single-use deep link that expires."""
    wanted = (context.args or [""])[0].lower()
    roles = {r.value: r for r in INVITE_ROLES}
    if wanted not in roles:
        await reply(update, context, "staff/invite_usage")
        return
    created = await context.services.staff.create_invite(roles[wanted], user_id(update))
    link = f"https://t.me/{context.bot.username}?start={created.code}"
    lang = await language(update, context)
    role_name = context.services.renderer.label(lang, f"role_{wanted}")
    await reply(
        update, context, "staff/invite_created", link=link, role_name=role_name, hours=created.hours
    )


async def roster(update: Update, context: BotContext) -> None:
    """/staff: everyone with load and availability, and a button to deactivate each."""
    lang = await language(update, context)
    labels = context.services.renderer
    entries = []
    rows = []
    for candidate in await context.services.staff.roster():
        s = candidate.staff
        entries.append(
            {
                "id": s.id,
                "name": s.display_name,
                "title": s.title,
                "role_name": labels.label(lang, f"role_{s.role.value}"),
                "district": s.district,
                "specialties": [labels.label(lang, "specialty", x) for x in s.specialties],
                "open_cases": candidate.open_cases,
                "active": s.active,
                "available": s.available,
            }
        )
        if s.active:
            rows.append(
                [
                    button(
                        context,
                        update,
                        labels.label(lang, "deactivate", s.display_name),
                        STAFF_PREFIX,
                        "off",
                        str(s.id),
                    )
                ]
            )
    await reply(update, context, "staff/list", keyboard(rows[:20]) if rows else None, staff=entries)


async def on_staff_button(update: Update, context: BotContext) -> None:
    """Deactivate: admins only, re-checked; open cases go back to routing."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    actor = await context.actor(user_id(update))
    if (
        callback is None
        or actor.role is not Role.ADMIN
        or callback.arg(0) != "off"
        or not callback.arg(1).isdigit()
    ):
        _LOGGER.warning("Refused staff button from user %s: %r", user_id(update), query.data)
        await _stale(update, context)
        return
    staff = await context.services.staff.by_id(int(callback.arg(1)))
    if staff is None or not staff.active:
        await _stale(update, context)
        return
    moved = await context.services.cases.deactivate(actor, staff)
    await answer_query(update)
    await clear_buttons(update)
    await reply(update, context, "staff/deactivated", name=staff.display_name, moved=moved)


async def assign(update: Update, context: BotContext) -> None:
    """/assign <credit code> <staff> [deputy]."""
    args = context.args or []
    if len(args) not in (2, 3):
        await reply(
            update,
            context,
            "staff/assigned",
            ok=False,
            problem="usage",
            code="",
            name="",
            liaison="",
            deputy="",
        )
        return
    try:
        code = validate(args[0])
    except CreditCodeError:
        await reply(
            update,
            context,
            "staff/assigned",
            ok=False,
            problem="enterprise",
            code=args[0],
            name="",
            liaison="",
            deputy="",
        )
        return
    people = []
    for ref in args[1:]:
        found = await context.services.staff.find(ref)
        if found is None:
            await reply(
                update,
                context,
                "staff/assigned",
                ok=False,
                problem="staff",
                code=code,
                name=ref,
                liaison="",
                deputy="",
            )
            return
        if found.role is not Role.LIAISON:
            await reply(
                update,
                context,
                "staff/assigned",
                ok=False,
                problem="role",
                code=code,
                name=found.display_name,
                liaison="",
                deputy="",
            )
            return
        people.append(found)
    deputy = people[1] if len(people) > 1 else None
    ok = await context.services.staff.assign(code, people[0], deputy, user_id(update))
    await reply(
        update,
        context,
        "staff/assigned",
        ok=ok,
        problem="enterprise",
        code=code,
        name="",
        liaison=people[0].display_name,
        deputy=deputy.display_name if deputy else "",
    )


async def away(update: Update, context: BotContext) -> None:
    """/away: no new cases, no reminders."""
    await _availability(update, context, available=False)


async def back(update: Update, context: BotContext) -> None:
    """/back: receive new cases again."""
    await _availability(update, context, available=True)


async def _availability(update: Update, context: BotContext, *, available: bool) -> None:
    staff = await context.services.staff.staff_of(user_id(update))
    if staff is None:
        await reply(update, context, "errors/not_available")
        return
    await context.services.staff.set_available(staff, available)
    await reply(update, context, "cases/away", away=not available)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """Admin and staff commands and the staff buttons."""
    return [
        CommandHandler(commands.INVITE, guarded(commands.INVITE, invite)),
        CommandHandler(commands.STAFF, guarded(commands.STAFF, roster)),
        CommandHandler(commands.ASSIGN, guarded(commands.ASSIGN, assign)),
        CommandHandler(commands.AWAY, guarded(commands.AWAY, away)),
        CommandHandler(commands.BACK, guarded(commands.BACK, back)),
        CallbackQueryHandler(on_staff_button, pattern=CallbackCodec.pattern(STAFF_PREFIX)),
    ]
