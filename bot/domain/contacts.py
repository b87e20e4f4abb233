"""Who speaks for an enterprise (PRODUCT §3.1, §10: "a stranger who knows an enterprise's
credit code reads its cases" must never happen).

The first contact of an enterprise joins at once. Anyone after them asks to join: an existing
contact, the enterprise's liaison (or deputy) or an admin approves or refuses, and until then
the asker sees and receives nothing of the enterprise. A request is open for a configured
number of days ([cases] join_request_days); after that it lapses and can be asked again. Where
an imported roster holds the enterprise's phone, sharing that very number with Telegram's
contact button is proof enough. Decisions: docs/registration.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.cases import Actor
from bot.domain.models import Contact, ContactStatus, Enterprise, Role


def joins_as(
    enterprise: Enterprise | None,
    others: list[Contact],
    phone: str,
    phone_shared: bool,
) -> ContactStatus:
    """The status a newly registering contact gets.

    others: the enterprise's active contacts other than this person.
    """
    if enterprise is None or not others:
        return ContactStatus.ACTIVE
    if phone_shared and enterprise.phone is not None and enterprise.phone == phone:
        return ContactStatus.ACTIVE
    return ContactStatus.PENDING


def lapsed(contact: Contact, now: datetime, days: int) -> bool:
    """A join request nobody answered within the allowed days."""
    return (
        contact.status is ContactStatus.PENDING
        and contact.requested_at is not None
        and now - contact.requested_at >= timedelta(days=days)
    )


def oversees(actor: Actor, enterprise: Enterprise) -> bool:
    """Admins, and the enterprise's liaison or deputy while active."""
    if actor.role is Role.ADMIN:
        return True
    staff = actor.staff
    return (
        actor.role is Role.LIAISON
        and staff is not None
        and staff.active
        and staff.id in (enterprise.liaison_id, enterprise.deputy_liaison_id)
    )


def may_decide(actor: Actor, enterprise: Enterprise, contact: Contact) -> bool:
    """Approve or refuse a join request, or remove a contact: another active contact of the
    same enterprise, its liaison or deputy (active), or an admin."""
    if oversees(actor, enterprise):
        return True
    mine = actor.registration
    return (
        actor.role is Role.OWNER
        and mine is not None
        and mine.active
        and mine.enterprise.id == enterprise.id
        and mine.contact.id != contact.id
    )
