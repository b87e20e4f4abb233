"""Routing rules (§4.1) as a pure function: tables of staff, enterprises and categories."""

from __future__ import annotations

from collections import Counter
from types import MappingProxyType

from bot.domain.models import Category, Choice, Enterprise, EnterpriseSource, Role, Staff
from bot.domain.routing import Candidate, route

LIAISON_CATEGORY = Category(Choice("public-order", {}), "liaison", None, MappingProxyType({}))
LABOUR = Category(Choice("labour", {}), "counsel", "labour", MappingProxyType({}))


def staff(
    sid: int,
    role: Role = Role.COUNSEL,
    *,
    district: str | None = None,
    specialties: tuple[str, ...] = (),
    available: bool = True,
    active: bool = True,
) -> Staff:
    return Staff(sid, 1000 + sid, role, f"S{sid}", "", district, specialties, available, active)


def enterprise(
    liaison: int | None = None, deputy: int | None = None, district: str = "d1"
) -> Enterprise:
    return Enterprise(
        1, "X", "E", district, "other", EnterpriseSource.REGISTRATION, liaison, deputy
    )


def simulate(category: Category, people: list[Staff], cases: int) -> Counter[int | None]:
    """Route cases one after another, counting loads and advancing cursors like the service."""
    loads: Counter[int | None] = Counter()
    cursors: dict[str, int] = {}
    for _ in range(cases):
        decision = route(
            category, enterprise(), [Candidate(s, loads[s.id]) for s in people], cursors
        )
        loads[decision.staff_id] += 1
        if decision.pool and decision.staff_id:
            cursors[decision.pool] = decision.staff_id
    return loads


def test_three_counsel_nine_cases_three_each() -> None:
    people = [staff(i, specialties=("labour",)) for i in (1, 2, 3)]
    assert simulate(LABOUR, people, 9) == Counter({1: 3, 2: 3, 3: 3})


def test_round_robin_breaks_ties_in_turn() -> None:
    people = [staff(i, specialties=("labour",)) for i in (4, 2, 9)]
    order = []
    cursors: dict[str, int] = {}
    for _ in range(4):
        decision = route(LABOUR, enterprise(), [Candidate(s, 0) for s in people], cursors)
        assert decision.staff_id is not None
        assert decision.pool is not None
        cursors[decision.pool] = decision.staff_id
        order.append(decision.staff_id)
    assert order == [2, 4, 9, 2]


def test_fewest_open_cases_wins_over_turn() -> None:
    people = [staff(1, specialties=("labour",)), staff(2, specialties=("labour",))]
    decision = route(
        LABOUR,
        enterprise(),
        [Candidate(people[0], 5), Candidate(people[1], 1)],
        {"counsel:labour": 2},
    )
    assert decision.staff_id == 2


def test_away_and_deactivated_counsel_are_skipped() -> None:
    people = [
        staff(1, specialties=("labour",), available=False),
        staff(2, specialties=("labour",), active=False),
        staff(3, specialties=("labour",)),
    ]
    assert simulate(LABOUR, people, 4) == Counter({3: 4})


def test_no_counsel_with_the_specialty_falls_back_to_any_counsel() -> None:
    people = [staff(1, specialties=("contracts",)), staff(2, specialties=("finance",))]
    decision = route(LABOUR, enterprise(), [Candidate(p, 0) for p in people], {})
    assert decision.reason == "any_counsel"
    assert decision.staff_id == 1


def test_nobody_available_leaves_the_case_unassigned() -> None:
    people = [
        staff(1, specialties=("labour",), available=False),
        staff(2, Role.LIAISON, district="d1"),
    ]
    decision = route(LABOUR, enterprise(), [Candidate(p, 0) for p in people], {})
    assert (decision.staff_id, decision.reason) == (None, "none")


def test_liaison_order_assigned_then_deputy_then_district() -> None:
    assigned = staff(1, Role.LIAISON, district="d1")
    deputy = staff(2, Role.LIAISON, district="d1")
    local = [staff(3, Role.LIAISON, district="d1"), staff(4, Role.LIAISON, district="d1")]
    elsewhere = staff(5, Role.LIAISON, district="d2")
    everyone = [assigned, deputy, *local, elsewhere]
    company = enterprise(liaison=1, deputy=2)

    def pick(people: list[Staff], loads: dict[int, int] | None = None) -> tuple[int | None, str]:
        found = route(
            LIAISON_CATEGORY,
            company,
            [Candidate(p, (loads or {}).get(p.id, 0)) for p in people],
            {},
        )
        return found.staff_id, found.reason

    assert pick(everyone) == (1, "liaison")
    away = [staff(1, Role.LIAISON, district="d1", available=False), deputy, *local, elsewhere]
    assert pick(away) == (2, "deputy")
    both_away = [away[0], staff(2, Role.LIAISON, district="d1", active=False), *local, elsewhere]
    assert pick(both_away, {3: 2, 4: 1}) == (4, "district")  # fewest open cases in the district
    assert pick([elsewhere]) == (None, "none")  # another district's liaison is not used


def test_counsel_are_never_given_liaison_cases() -> None:
    people = [staff(1, Role.COUNSEL, district="d1")]
    assert (
        route(LIAISON_CATEGORY, enterprise(), [Candidate(p, 0) for p in people], {}).staff_id
        is None
    )


def test_excluded_staff_is_not_chosen() -> None:
    people = [staff(1, specialties=("labour",)), staff(2, specialties=("labour",))]
    decision = route(LABOUR, enterprise(), [Candidate(p, 0) for p in people], {}, exclude=[1])
    assert decision.staff_id == 2
