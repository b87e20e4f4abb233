"""What importing read roster rows would do (PRODUCT §5.2): pure, given what is stored.

Rows of the same enterprise or person in one file are duplicates; each row is then compared with
the stored record it names: added, updated, unchanged, or refused for a conflict. An empty
optional cell keeps the stored value (a sheet does not unassign a liaison: /assign does).
Decisions: docs/imports.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from bot.domain import phone
from bot.domain.models import Enterprise, EnterpriseSource, Role, Staff
from bot.domain.roster import Column, EnterpriseRow, Issue, Problem, Refused, StaffRow

R = TypeVar("R", EnterpriseRow, StaffRow)


def duplicates(
    rows: Sequence[R], keys: Callable[[R], Sequence[Hashable]], column: Column
) -> list[Refused]:
    """Rows naming the same enterprise or person as another row of the file.

    The same row again is refused as a repeat (the first is imported); rows that name the same
    one with different data are all refused, since the file does not say which is right.
    column: what identifies a row of this kind (the credit code, the person's name).
    """
    groups: dict[Hashable, list[R]] = {}
    for row in rows:
        for key in keys(row):
            groups.setdefault(key, []).append(row)
    found: dict[int, list[Problem]] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        first = group[0]
        if all(dataclasses.replace(r, line=0) == dataclasses.replace(first, line=0) for r in group):
            for r in group[1:]:
                found.setdefault(r.line, []).append(
                    Problem(Issue.REPEATS, details={"first": first.line})
                )
            continue
        for r in group:
            others = [o.line for o in group if o.line != r.line]
            problem = Problem(Issue.CLASHES, column, details={"lines": others})
            if problem not in found.setdefault(r.line, []):
                found[r.line].append(problem)
    return [Refused(line, tuple(problems)) for line, problems in sorted(found.items())]


@dataclass(frozen=True, slots=True)
class EnterpriseChange:
    """An enterprise as the import writes it (stored values kept where the sheet is empty)."""

    line: int
    id: int | None  # None: a new enterprise
    credit_code: str
    name: str
    district: str
    industry: str
    liaison_id: int | None
    deputy_id: int | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class StaffChange:
    """A staff member as the import writes them."""

    line: int
    id: int | None  # None: a new staff record
    name: str
    role: Role
    title: str
    district: str | None
    specialties: tuple[str, ...]
    phone: str | None
    username: str | None


@dataclass(frozen=True, slots=True)
class StaffInvite:
    """An imported person's way in: joined already, or an invite code (None on a dry run when
    the real run would make one)."""

    line: int
    staff_id: int | None
    code: str | None = None
    expires_at: datetime | None = None
    joined: bool = False
    new: bool = False  # made by this run


C = TypeVar("C", EnterpriseChange, StaffChange)


@dataclass(slots=True)
class Plan(Generic[C]):
    """What an import does: rows added, updated, unchanged (line, stored id), refused."""

    added: list[C] = field(default_factory=list)
    updated: list[C] = field(default_factory=list)
    unchanged: list[tuple[int, int]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


class StaffIndex:
    """The stored staff, found by the references a sheet uses for them."""

    def __init__(self, staff: Sequence[Staff]) -> None:
        self.staff = list(staff)
        self.by_id = {s.id: s for s in staff}
        # A sheet names the same few liaisons on thousands of rows (and this runs inside the
        # import's write transaction).
        self._found: dict[str, list[Staff]] = {}

    def lookup(self, reference: str) -> list[Staff]:
        """Staff a reference names: "#12" or 12 (id), a phone, "@username", or a full name."""
        if reference not in self._found:
            self._found[reference] = self._lookup(reference)
        return self._found[reference]

    def _lookup(self, reference: str) -> list[Staff]:
        ref = " ".join(reference.split())
        bare = ref.lstrip("#")
        if bare.isdigit() and (ref.startswith("#") or len(bare) < 7):
            found = self.by_id.get(int(bare))
            return [found] if found else []
        if ref.startswith("@"):
            wanted = ref[1:].casefold()
            return [s for s in self.staff if (s.telegram_username or "").casefold() == wanted]
        try:
            number = phone.parse(ref).e164
        except phone.PhoneError:
            return [s for s in self.staff if s.display_name == ref]
        return [s for s in self.staff if s.phone == number]

    def liaison(self, column: Column, reference: str) -> Staff | Problem:
        """The active liaison a liaison or deputy cell names, or the problem with it."""
        found = self.lookup(reference)
        if not found:
            return Problem(Issue.STAFF_UNKNOWN, column, reference)
        if len(found) > 1:
            return Problem(Issue.STAFF_AMBIGUOUS, column, reference, {"count": len(found)})
        person = found[0]
        if person.role is not Role.LIAISON:
            return Problem(Issue.NOT_LIAISON, column, reference, {"role": person.role.value})
        if not person.active:
            return Problem(Issue.STAFF_INACTIVE, column, reference)
        return person


def plan_enterprises(
    rows: Sequence[EnterpriseRow], stored: Mapping[str, Enterprise], staff: Sequence[Staff]
) -> Plan[EnterpriseChange]:
    """Compare each row (duplicates already taken out) with the enterprise of its code."""
    index = StaffIndex(staff)
    plan: Plan[EnterpriseChange] = Plan()
    for row in rows:
        problems: list[Problem] = []
        people: dict[Column, int | None] = {}
        for column, reference in ((Column.LIAISON, row.liaison), (Column.DEPUTY, row.deputy)):
            people[column] = None
            if reference:
                found = index.liaison(column, reference)
                if isinstance(found, Problem):
                    problems.append(found)
                else:
                    people[column] = found.id
        liaison, deputy = people[Column.LIAISON], people[Column.DEPUTY]
        if liaison is not None and liaison == deputy:
            problems.append(Problem(Issue.SAME_PERSON, Column.DEPUTY, row.deputy))
        existing = stored.get(row.credit_code)
        if existing is not None and existing.source is EnterpriseSource.REGISTRATION:
            differ = {
                c.value: stored_value
                for c, value, stored_value in (
                    (Column.NAME, row.name, existing.name),
                    (Column.DISTRICT, row.district, existing.district),
                    (Column.INDUSTRY, row.industry, existing.industry),
                )
                if value != stored_value
            }
            if differ:
                problems.append(
                    Problem(
                        Issue.REGISTERED, Column.CREDIT_CODE, row.credit_code, {"stored": differ}
                    )
                )
        if problems:
            plan.refused.append(Refused(row.line, tuple(problems)))
            continue
        change = EnterpriseChange(
            row.line,
            existing.id if existing else None,
            row.credit_code,
            row.name,
            row.district,
            row.industry,
            liaison if liaison is not None else (existing.liaison_id if existing else None),
            deputy if deputy is not None else (existing.deputy_liaison_id if existing else None),
            row.phone or (existing.phone if existing else None),
        )
        if existing is None:
            plan.added.append(change)
        elif existing.source is EnterpriseSource.IMPORT and _same_enterprise(change, existing):
            plan.unchanged.append((row.line, existing.id))
        else:
            plan.updated.append(change)
    return plan


def _same_enterprise(change: EnterpriseChange, stored: Enterprise) -> bool:
    return (
        change.name == stored.name
        and change.district == stored.district
        and change.industry == stored.industry
        and change.liaison_id == stored.liaison_id
        and change.deputy_id == stored.deputy_liaison_id
        and change.phone == stored.phone
    )


def staff_keys(row: StaffRow) -> list[Hashable]:
    """What makes two rows of a staff sheet the same person: the phone, the username, or
    (without a phone) the name and role."""
    keys: list[Hashable] = []
    if row.phone:
        keys.append(("phone", row.phone))
    else:
        keys.append(("name", row.role.value, row.name))
    if row.username:
        keys.append(("username", row.username.casefold()))
    return keys


def plan_staff(rows: Sequence[StaffRow], staff: Sequence[Staff]) -> Plan[StaffChange]:
    """Find the stored person of each row (duplicates already taken out) and compare."""
    index = StaffIndex(staff)
    plan: Plan[StaffChange] = Plan()
    for row in rows:
        problems: list[Problem] = []
        existing = _match(row, index, problems)
        if existing is not None:
            if existing.role is not row.role:
                problems.append(
                    Problem(
                        Issue.ROLE_CONFLICT,
                        Column.ROLE,
                        row.role.value,
                        {"stored_role": existing.role.value},
                    )
                )
            if not existing.active:
                problems.append(Problem(Issue.DEACTIVATED, Column.NAME, row.name))
        if row.username:
            holders = [
                s
                for s in index.lookup("@" + row.username)
                if existing is None or s.id != existing.id
            ]
            if holders:
                problems.append(
                    Problem(
                        Issue.USERNAME_TAKEN,
                        Column.USERNAME,
                        row.username,
                        {"other": holders[0].display_name},
                    )
                )
        change = StaffChange(
            row.line,
            existing.id if existing else None,
            row.name,
            row.role,
            row.title or (existing.title if existing else ""),
            row.district or (existing.district if existing else None),
            row.specialties or (existing.specialties if existing else ()),
            row.phone or (existing.phone if existing else None),
            row.username or (existing.telegram_username if existing else None),
        )
        if change.role is Role.LIAISON and not change.district:
            problems.append(Problem(Issue.NEEDS_DISTRICT, Column.DISTRICT))
        if change.role is Role.COUNSEL and not change.specialties:
            problems.append(Problem(Issue.NEEDS_SPECIALTY, Column.SPECIALTIES))
        if problems:
            plan.refused.append(Refused(row.line, tuple(problems)))
        elif existing is None:
            plan.added.append(change)
        elif _same_staff(change, existing):
            plan.unchanged.append((row.line, existing.id))
        else:
            plan.updated.append(change)
    return plan


def _match(row: StaffRow, index: StaffIndex, problems: list[Problem]) -> Staff | None:
    """The stored person a row is: by phone, else by name and role (a person whose stored
    phone differs from the row's is someone else). A username identifies nobody: usernames
    change hands, so one held by another person is a conflict, not a match."""
    if row.phone:
        found = [s for s in index.staff if s.phone == row.phone]
        if found:
            return found[0]
    # Namesakes with different phones are different people.
    named = [
        s
        for s in index.staff
        if s.display_name == row.name and s.role is row.role and not (row.phone and s.phone)
    ]
    if len(named) > 1:
        problems.append(
            Problem(Issue.PERSON_AMBIGUOUS, Column.NAME, row.name, {"count": len(named)})
        )
        return None
    return named[0] if named else None


def _same_staff(change: StaffChange, stored: Staff) -> bool:
    return (
        change.name == stored.display_name
        and change.title == stored.title
        and change.district == stored.district
        and sorted(change.specialties) == sorted(stored.specialties)
        and change.phone == stored.phone
        and change.username == stored.telegram_username
    )
