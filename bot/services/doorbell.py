"""The doorbell services ring after they enqueued messages; the outbox sender answers it.

Services are built before the sender (which needs them to report undeliverable messages), so
the sender attaches itself to the doorbell once it exists instead of being patched in. The
due-work scheduler listens too: the same writes may add rows that fall due (case timers).
"""

from __future__ import annotations

from bot.domain.ports import Waker


class Doorbell:
    """Wakes every attached listener; rings into the void until one is attached."""

    def __init__(self) -> None:
        self._wakers: list[Waker] = []

    def attach(self, waker: Waker) -> None:
        """Let the sender (and whoever else listens) hear the bell."""
        self._wakers.append(waker)

    def wake(self) -> None:
        """Something was enqueued."""
        for waker in self._wakers:
            waker.wake()
