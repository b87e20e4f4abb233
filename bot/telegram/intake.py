"""The /ask dialog (PRODUCT §3.2) as a persistent ConversationHandler over the stored dialog."""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.cases import NotAllowed
from bot.domain.models import DialogState, Role
from bot.domain.pending import PendingKind
from bot.services.intake import (
    DESCRIPTION_MAX,
    DIALOG_NAME,
    VOICE_DESCRIPTION,
    DescriptionError,
    IntakeStep,
)
from bot.telegram import callbacks, commands
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.common import (
    ATTACHMENT,
    UNSUPPORTED,
    answer_expired,
    answer_query,
    button,
    chat_id,
    clear_buttons,
    dialog_handler,
    keyboard,
    language,
    message_attachment,
    refuse_kind,
    reply,
    user_id,
)
from bot.telegram.contacts import waiting
from bot.telegram.context import BotContext
from bot.telegram.faq import prefilled_question

PREFIX = callbacks.INTAKE
END = ConversationHandler.END


async def _dialog(update: Update, context: BotContext) -> DialogState | None:
    return await context.services.intake.current(chat_id(update), user_id(update))


async def begin(update: Update, context: BotContext, prefilled: str | None = None) -> str | int:
    """/ask: only registered owners; others are led to /register."""
    await answer_query(update)
    role = await context.role(user_id(update))
    if role is not Role.OWNER:
        await reply(update, context, "errors/not_available")
        return END
    actor = await context.actor(user_id(update))
    if actor.joining is not None:
        await waiting(update, context, actor.joining)
        return END
    if actor.registration is None:
        lang = await language(update, context)
        label = context.services.renderer.label(lang, "register")
        markup = keyboard([[button(context, update, label, callbacks.REGISTRATION, "start")]])
        await reply(update, context, "cases/errors", markup, problem="not_registered", number="")
        return END
    intake = context.services.intake
    dialog = await intake.current(chat_id(update), user_id(update))
    if dialog is None or prefilled:
        dialog = await intake.begin(chat_id(update), user_id(update), prefilled)
    return await ask(update, context, dialog)


async def ask(update: Update, context: BotContext, dialog: DialogState) -> str:
    """Send the question of the dialog's step."""
    step = IntakeStep(dialog.state)
    lang = await language(update, context)
    labels = context.services.renderer
    settings = context.services.settings
    if step is IntakeStep.CATEGORY:
        rows = [
            [button(context, update, c.choice.label(lang), PREFIX, "cat", c.id)]
            for c in settings.categories
        ]
        rows.append([button(context, update, labels.label(lang, "cancel"), PREFIX, "cancel")])
        prefilled = (
            str(dialog.data.get("description") or "") if dialog.data.get("prefilled") else ""
        )
        await reply(update, context, "intake/ask_category", keyboard(rows), prefilled=prefilled)
    elif step is IntakeStep.DESCRIPTION:
        await reply(
            update,
            context,
            "intake/ask_description",
            minimum=settings.cases.description_min_chars,
            maximum=DESCRIPTION_MAX,
        )
    elif step is IntakeStep.URGENCY:
        rows = [
            [
                button(
                    context, update, labels.label(lang, "urgency_normal"), PREFIX, "urg", "normal"
                ),
                button(
                    context, update, labels.label(lang, "urgency_urgent"), PREFIX, "urg", "urgent"
                ),
            ]
        ]
        await reply(update, context, "intake/ask_urgency", keyboard(rows))
    else:
        rows = [
            [button(context, update, labels.label(lang, "submit"), PREFIX, "submit")],
            [button(context, update, labels.label(lang, "cancel"), PREFIX, "cancel")],
        ]
        data = dialog.data
        await reply(
            update,
            context,
            "intake/summary",
            keyboard(rows),
            category=data["category"],
            urgency=data["urgency"],
            description=data["description"],
            attachments=len(data.get("attachments", [])),  # type: ignore[arg-type]
            captions=[
                str(a["caption"])
                for a in data.get("attachments", [])  # type: ignore[attr-defined]
                if a.get("caption")
            ],
            voice=data.get(VOICE_DESCRIPTION),
        )
    return step.value


