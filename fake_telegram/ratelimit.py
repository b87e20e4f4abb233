"""Token-bucket flood control mimicking Telegram's documented sending limits."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimits:
    """Limits: global messages/s, private chats (average rate and burst), groups/minute."""

    global_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 if available now)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """Checks and consumes one 'message' against the global and per-chat buckets."""

    limits: RateLimits
    clock: Callable[[], float]
    _global: _Bucket | None = None
    _chats: dict[int, _Bucket] = field(default_factory=dict)

    def _new_bucket(self, capacity: float, rate: float) -> _Bucket:
        return _Bucket(capacity=capacity, rate=rate, tokens=capacity, updated=self.clock())

    def _chat_bucket(self, chat_id: int, chat_type: str) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_type == "private":
                limits = self.limits
                bucket = self._new_bucket(limits.private_burst, limits.private_per_second)
            else:
                per_minute = self.limits.group_per_minute
                bucket = self._new_bucket(per_minute, per_minute / 60.0)
            self._chats[chat_id] = bucket
        return bucket

    def acquire(self, chat_id: int, chat_type: str) -> int | None:
        """Consume a token; returns None if allowed, else ``retry_after`` seconds (>= 1)."""
        if self._global is None:
            rate = self.limits.global_per_second
            self._global = self._new_bucket(rate, rate)
        buckets = [self._global, self._chat_bucket(chat_id, chat_type)]
        now = self.clock()
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None

    def reset(self) -> None:
        """Forget all consumption."""
        self._global = None
        self._chats.clear()
