"""One send budget for the whole bot: Telegram's ~30 messages/s is one limit, not one per sender.

Direct replies (ReplyRateLimiter, on the Application's bot) and the outbox sender spend from
the same token bucket. Replies come first: while any reply waits for a token the sender takes
none, and the sender leaves `reserve` tokens in the bucket, so a reply finds a token at once
unless replies alone use the whole rate. The sender takes what is left, which is all of it while
nobody is answered directly. The bucket's burst is small (Telegram's own bucket is fuller), so
the jitter of requests in flight never adds up to a burst Telegram answers with 429.
"""

from __future__ import annotations

import asyncio
import time

from bot.telegram.sender import Bucket


class SendBudget:
    """The bot's overall rate, shared: replies first, the outbox sender takes what is left."""

    def __init__(self, per_second: float, *, burst: float = 5.0, reserve: float = 2.0) -> None:
        self.per_second = per_second
        self.reserve = min(reserve, max(0.0, burst - 1))
        self._bucket = Bucket(per_second, burst)
        self._waiting = 0
        self.spent_by_replies = 0
        self.spent_by_sender = 0

    async def acquire_reply(self) -> None:
        """Wait for a token for a direct reply (ahead of the sender)."""
        self._waiting += 1
        try:
            while True:
                now = time.monotonic()
                wait = self._bucket.wait(now)
                if wait <= 0:
                    self._bucket.take(now)
                    self.spent_by_replies += 1
                    return
                await asyncio.sleep(wait)
        finally:
            self._waiting -= 1

    def for_sender(self, now: float) -> int:
        """How many sends the sender may start now: none while a reply waits."""
        if self._waiting:
            return 0
        self._bucket.ready(now)  # refill
        return max(0, int(self._bucket.tokens - self.reserve))

    def sender_wait(self, now: float) -> float:
        """Seconds until the sender may look again."""
        if self._waiting:
            return 1 / self.per_second
        self._bucket.ready(now)
        missing = self.reserve + 1 - self._bucket.tokens
        return max(0.0, missing / self.per_second)

    def take(self, now: float) -> None:
        """The sender starts one send."""
        self._bucket.take(now)
        self.spent_by_sender += 1