async def on_button(update: Update, context: BotContext) -> str | int:
    """Category, urgency, submit, cancel: verified and checked against the stored step."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    dialog = await _dialog(update, context)
    if callback is None or dialog is None:
        return await _stale(update, context)
    action, arg = callback.arg(0), callback.arg(1)
    intake = context.services.intake
    step = IntakeStep(dialog.state)
    if action == "cancel":
        return await cancel(update, context)
    try:
        if action == "cat" and step is IntakeStep.CATEGORY:
            dialog = await intake.choose_category(dialog, arg)
        elif action == "urg" and step is IntakeStep.URGENCY:
            dialog = await intake.set_urgency(dialog, arg)
        elif action == "usecap" and step is IntakeStep.DESCRIPTION:
            dialog = await intake.use_caption(dialog)
        elif action == "submit" and step is IntakeStep.CONFIRM:
            actor = await context.actor(user_id(update))
            await answer_query(update)
            await clear_buttons(update)
            await intake.confirm(dialog, actor)  # the receipt comes through the outbox
            return END
        else:
            return await _stale(update, context)
    except (KeyError, ValueError, NotAllowed):
        return await _stale(update, context)
    await answer_query(update)
    await clear_buttons(update)
    return await ask(update, context, dialog)


async def on_text(update: Update, context: BotContext) -> str | int:
    """The description (other steps want buttons)."""
    dialog = await _dialog(update, context)
    if dialog is None:
        return END
    assert update.message is not None
    if IntakeStep(dialog.state) is not IntakeStep.DESCRIPTION:
        await reply(update, context, "errors/expected_input", expected="button")
        return await ask(update, context, dialog)
    try:
        dialog = await context.services.intake.describe(
            dialog, update.message.text or "", update.message.date
        )
    except DescriptionError as exc:
        await _description_error(update, context, exc)
        return dialog.state
    return await ask(update, context, dialog)


async def _description_error(
    update: Update, context: BotContext, exc: DescriptionError, *, album: bool = False
) -> None:
    minimum = context.services.settings.cases.description_min_chars
    await reply(
        update,
        context,
        "intake/error_description",
        rule=exc.rule,
        minimum=minimum,
        maximum=DESCRIPTION_MAX,
        length=exc.length,
        album=album,
    )


async def on_attachment(update: Update, context: BotContext) -> str | int:
    """Any kind but text: kept as an attachment of the request; a voice message asked for the
    description is the description."""
    dialog = await _dialog(update, context)
    if dialog is None:
        return END
    assert update.message is not None
    attachment = message_attachment(update.message)
    step = IntakeStep(dialog.state)
    if attachment is None or step is IntakeStep.CATEGORY:
        await reply(
            update,
            context,
            "errors/expected_input",
            expected="button" if step is IntakeStep.CATEGORY else "text",
        )
        return await ask(update, context, dialog)
    voice = attachment.kind == "voice" and step is IntakeStep.DESCRIPTION
    stored = dialog.data.get("attachments") or []
    previous = stored[-1].get("group") if stored else None  # type: ignore[index]
    # The first item of an album is answered for the whole album; the rest are kept quietly.
    follows = attachment.group is not None and previous == attachment.group
    try:
        if voice:
            dialog = await context.services.intake.describe_by_voice(dialog, attachment)
        else:
            dialog = await context.services.intake.attach(dialog, attachment)
    except DescriptionError as exc:
        if not exc.quiet:
            await _description_error(update, context, exc, album=attachment.group is not None)
        return dialog.state
    if voice:
        await reply(update, context, "intake/voice_description", duration=attachment.duration)
        return await ask(update, context, dialog)
    if follows:
        return dialog.state
    count = len(dialog.data.get("attachments", []))  # type: ignore[arg-type]
    need_text = IntakeStep(dialog.state) is IntakeStep.DESCRIPTION
    markup = None
    caption = context.services.intake.usable_caption(dialog) if need_text else None
    if caption is not None:
        lang = await language(update, context)
        label = context.services.renderer.label(lang, "use_caption")
        markup = keyboard([[button(context, update, label, PREFIX, "usecap")]])
    await reply(
        update,
        context,
        "intake/attachment_received",
        markup,
        count=count,
        need_text=need_text,
        caption=caption or "",
        album=attachment.group is not None,
    )
    if need_text:
        return dialog.state
    return await ask(update, context, dialog)


async def _stale(update: Update, context: BotContext) -> str | int:
    await answer_expired(update, context)
    dialog = await _dialog(update, context)
    return await ask(update, context, dialog) if dialog else END


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button: nothing of the request is kept."""
    await answer_query(update)
    await clear_buttons(update)
    await context.services.intake.cancel(chat_id(update), user_id(update))
    await reply(
        update, context, "cancelled", ReplyKeyboardRemove(), dialog=DIALOG_NAME, updating=False
    )
    return END


