"""The bare python-telegram-bot echo bot: the baseline every benchmark compares against."""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


def main() -> None:
    """Long-poll the Bot API at LEGAL_AID_TELEGRAM_BASE_URL with LEGAL_AID_BOT_TOKEN."""
    application = (
        Application.builder()
        .token(os.environ["LEGAL_AID_BOT_TOKEN"])
        .base_url(os.environ["LEGAL_AID_TELEGRAM_BASE_URL"])
        .concurrent_updates(int(os.environ.get("ECHO_CONCURRENT_UPDATES", "64")))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(timeout=1, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    sys.exit(main())
