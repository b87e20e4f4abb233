"""Oversight for admins (PRODUCT §5.4): /stats with period buttons and charts, /export as a
document, /audit paged. Commands are guarded by role; every button re-checks that the presser
is an admin now (a deactivated admin's old buttons do nothing)."""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import spreadsheet
from bot.domain.exports import Format, Table, Window
from bot.domain.figures import PeriodKind
from bot.domain.models import Language, Role
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    chat_id,
    guarded,
    keyboard,
    language,
    not_available,
    reply,
    user_id,
)
from bot.telegram.context import BotContext

_LOGGER = logging.getLogger(__name__)
# What the Bot API accepts from a bot in sendDocument (50 MB); beyond, the command line.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


async def stats(update: Update, context: BotContext) -> None:
    """/stats: today's figures with period buttons, then the two charts of the last 30 days."""
    text, markup = await _stats_message(update, context, PeriodKind.TODAY)
    chat = chat_id(update)
    await context.bot.send_message(chat, text, reply_markup=markup)
    lang = await language(update, context)
    for image in await _charts(context, lang):
        await context.bot.send_photo(chat, InputFile(image, filename="chart.png"))


async def _stats_message(
    update: Update, context: BotContext, kind: PeriodKind
) -> tuple[str, InlineKeyboardMarkup]:
    lang = await language(update, context)
    figures = await context.services.figures.viewed(user_id(update), kind)
    labels = context.services.renderer
    text = labels.render("oversight/stats", lang, period=kind.value, figures=figures.context())
    buttons = [
        button(
            context,
            update,
            labels.label(lang, "ticked", labels.label(lang, f"stats_{k.value}"), k is kind),
            callbacks.STATS,
            "p",
            k.value,
        )
        for k in PeriodKind
    ]
    return text, keyboard([buttons])


async def _charts(context: BotContext, lang: Language) -> list[bytes]:
    """The charts as PNG bytes, drawn in a worker thread (matplotlib is CPU-bound)."""
    from bot import charts  # matplotlib loads on the first /stats, not with every CLI command

    figures = context.services.figures
    labels = context.services.renderer
    series = await figures.daily()
    hours = await figures.response_hours()
    legend = {key: labels.choice("category", key, lang) for key in series.by_category}
    empty = labels.label(lang, "chart_empty")

    def words(name: str, **extra: object) -> charts.ChartText:
        return charts.ChartText(
            labels.label(lang, f"chart_{name}_title"),
            labels.label(lang, f"chart_{name}_x"),
            labels.label(lang, f"chart_{name}_y"),
            empty,
            **extra,  # type: ignore[arg-type]
        )

    daily = await asyncio.to_thread(charts.cases_per_day, series, words("daily", legend=legend))
    response = await asyncio.to_thread(charts.response_times, hours, words("response"))
    return [daily, response]


async def _admin(update: Update, context: BotContext) -> bool:
    """Whether the presser is an admin now; otherwise answered "not available"."""
    actor = await context.actor(user_id(update))
    if actor.role is not Role.ADMIN:
        _LOGGER.info("User %s (%s) pressed an admin button", user_id(update), actor.role.value)
        await not_available(update, context)
        return False
    return True


async def on_stats_button(update: Update, context: BotContext) -> None:
    """A period button: the same message shows that period's figures."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if not await _admin(update, context):
        return
    kinds = {k.value: k for k in PeriodKind}
    if callback is None or callback.arg(0) != "p" or callback.arg(1) not in kinds:
        _LOGGER.warning("Refused stats button from user %s: %r", user_id(update), query.data)
        await answer_expired(update, context)
        return
    text, markup = await _stats_message(update, context, kinds[callback.arg(1)])
    await answer_query(update)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # the same period pressed again, nothing changed meanwhile
        if "not modified" not in str(exc).lower():
            raise


async def export(update: Update, context: BotContext) -> None:
    """/export cases|enterprises|staff|audit [xlsx|csv]: the whole table as a document."""
    args = [a.lower() for a in context.args or []]
    tables = {t.value: t for t in Table}
    formats = {f.value: f for f in Format}
    if (
        not args
        or args[0] not in tables
        or len(args) > 2
        or (len(args) == 2 and args[1] not in formats)
    ):
        await reply(update, context, "oversight/export_usage")
        return
    table, fmt = tables[args[0]], formats[args[1]] if len(args) == 2 else Format.XLSX
    lang = await language(update, context)
    services = context.services
    buffer = io.BytesIO()
    window = Window()
    rows = await spreadsheet.write_export(
        services.exports,
        services.renderer,
        services.settings.default_language,
        services.settings.locale.timezone,
        table,
        fmt,
        window,
        buffer,
    )
    if buffer.tell() > MAX_DOCUMENT_BYTES:
        size = round(buffer.tell() / 1_000_000)
        await reply(update, context, "oversight/export_too_large", table=table.value, mb=size)
        return
    # Audited before it is sent: a send that fails may still have delivered the file.
    await services.exports.exported(user_id(update), table, fmt, window, rows, "chat")
    caption = services.renderer.render(
        "oversight/export_caption", lang, table=table.value, rows=rows
    )
    name = f"{table.value}.{fmt.value}"
    await context.bot.send_document(
        chat_id(update),
        InputFile(buffer.getvalue(), filename=name),
        caption=caption,
        write_timeout=120,  # a year of cases is megabytes: more than the default 20 s upload
    )


async def audit_log(update: Update, context: BotContext) -> None:
    """/audit: the newest entries of the audit log, a page at a time."""
    text, markup = await _audit_message(update, context, 0)
    await context.bot.send_message(chat_id(update), text, reply_markup=markup)


async def _audit_message(
    update: Update, context: BotContext, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    lang = await language(update, context)
    shown = await context.services.audit.page(page)
    labels = context.services.renderer
    entries = [
        {
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "details": dict(r.details),
        }
        for r in shown.records
    ]
    text = labels.render(
        "oversight/audit",
        lang,
        entries=entries,
        page=shown.page,
        pages=shown.pages,
        total=shown.total,
    )
    turn = []
    if shown.page > 0:
        turn.append(
            button(
                context,
                update,
                labels.label(lang, "previous"),
                callbacks.AUDIT,
                "pg",
                str(shown.page - 1),
            )
        )
    if shown.page + 1 < shown.pages:
        turn.append(
            button(
                context,
                update,
                labels.label(lang, "next"),
                callbacks.AUDIT,
                "pg",
                str(shown.page + 1),
            )
        )
    return text, keyboard([turn]) if turn else None


async def on_audit_button(update: Update, context: BotContext) -> None:
    """Previous / Next page of the audit log."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if not await _admin(update, context):
        return
    if callback is None or callback.arg(0) != "pg" or not callback.arg(1).isdigit():
        _LOGGER.warning("Refused audit button from user %s: %r", user_id(update), query.data)
        await answer_expired(update, context)
        return
    text, markup = await _audit_message(update, context, int(callback.arg(1)))
    await answer_query(update)
    await query.edit_message_text(text, reply_markup=markup)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """/stats, /export, /audit and their buttons."""
    return [
        CommandHandler(commands.STATS, guarded(commands.STATS, stats)),
        CommandHandler(commands.EXPORT, guarded(commands.EXPORT, export)),
        CommandHandler(commands.AUDIT, guarded(commands.AUDIT, audit_log)),
        CallbackQueryHandler(on_stats_button, pattern=CallbackCodec.pattern(callbacks.STATS)),
        CallbackQueryHandler(on_audit_button, pattern=CallbackCodec.pattern(callbacks.AUDIT)),
    ]
