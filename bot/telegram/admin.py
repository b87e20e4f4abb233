"""Admin commands (PRODUCT §5.1, §5.2): /invite, /staff with deactivation, /assign."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.domain.models import Role
from bot.services.staff import INVITE_ROLES
from bot.telegram import callbacks, commands, keyboards
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    chat_id,
    clear_buttons,
    guarded,
    language,
    not_available,
    reply,
    user_id,
)
from bot.telegram.context import BotContext
from bot.telegram.menus import set_chat_menu

_LOGGER = logging.getLogger(__name__)


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
    """/staff [name]: everyone (or those whose name contains it), a page at a time, with load,
    availability and a button to deactivate each."""
    query = " ".join(context.args or [])
    text, markup = await _roster_message(update, context, 0, query)
    await context.bot.send_message(chat_id(update), text, reply_markup=markup)


async def _roster_message(
    update: Update, context: BotContext, page: int, query: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    lang = await language(update, context)
    labels = context.services.renderer
    shown = await context.services.staff.roster_page(page, query)
    entries = [
        {
            "id": c.staff.id,
            "name": c.staff.display_name,
            "title": c.staff.title,
            "role_name": labels.label(lang, f"role_{c.staff.role.value}"),
            "district": c.staff.district,
            "specialties": [labels.label(lang, "specialty", x) for x in c.staff.specialties],
            "open_cases": c.open_cases,
            "active": c.staff.active,
            "available": c.staff.available,
            # Imported from a roster and not joined through the invite yet: gets no cases.
            "joined": c.staff.telegram_id is not None,
        }
        for c in shown.people
    ]
    text = labels.render(
        "staff/list",
        lang,
        staff=entries,
        page=shown.page,
        pages=shown.pages,
        total=shown.total,
        query=shown.query,
    )
    active = [c.staff for c in shown.people if c.staff.active]
    # Pages of a search are not offered: a search narrows, its first page says how many.
    pages = (shown.page, shown.pages) if not shown.query else (0, 1)
    return text, keyboards.roster(context, update, lang, active, *pages)


async def on_staff_button(update: Update, context: BotContext) -> None:
    """Deactivate: admins only, re-checked; open cases go back to routing."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    actor = await context.actor(user_id(update))
    if actor.role is Role.DEACTIVATED:
        await not_available(update, context)
        return
    if (
        callback is None
        or actor.role is not Role.ADMIN
        or callback.arg(0) not in ("off", "page")
        or not callback.arg(1).isdigit()
    ):
        _LOGGER.warning("Refused staff button from user %s: %r", user_id(update), query.data)
        await answer_expired(update, context)
        return
    if callback.arg(0) == "page":
        text, markup = await _roster_message(update, context, int(callback.arg(1)), "")
        await answer_query(update)
        await query.edit_message_text(text, reply_markup=markup)
        return
    staff = await context.services.staff.by_id(int(callback.arg(1)))
    if staff is None or not staff.active:
        await answer_expired(update, context)
        return
    moved = await context.services.assignment.deactivate(actor, staff)
    await answer_query(update)
    await clear_buttons(update)
    await reply(update, context, "staff/deactivated", name=staff.display_name, moved=moved)
    if staff.telegram_id is not None:  # their menu drops to what they may still do
        lang = await context.services.accounts.language_of(staff.telegram_id)
        renderer = context.services.renderer
        await set_chat_menu(context.bot, renderer, staff.telegram_id, Role.DEACTIVATED, lang)


async def assign(update: Update, context: BotContext) -> None:
    """/assign <credit code> <staff> [deputy]."""
    done = await context.services.staff.assign(context.args or [], user_id(update))
    await reply(
        update,
        context,
        "staff/assigned",
        ok=done.problem is None,
        problem=str(done.problem or "enterprise"),
        code=done.code,
        name=done.name,
        liaison=done.liaison,
        deputy=done.deputy,
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Admin commands and the staff buttons."""
    return [
        CommandHandler(commands.INVITE, guarded(commands.INVITE, invite)),
        CommandHandler(commands.STAFF, guarded(commands.STAFF, roster)),
        CommandHandler(commands.ASSIGN, guarded(commands.ASSIGN, assign)),
        CallbackQueryHandler(on_staff_button, pattern=CallbackCodec.pattern(callbacks.STAFF)),
    ]
