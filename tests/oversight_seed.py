"""A seeded database for the oversight tests: known cases, times, ratings, FAQ questions.

Staff and enterprises go through the repositories (invites redeemed, registrations saved, one
owner erased by /deleteme's store call); cases and FAQ questions are inserted with exact times.
Expected figures are computed by the tests from SEED with plain Python, never by the bot's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import ContactStatus, EnterpriseSource, Role
from bot.storage.common import iso
from bot.storage.database import Database
from bot.storage.enterprises import EnterpriseRepository
from bot.storage.staff import StaffRepository
from tests.conftest import FakeClock

LIAISON_ID, COUNSEL_ID = 7101, 7102  # Telegram ids
OWNER_ID, ERASED_ID = 1101, 1102
CODES = ("91340400MA2N0000XY", "91340400MA2N0001XY")


@dataclass(frozen=True)
class SeedCase:
    """One case; hours are relative to the seed's now (negative: before)."""

    category: str
    enterprise: int  # 0: the tianjiaan enterprise (owner kept), 1: datong (owner erased)
    assignee: str | None  # "liaison", "counsel" or None
    created: float
    sla: float  # hours from created to the deadline
    first_response: float | None = None
    resolved: float | None = None
    closed: float | None = None
    rating: int | None = None
    comment: str | None = None

    @property
    def status(self) -> str:
        if self.closed is not None:
            return "closed"
        if self.resolved is not None:
            return "resolved"
        return "accepted" if self.first_response is not None else "open"


SEED: tuple[SeedCase, ...] = (
    # today (local): opened a few hours ago
    SeedCase("labour", 0, "counsel", -3, 2, first_response=-2.5),
    SeedCase("labour", 1, "counsel", -2, 1),  # overdue now, never answered
    SeedCase("public-order", 0, "liaison", -1.5, 24),  # open, deadline ahead
    SeedCase("contracts", 1, None, -5, 2),  # overdue, unassigned (opened before local midnight)
    # the last days
    SeedCase("labour", 0, "counsel", -30, 24, first_response=-20, resolved=-10, closed=-4,
             rating=2, comment="答复太慢 <b>不满意</b>"),
    SeedCase("public-order", 1, "liaison", -50, 2, first_response=-47, resolved=-40, closed=-2,
             rating=5),
    SeedCase("contracts", 0, "counsel", -80, 24, first_response=-79.25, resolved=-70,
             closed=-60, rating=1, comment=None),
    SeedCase("labour", 1, "counsel", -100, 2, first_response=-99.9),
    # two to four weeks ago
    SeedCase("finance", 0, "counsel", -400, 24, first_response=-380, resolved=-370,
             closed=-300, rating=4),
    SeedCase("labour", 0, "counsel", -500, 24, first_response=-499, resolved=-480),
    SeedCase("public-order", 1, "liaison", -650, 2, first_response=-640, closed=-600,
             rating=2, comment="没人管"),
    # long ago (outside 30 days)
    SeedCase("labour", 0, "counsel", -1000, 24, first_response=-990, resolved=-900,
             closed=-800, rating=3),
)  # fmt: skip

# (hours, text, best_entry, helpful)
QUESTIONS: tuple[tuple[float, str, str | None, int | None], ...] = (
    (-1, "停工期间工资怎么发？", None, None),
    (-2, "停工期间 工资怎么发", None, None),
    (-3, "停工期间工资怎么发?", "wages-shutdown", 0),  # answered, but not helpful
    (-4, "能不能退租金", None, None),
    (-5, "合同违约怎么办", "contracts-force-majeure", 1),  # answered well: not counted
    (-6, "合同违约怎么办", "contracts-force-majeure", None),  # answered, not rated: not counted
    (-200, "社保缓缴怎么申请", None, None),
)


@dataclass(frozen=True)
class Seeded:
    now: datetime
    numbers: tuple[str, ...]  # case numbers, in SEED order
    staff: dict[str, tuple[int, str]]  # "liaison"/"counsel" -> (staff id, display name)


async def seed(db: Database, clock: FakeClock) -> Seeded:
    """Write the seed; times relative to clock.now()."""
    now = clock.now()
    people = StaffRepository(db, clock)
    staff: dict[str, tuple[int, str]] = {}
    for key, telegram_id, role, name in (
        ("liaison", LIAISON_ID, Role.LIAISON, "张警官"),
        ("counsel", COUNSEL_ID, Role.COUNSEL, "李律师"),
    ):
        await people.create_invite(f"inv-seed-{key}", role, 9000, now + timedelta(days=1))
        record = await people.redeem_invite(
            f"inv-seed-{key}",
            telegram_id,
            now - timedelta(days=60),
            display_name=name,
            title="民警" if role is Role.LIAISON else "律师",
            district="tianjiaan",
            specialties=("labour",) if role is Role.COUNSEL else (),
        )
        assert record is not None
        staff[key] = (record.id, name)
    enterprises = EnterpriseRepository(db, clock)
    contact_ids = []
    for index, (telegram_id, code, district, name) in enumerate(
        ((OWNER_ID, CODES[0], "tianjiaan", "王芳"), (ERASED_ID, CODES[1], "datong", "赵敏"))
    ):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (?, ?, ?)",
                (telegram_id, iso(now), iso(now)),
            )
        registration = await enterprises.save_registration(
            telegram_id=telegram_id,
            credit_code=code,
            enterprise_name=f"企业{index}",
            district=district,
            industry="manufacturing",
            contact_name=name,
            phone=f"+861381234567{index}",
            consented_at=now - timedelta(days=60),
            source=EnterpriseSource.REGISTRATION,
            dialog=("registration", telegram_id, telegram_id),
            status=ContactStatus.ACTIVE,
        )
        contact_ids.append((registration.enterprise.id, registration.contact.id))
    assert await enterprises.erase_contact(ERASED_ID)
    numbers = []

    def at(hours: float | None) -> str | None:
        return None if hours is None else iso(now + timedelta(hours=hours))

    async with db.transaction() as tx:
        for n, case in enumerate(SEED, start=1):
            enterprise_id, contact_id = contact_ids[case.enterprise]
            number = f"HN-{n:06d}"
            numbers.append(number)
            await tx.execute(
                "INSERT INTO cases (number, enterprise_id, opened_by, category, urgency, "
                "description, status, assignee_id, sla_due_at, first_response_at, resolved_at, "
                "closed_at, rating, rating_comment, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'normal', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    enterprise_id,
                    contact_id,
                    case.category,
                    f"描述 {n}",
                    case.status,
                    staff[case.assignee][0] if case.assignee else None,
                    at(case.created + case.sla),
                    at(case.first_response),
                    at(case.resolved),
                    at(case.closed),
                    case.rating,
                    case.comment,
                    at(case.created),
                    at(case.created),
                ),
            )
        for hours, text, best, helpful in QUESTIONS:
            await tx.execute(
                "INSERT INTO faq_queries (at, language, text, best_entry, helpful) "
                "VALUES (?, 'zh-hans', ?, ?, ?)",
                (at(hours), text, best, helpful),
            )
        await tx.execute(
            "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
            (iso(now - timedelta(days=2)), 9000, "invite", "liaison", json.dumps({})),
        )
    return Seeded(now, tuple(numbers), staff)
