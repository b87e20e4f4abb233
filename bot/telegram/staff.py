"""Staff's own commands: /away and /back (PRODUCT §4)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.telegram import commands
from bot.telegram.common import guarded, reply, user_id
from bot.telegram.context import BotContext


async def away(update: Update, context: BotContext) -> None:
    """/away: no new cases, no reminders."""
    await _availability(update, context, available=False)


async def back(update: Update, context: BotContext) -> None:
    """/back: receive new cases again."""
    await _availability(update, context, available=True)


async def _availability(update: Update, context: BotContext, *, available: bool) -> None:
    staff = await context.services.accounts.staff_of(user_id(update))
    if staff is None:
        await reply(update, context, "errors/not_available")
        return
    await context.services.staff.set_available(staff, available)
    await reply(update, context, "cases/away", away=not available)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """/away and /back."""
    return [
        CommandHandler(commands.AWAY, guarded(commands.AWAY, away)),
        CommandHandler(commands.BACK, guarded(commands.BACK, back)),
    ]
