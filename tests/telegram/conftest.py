"""Fixtures of the Telegram scenario tests."""

import pytest

from tests.telegram.people import reset_seen


@pytest.fixture(autouse=True)
def _fresh_waits() -> None:
    reset_seen()
