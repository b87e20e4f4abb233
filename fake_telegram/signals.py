"""A loop-agnostic 'something changed' signal for long polls and message waiters."""

from __future__ import annotations

import asyncio
import contextlib
import signal


class Signal:
    """Wake every coroutine waiting on :meth:`wait`.

    Unlike :class:`asyncio.Condition` it is not bound to the loop it was created in, so one
    fake can serve several event loops (e.g. a server thread) over its lifetime.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    async def wait(self, seconds: float) -> bool:
        """Wait until notified (True) or ``seconds`` pass (False)."""
        if seconds <= 0:
            return False
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(future)
        try:
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(future)
        return True

    def notify_all(self) -> None:
        """Wake all current waiters (thread-safe towards their loops)."""
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for future in list(self._waiters):
            loop = future.get_loop()
            if loop is current:
                _resolve(future)
            elif not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def stop_on_signals() -> asyncio.Event:
    """An event set on SIGINT/SIGTERM (so a server also stops cleanly as a subprocess)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
