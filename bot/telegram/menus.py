"""Per-scope command menus (§8): owners never see staff commands."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain.models import Language, Role
from bot.rendering import Renderer
from bot.telegram.commands import commands_for

_LOGGER = logging.getLogger(__name__)
# setMyCommands takes two-letter ISO 639-1 codes: "zh" cannot tell Simplified from Traditional.
_MENU_LANGUAGE_CODES = {Language.EN: "en", Language.ZH_HANS: "zh"}


def menu(renderer: Renderer, role: Role, lang: Language) -> list[BotCommand]:
    """The command menu of a role, described in a language."""
    return [BotCommand(c.name, renderer.label(lang, f"cmd_{c.name}")) for c in commands_for(role)]


async def set_default_menus(bot: Bot, renderer: Renderer, default: Language) -> None:
    """Give every private chat the owner menu, in the default and per client language."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(menu(renderer, Role.OWNER, default), scope=scope)
    for lang, code in _MENU_LANGUAGE_CODES.items():
        await bot.set_my_commands(menu(renderer, Role.OWNER, lang), scope=scope, language_code=code)


async def set_chat_menu(
    bot: Bot, renderer: Renderer, chat_id: int, role: Role, lang: Language
) -> None:
    """Give one chat its role's menu in its chosen language (best effort: log on failure)."""
    try:
        await bot.set_my_commands(menu(renderer, role, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        _LOGGER.warning("Could not set the command menu of chat %s: %s", chat_id, exc)
