"""Many owners at once for bulk-send scenarios: stored as registration stores them (no dialog
per owner: 300 registrations through the dialog would take most of a test's time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.models import EnterpriseSource
from bot.domain.ports import Clock
from bot.storage.database import Database
from bot.storage.enterprises import EnterpriseRepository
from fake_telegram import FakeBotAPI, FakeUser
from tests.codes import make_code
from tests.conftest import BotRunner, FakeClock, make_settings


@pytest.fixture
async def limited(api: FakeBotAPI, tmp_path: Path, clock: FakeClock) -> AsyncIterator[BotRunner]:
    """The bot with Telegram's limits enforced by the fake API (30/s, 1/s per chat)."""
    api.rate_limits_enabled = True
    runner = BotRunner(api, make_settings(tmp_path), clock)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


DISTRICTS = ("tianjiaan", "datong", "xiejiaji")
INDUSTRIES = ("manufacturing", "construction")


async def seed_owners(
    bot: BotRunner, api: FakeBotAPI, count: int, first_id: int = 100_000
) -> list[FakeUser]:
    """count owners, each the contact of an enterprise; districts and industries rotate."""
    return await seed_into(bot.db, bot.clock, api, count, first_id)


async def seed_into(
    db: Database, clock: Clock, api: FakeBotAPI, count: int, first_id: int = 100_000
) -> list[FakeUser]:
    """seed_owners on a database the test opened itself (a bot process will use it)."""
    enterprises = EnterpriseRepository(db, clock)
    owners = []
    for n in range(count):
        user_id = first_id + n
        await enterprises.save_registration(
            telegram_id=user_id,
            credit_code=make_code(f"91340400MA{n:06d}X"),  # apart from code_number's
            enterprise_name=f"企业{n}",
            district=DISTRICTS[n % len(DISTRICTS)],
            industry=INDUSTRIES[n % len(INDUSTRIES)],
            contact_name=f"联系人{n}",
            phone="+8613812345678",
            consented_at=clock.now(),
            source=EnterpriseSource.REGISTRATION,
            dialog=("registration", user_id, user_id),
        )
        owners.append(api.user(user_id, first_name=f"主{n}", language_code="zh-hans"))
    return owners


def district_of(owner: FakeUser, first_id: int = 100_000) -> str:
    """The district seed_owners gave an owner."""
    return DISTRICTS[(owner.id - first_id) % len(DISTRICTS)]


def industry_of(owner: FakeUser, first_id: int = 100_000) -> str:
    """The industry seed_owners gave an owner."""
    return INDUSTRIES[(owner.id - first_id) % len(INDUSTRIES)]
