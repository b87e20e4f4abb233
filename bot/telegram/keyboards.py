"""Inline keyboards the handlers send (those of outbox messages are built by the services as
domain Buttons). Each builder signs its buttons for the user who will press them."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.models import Case, Contact, ContactStatus, Language, Staff
from bot.telegram.callbacks import CASE, CONTACT, INTAKE, ONBOARDING, STAFF
from bot.telegram.common import button, keyboard
from bot.telegram.context import BotContext


def case_list(
    context: BotContext, update: Update, lang: Language, cases: Sequence[Case], action: str
) -> InlineKeyboardMarkup | None:
    """One button per case (its number) doing the action with it."""
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(
                    lang,
                    "case_choose",
                    c.number,
                    labels.choice("category", c.category, lang),
                    _words(c.description),
                ),
                CASE,
                action,
                str(c.id),
            )
        ]
        for c in cases
    ]
    return keyboard(rows) if rows else None


def _words(text: str, limit: int = 12) -> str:
    """The first few words of a description, for a button that says what the case is."""
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def case_detail(
    context: BotContext, update: Update, lang: Language, case: Case, *, owner_may_write: bool
) -> InlineKeyboardMarkup | None:
    """Under a case's history: Add information and Close, for its owner while it lasts."""
    if not owner_may_write:
        return None
    labels = context.services.renderer
    return keyboard(
        [
            [
                button(
                    context, update, labels.label(lang, "case_add_info"), CASE, "info", str(case.id)
                ),
                button(
                    context, update, labels.label(lang, "case_close"), CASE, "close", str(case.id)
                ),
            ]
        ]
    )


def close_confirmation(
    context: BotContext, update: Update, lang: Language, case: Case
) -> InlineKeyboardMarkup:
    """Yes, close it / No, keep it."""
    labels = context.services.renderer
    return keyboard(
        [
            [
                button(
                    context,
                    update,
                    labels.label(lang, "case_close_yes"),
                    CASE,
                    "closeyes",
                    str(case.id),
                ),
                button(
                    context,
                    update,
                    labels.label(lang, "case_close_no"),
                    CASE,
                    "closeno",
                    str(case.id),
                ),
            ]
        ]
    )


def new_request(context: BotContext, update: Update, lang: Language) -> InlineKeyboardMarkup:
    """ "Send as a new request" (the /ask dialog, prefilled with the held message)."""
    label = context.services.renderer.label(lang, "send_as_new_request")
    return keyboard([[button(context, update, label, INTAKE, "anew")]])


def transfer_targets(
    context: BotContext, update: Update, lang: Language, case: Case, targets: Sequence[Staff]
) -> InlineKeyboardMarkup:
    """A button per person who may take the case, then "back to routing"."""
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "staff_person", s.display_name, s.title),
                CASE,
                "to",
                str(case.id),
                str(s.id),
            )
        ]
        for s in targets
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
    return keyboard(rows)


def skip_comment(
    context: BotContext, update: Update, lang: Language, case: Case
) -> InlineKeyboardMarkup:
    """ "Skip" under the request for a rating comment."""
    label = context.services.renderer.label(lang, "skip")
    return keyboard([[button(context, update, label, CASE, "skip", str(case.id))]])


def specialties(
    context: BotContext,
    update: Update,
    lang: Language,
    offered: Sequence[str],
    chosen: Sequence[str],
) -> InlineKeyboardMarkup:
    """Counsel's specialties to tick (ticked ones marked), then Done."""
    labels = context.services.renderer
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                context,
                update,
                labels.label(lang, "ticked", labels.label(lang, "specialty", s), s in chosen),
                ONBOARDING,
                "spec",
                s,
            )
        ]
        for s in offered
    ]
    rows.append([button(context, update, labels.label(lang, "done"), ONBOARDING, "done")])
    return keyboard(rows)


def roster(
    context: BotContext,
    update: Update,
    lang: Language,
    people: Sequence[Staff],
    page: int,
    pages: int,
) -> InlineKeyboardMarkup | None:
    """A Deactivate button per active person on the page, then Previous / Next."""
    labels = context.services.renderer
    rows = [
        [
            button(
                context,
                update,
                labels.label(lang, "deactivate", s.display_name),
                STAFF,
                "off",
                str(s.id),
            )
        ]
        for s in people
    ]
    turn = []
    if page > 0:
        turn.append(
            button(context, update, labels.label(lang, "previous"), STAFF, "page", str(page - 1))
        )
    if page + 1 < pages:
        turn.append(
            button(context, update, labels.label(lang, "next"), STAFF, "page", str(page + 1))
        )
    if turn:
        rows.append(turn)
    return keyboard(rows) if rows else None


def contact_decisions(
    context: BotContext, update: Update, lang: Language, contacts: Sequence[Contact]
) -> InlineKeyboardMarkup | None:
    """Approve / Refuse for a pending request, Remove for an active contact."""
    labels = context.services.renderer

    def decide(label: str, action: str, contact: Contact) -> InlineKeyboardButton:
        text = labels.label(lang, label, contact.name or "")
        return button(context, update, text, CONTACT, action, str(contact.id))

    rows = [
        [decide("contact_approve", "approve", c), decide("contact_refuse", "refuse", c)]
        if c.status is ContactStatus.PENDING
        else [decide("contact_remove", "remove", c)]
        for c in contacts
    ]
    return keyboard(rows) if rows else None
