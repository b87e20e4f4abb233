"""The doorbell services ring after they enqueued messages; the outbox sender answers it.

Services are built before the sender (which needs them to report undeliverable messages), so
the sender attaches itself to the doorbell once it exists instead of being patched in.
"""

from __future__ import annotations

from bot.domain.ports import Waker


class Doorbell:
    """Wakes the attached sender; rings into the void until one is attached."""

    def __init__(self) -> None:
        self._waker: Waker | None = None

    def attach(self, waker: Waker) -> None:
        """Let the sender hear the bell."""
        self._waker = waker

    def wake(self) -> None:
        """Something was enqueued."""
        if self._waker is not None:
            self._waker.wake()
