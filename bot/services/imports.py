"""Roster imports (PRODUCT §5.2): read a sheet's rows, refuse the bad ones, import the rest.

The sheet comes already opened (bot/sheets.py reads CSV and .xlsx); the rows are checked here
one by one, then against each other (duplicates), then against what is stored (conflicts), and
the good ones are written in one transaction with the run's audit entry. Decisions:
docs/imports.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.models import AuditAction, AuditEntry, Enterprise, Staff
from bot.domain.ports import Clock, RosterStore
from bot.domain.roster import (
    Column,
    EnterpriseRow,
    Kind,
    Layout,
    Refused,
    StaffRow,
    Vocabulary,
    find_layout,
    read_enterprise,
    read_staff,
)
from bot.domain.roster_plan import (
    EnterpriseChange,
    Plan,
    StaffChange,
    StaffInvite,
    duplicates,
    plan_enterprises,
    plan_staff,
    staff_keys,
)
from bot.services.staff import new_invite_code


@dataclass(frozen=True, slots=True)
class Sheet:
    """An opened sheet: (line in the file, cells as text) per row, the headings among them."""

    rows: Iterable[tuple[int, Sequence[str]]]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What a run did (or, dry, would do): counts, refused rows, and staff invites."""

    kind: Kind
    layout: Layout
    rows: int  # rows with anything in them
    added: int
    updated: int
    unchanged: int
    refused: list[Refused]  # by line
    dry_run: bool
    invites: list[StaffInvite] = field(default_factory=list)  # by line (staff imports)

    @property
    def new_invites(self) -> int:
        """Invites this run made."""
        return sum(1 for i in self.invites if i.new)


class ImportService:
    """`legal-aid-bot import enterprises|staff FILE`."""

    def __init__(
        self, store: RosterStore, clock: Clock, vocabulary: Vocabulary, invite_hours: int
    ) -> None:
        self._store = store
        self._clock = clock
        self._vocabulary = vocabulary
        self._invite_hours = invite_hours

    async def run(
        self, kind: Kind, sheet: Sheet, *, source: str, dry_run: bool = False
    ) -> ImportResult:
        """Import a sheet (raises SheetError when its headings are not a roster's)."""
        rows = iter(sheet.rows)
        found = find_layout(kind, rows)
        count = 0
        enterprises: list[EnterpriseRow] = []
        people: list[StaffRow] = []
        refused: list[Refused] = []
        for line, values in rows:
            if not any(v.strip() for v in values):
                continue  # blank rows are layout, not data
            count += 1
            cells = found.cells(values)
            if kind is Kind.ENTERPRISES:
                row = read_enterprise(line, cells, self._vocabulary)
                if isinstance(row, EnterpriseRow):
                    enterprises.append(row)
                    continue
            else:
                person = read_staff(line, cells, self._vocabulary)
                if isinstance(person, StaffRow):
                    people.append(person)
                    continue
                row = person
            refused.append(row)
        if kind is Kind.ENTERPRISES:
            return await self._enterprises(found, count, enterprises, refused, source, dry_run)
        return await self._staff(found, count, people, refused, source, dry_run)

    async def _enterprises(
        self,
        found: Layout,
        count: int,
        rows: list[EnterpriseRow],
        refused: list[Refused],
        source: str,
        dry_run: bool,
    ) -> ImportResult:
        refused += duplicates(rows, lambda r: [r.credit_code], Column.CREDIT_CODE)
        skip = {r.line for r in refused}
        rows = [r for r in rows if r.line not in skip]

        def plan(
            stored: Mapping[str, Enterprise], staff: Sequence[Staff]
        ) -> Plan[EnterpriseChange]:
            return plan_enterprises(rows, stored, staff)

        def entry(done: Plan[EnterpriseChange]) -> AuditEntry:
            return _audit(Kind.ENTERPRISES, source, count, _counts(done, refused))

        done = await self._store.import_enterprises(
            [r.credit_code for r in rows], plan, entry, write=not dry_run
        )
        added, updated, unchanged, _ = _counts(done, refused)
        every = sorted([*refused, *done.refused], key=_line)
        return ImportResult(
            Kind.ENTERPRISES, found, count, added, updated, unchanged, every, dry_run
        )

    async def _staff(
        self,
        found: Layout,
        count: int,
        rows: list[StaffRow],
        refused: list[Refused],
        source: str,
        dry_run: bool,
    ) -> ImportResult:
        refused += duplicates(rows, staff_keys, Column.NAME)
        skip = {r.line for r in refused}
        rows = [r for r in rows if r.line not in skip]

        def plan(staff: Sequence[Staff]) -> Plan[StaffChange]:
            return plan_staff(rows, staff)

        def entry(done: Plan[StaffChange], invites: Sequence[StaffInvite]) -> AuditEntry:
            made = sum(1 for i in invites if i.new)
            return _audit(Kind.STAFF, source, count, _counts(done, refused), invites=made)

        expires = self._clock.now() + timedelta(hours=self._invite_hours)
        done, invites = await self._store.import_staff(
            plan, entry, new_invite_code, expires, write=not dry_run
        )
        added, updated, unchanged, _ = _counts(done, refused)
        every = sorted([*refused, *done.refused], key=_line)
        return ImportResult(
            Kind.STAFF, found, count, added, updated, unchanged, every, dry_run, invites
        )


def _counts(
    plan: Plan[EnterpriseChange] | Plan[StaffChange], refused: Sequence[Refused]
) -> tuple[int, int, int, int]:
    """(added, updated, unchanged, refused), refused counting the rows refused before planning."""
    return (
        len(plan.added),
        len(plan.updated),
        len(plan.unchanged),
        len(refused) + len(plan.refused),
    )


def _line(refused: Refused) -> int:
    return refused.line


def _audit(
    kind: Kind, source: str, rows: int, counts: tuple[int, int, int, int], *, invites: int = 0
) -> AuditEntry:
    added, updated, unchanged, refused = counts
    details: dict[str, object] = {
        "file": source,
        "rows": rows,
        "added": added,
        "updated": updated,
        "unchanged": unchanged,
        "refused": refused,
    }
    if kind is Kind.STAFF:
        details["invites"] = invites
    return AuditEntry(None, AuditAction.IMPORT, kind.value, details)