async def _command_in_dialog(update: Update, context: BotContext) -> str | int:
    await reply(update, context, "intake/in_progress")
    return await _stale(update, context)


async def _refused(update: Update, context: BotContext) -> str | int:
    await refuse_kind(update, context)
    return await _stale(update, context)


async def _resume(update: Update, context: BotContext) -> str | int:
    return await _stale(update, context)


async def begin_from_faq(update: Update, context: BotContext) -> str | int:
    """ "Ask a counsel" under an FAQ answer: /ask with the question as the description."""
    question = await prefilled_question(update, context)
    if question is None:
        await answer_query(update)
        await reply(update, context, "errors/stale_button")
        return END
    return await begin(update, context, prefilled=question)


async def begin_anew(update: Update, context: BotContext) -> str | int:
    """ "Send as a new request" under a message to a closed case: /ask with it prefilled."""
    query = update.callback_query
    assert query is not None
    callback = context.services.callbacks.decode(user_id(update), query.data)
    pending = context.services.pending
    held = await pending.current(chat_id(update), user_id(update))
    if callback is None or held is None or held.kind is not PendingKind.NEW_REQUEST:
        await answer_query(update)
        await reply(update, context, "errors/stale_button")
        return END
    await pending.forget(chat_id(update), user_id(update))
    # Every held message's words make the description (several were held for "which case?").
    written = "\n".join(h.text for h in held.held if h.text)
    state = await begin(update, context, prefilled=written or None)
    if state != END:  # every held attachment (an album's items too) goes with the request
        intake = context.services.intake
        dialog = await intake.current(chat_id(update), user_id(update))
        for kept in held.held:
            if dialog is not None and kept.attachment is not None:
                dialog = await intake.attach(dialog, kept.attachment)
    return state


def conversation() -> ConversationHandler[BotContext]:
    """The /ask ConversationHandler; app.py registers it."""
    steps: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(on_button, pattern=CallbackCodec.pattern(PREFIX)),
        MessageHandler(ATTACHMENT, on_attachment),
        MessageHandler(UNSUPPORTED, _refused),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
    ]
    return dialog_handler(
        entry_points=[
            CommandHandler(commands.ASK, begin),
            CallbackQueryHandler(begin_from_faq, pattern=CallbackCodec.pattern("faq", "ask")),
            CallbackQueryHandler(begin_anew, pattern=CallbackCodec.pattern(PREFIX, "anew")),
        ],
        states={step.value: steps for step in IntakeStep},
        fallbacks=[
            CommandHandler(commands.CANCEL, cancel),
            CommandHandler(commands.ASK, _resume),
            MessageHandler(filters.COMMAND, _command_in_dialog),
            CallbackQueryHandler(_stale),
            MessageHandler(filters.ALL, _resume),
        ],
        name=DIALOG_NAME,
        persistent=True,
    )
