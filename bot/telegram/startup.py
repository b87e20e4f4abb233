"""Start-up calls to the Bot API, retried with backoff for a bounded time.

A 502 from Telegram (or a self-hosted Bot API server restarting) while the bot publishes its
menus is a passing fault, not a reason to stop: each start-up step is retried until it works or
the start-up budget is spent, and only then does the process end, with one line. A refused
token or a bad request is not passing: it ends the start-up at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import BadRequest, NetworkError, RetryAfter

_LOGGER = logging.getLogger(__name__)


class StartUpFailed(Exception):
    """The Bot API kept failing until the start-up budget was spent."""


class StartUpRetry:
    """One budget for the whole start-up: every step retries within it."""

    def __init__(self, budget: float, *, first_delay: float = 1.0, max_delay: float = 10.0):
        loop = asyncio.get_running_loop()
        self.budget = budget
        self._deadline = loop.time() + budget
        self._first_delay = first_delay
        self._max_delay = max_delay

    async def __call__(self, step: Callable[[], Awaitable[object]], what: str) -> None:
        """Run step; on a passing Bot API error wait and run it again, within the budget."""
        loop = asyncio.get_running_loop()
        delay = self._first_delay
        while True:
            try:
                await step()
                return
            except BadRequest:
                raise
            except (NetworkError, RetryAfter) as exc:
                retry_after = _retry_after(exc)
                left = self._deadline - loop.time()
                if left <= 0 or retry_after > left:
                    raise StartUpFailed(
                        f"the Bot API kept failing for {self.budget:.0f} s while {what} ({exc})"
                    ) from None
                # The last try comes when the budget ends, not a backoff step before it.
                wait = min(retry_after or delay, left)
                _LOGGER.warning("Bot API error while %s (%s); retrying in %.0f s", what, exc, wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, self._max_delay)


def _retry_after(exc: Exception) -> float:
    if not isinstance(exc, RetryAfter):
        return 0.0
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
