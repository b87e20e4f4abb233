"""Routing rules (PRODUCT §4.1): a pure function of the case, the enterprise and the staff.

Liaison categories: the enterprise's assigned liaison → its deputy → an available liaison of
the enterprise's district (fewest open cases, ties by round robin) → nobody (admins alerted).
Counsel categories: available counsel with the specialty (fewest open cases, round robin) →
any available counsel → nobody. Away, deactivated or unbound staff are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.models import Category, Enterprise, Role, Staff


@dataclass(frozen=True, slots=True)
class Candidate:
    """A staff member and how many open cases they hold now."""

    staff: Staff
    open_cases: int


@dataclass(frozen=True, slots=True)
class Decision:
    """Who gets the case and why; pool names the round-robin cursor to advance."""

    staff_id: int | None
    reason: str  # liaison, deputy, district, specialty, any_counsel, none
    pool: str | None = None


def route(
    category: Category,
    enterprise: Enterprise,
    candidates: Sequence[Candidate],
    cursors: Mapping[str, int],
    exclude: Collection[int] = (),
) -> Decision:
    """Choose the assignee of a new (or re-routed) case."""
    available = {
        c.staff.id: c for c in candidates if c.staff.routable and c.staff.id not in exclude
    }
    if category.route == "liaison":
        liaisons = [c for c in available.values() if c.staff.role is Role.LIAISON]
        for staff_id, reason in (
            (enterprise.liaison_id, "liaison"),
            (enterprise.deputy_liaison_id, "deputy"),
        ):
            if staff_id is not None and staff_id in {c.staff.id for c in liaisons}:
                return Decision(staff_id, reason)
        pool = f"liaison:{enterprise.district}"
        local = [c for c in liaisons if c.staff.district == enterprise.district]
        return _least_loaded(local, pool, cursors, "district")
    counsel = [c for c in available.values() if c.staff.role is Role.COUNSEL]
    specialty = category.specialty or ""
    skilled = [c for c in counsel if specialty in c.staff.specialties]
    if skilled:
        return _least_loaded(skilled, f"counsel:{specialty}", cursors, "specialty")
    return _least_loaded(counsel, "counsel:*", cursors, "any_counsel")


def _least_loaded(
    pool: Sequence[Candidate], name: str, cursors: Mapping[str, int], reason: str
) -> Decision:
    if not pool:
        return Decision(None, "none")
    fewest = min(c.open_cases for c in pool)
    tied = sorted(c.staff.id for c in pool if c.open_cases == fewest)
    last = cursors.get(name)
    after = [staff_id for staff_id in tied if last is not None and staff_id > last]
    return Decision(after[0] if after else tied[0], reason, name)
