"""FAQ in the chat (PRODUCT §3.4, §7): browse by topic, or just write a question.

Free text that is not part of a dialog or a case conversation is answered with the best match,
up to two alternatives as buttons (or, when no entry is good enough, up to three borderline ones
as "did you mean" buttons), "helpful? yes / no", and "ask a counsel", which opens /ask
with the question as the description. Questions are kept (without who asked) so that "ask a
counsel" can carry them and admins can see what found no answer.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.domain.faq import FaqEntry, localized
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    answer_expired,
    answer_query,
    button,
    guarded,
    keyboard,
    language,
    reply,
    user_id,
)
from bot.telegram.context import BotContext
from bot.telegram.fallbacks import other_input

PREFIX = callbacks.FAQ
PAGE = 6  # questions per page: buttons stay readable on a phone


async def browse(update: Update, context: BotContext) -> None:
    """/faq: the topic groups as buttons."""
    lang = await language(update, context)
    kb = context.services.faq.kb
    rows = [
        [button(context, update, localized(t.name, lang), PREFIX, "t", t.id, "0")]
        for t in kb.topics
    ]
    await reply(update, context, "faq/topics", keyboard(rows))


async def on_button(update: Update, context: BotContext) -> None:
    """Topic pages, entries, alternatives, feedback: all verified and re-read."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if callback is None:
        await _stale(update, context)
        return
    action = callback.arg(0)
    if action == "t":
        await _topic(update, context, callback.arg(1), callback.arg(2))
    elif action == "e":
        entry = context.services.faq.shown(callback.arg(1))
        if entry is None:
            await _stale(update, context)
            return
        await answer_query(update)
        await show_entry(update, context, entry, query_id=None)
    elif action == "s" and callback.arg(2).isdigit():
        # A "did you mean" choice: the answer keeps the owner's question for feedback and
        # for "ask a counsel".
        entry = context.services.faq.shown(callback.arg(1))
        if entry is None:
            await _stale(update, context)
            return
        await answer_query(update)
        await show_entry(update, context, entry, query_id=int(callback.arg(2)))
    elif action in ("yes", "no") and callback.arg(1).isdigit():
        await context.services.faq.feedback(int(callback.arg(1)), action == "yes")
        await answer_query(update)
        await reply(update, context, "faq/thanks", helpful=action == "yes")
    elif action == "home":
        await answer_query(update)
        await browse(update, context)
    else:
        await _stale(update, context)


async def _topic(update: Update, context: BotContext, topic_id: str, page_arg: str) -> None:
    faq = context.services.faq
    topic = faq.kb.topic(topic_id)
    if topic is None or not page_arg.isdigit():
        await _stale(update, context)
        return
    await answer_query(update)
    lang = await language(update, context)
    entries = faq.kb.listing(faq.today(), topic.id)
    page = int(page_arg)
    shown = entries[page * PAGE : (page + 1) * PAGE]
    rows: list[list[InlineKeyboardButton]] = [
        [button(context, update, localized(e.question, lang)[:60], PREFIX, "e", e.id)]
        for e in shown
    ]
    labels = context.services.renderer
    nav = []
    if page > 0:
        nav.append(
            button(
                context,
                update,
                labels.label(lang, "previous"),
                PREFIX,
                "t",
                topic.id,
                str(page - 1),
            )
        )
    if (page + 1) * PAGE < len(entries):
        nav.append(
            button(
                context, update, labels.label(lang, "next"), PREFIX, "t", topic.id, str(page + 1)
            )
        )
    if nav:
        rows.append(nav)
    rows.append([button(context, update, labels.label(lang, "faq_topics"), PREFIX, "home")])
    await reply(update, context, "faq/topic", keyboard(rows), topic=localized(topic.name, lang))


async def show_entry(
    update: Update,
    context: BotContext,
    entry: FaqEntry,
    query_id: int | None,
    alternatives: tuple[FaqEntry, ...] = (),
) -> None:
    """An answer with its references, hotlines, links, and the way on to a counsel."""
    lang = await language(update, context)
    labels = context.services.renderer
    rows: list[list[InlineKeyboardButton]] = [
        [InlineKeyboardButton(localized(link.label, lang), url=link.url)]
        for link in entry.links
        if link.url
    ]
    for other in alternatives:
        question = localized(other.question, lang)[:55]
        label = labels.label(lang, "faq_alternative", question)
        rows.append([button(context, update, label, PREFIX, "e", other.id)])
    if query_id is not None:
        rows.append(
            [
                button(
                    context, update, labels.label(lang, "helpful_yes"), PREFIX, "yes", str(query_id)
                ),
                button(
                    context, update, labels.label(lang, "helpful_no"), PREFIX, "no", str(query_id)
                ),
            ]
        )
    ask = ("ask", "q", str(query_id)) if query_id is not None else ("ask", "e", entry.id)
    rows.append([button(context, update, labels.label(lang, "ask_counsel"), PREFIX, *ask)])
    faq = context.services.faq
    await reply(update, context, "faq/answer", keyboard(rows), **faq.answer_context(entry, lang))


async def answer_text(update: Update, context: BotContext) -> None:
    """Free text nobody else took: the FAQ's best answer, or a straight path to a counsel."""
    message = update.message
    if message is None or not message.text:
        await _not_understood(update, context)
        return
    lang = await language(update, context)
    found = await context.services.faq.answer(message.text, lang)
    if found.best is not None:
        await show_entry(update, context, found.best, found.query_id, found.alternatives)
        return
    labels = context.services.renderer
    topics = [button(context, update, labels.label(lang, "faq_topics"), PREFIX, "home")]
    if found.small_talk:  # a greeting or thanks: a greeting back, and how to ask
        await reply(update, context, "faq/small_talk", keyboard([topics]))
        return
    # Nothing good enough to answer with: the borderline entries, if any, as "did you mean".
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "faq_did_you_mean", localized(e.question, lang)[:55]),
                PREFIX,
                "s",
                e.id,
                str(found.query_id),
            )
        ]
        for e in found.suggestions
    ]
    rows += [
        [
            button(
                context,
                update,
                labels.label(lang, "ask_counsel"),
                PREFIX,
                "ask",
                "q",
                str(found.query_id),
            )
        ],
        topics,
    ]
    template = "faq/did_you_mean" if found.suggestions else "faq/no_match"
    await reply(update, context, template, keyboard(rows))


async def _not_understood(update: Update, context: BotContext) -> None:
    await other_input(update, context)


async def prefilled_question(update: Update, context: BotContext) -> str | None:
    """The question an "ask a counsel" button carries (for /ask's description), if valid."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    if callback is None or callback.arg(0) != "ask":
        return None
    faq = context.services.faq
    if callback.arg(1) == "q" and callback.arg(2).isdigit():
        question: str | None = await faq.question_of(int(callback.arg(2)))
        return question
    if callback.arg(1) == "e":
        entry = faq.shown(callback.arg(2))
        if entry is not None:
            lang = await language(update, context)
            return localized(entry.question, lang)
    return None


async def _stale(update: Update, context: BotContext) -> None:
    await answer_expired(update, context, alert=True)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """/faq and the FAQ buttons ("ask a counsel" is an entry point of the /ask dialog)."""
    return [
        CommandHandler(commands.FAQ, guarded(commands.FAQ, browse)),
        CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(PREFIX)),
    ]
