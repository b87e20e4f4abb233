"""Fault injection: calls that fail on purpose, and responses lost after the call took effect.

:meth:`.FakeBotAPI.fail_next` and :meth:`.FakeBotAPI.set_fault_rate` configure one
:class:`Faults`; the request pipeline asks it before and after running a method.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

from .models import ApiError

__all__ = ["Faults", "fault_error"]


@dataclass
class _FaultRule:
    method: str | None
    status: int
    remaining: int

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"
        return self.method.lower() == method.lower()


def fault_error(status: int) -> ApiError:
    """The error Telegram would answer with ``status`` (429 asks to retry after 1 s)."""
    if status == 429:
        return ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
    prefixes = {400: "Bad Request: ", 403: "Forbidden: ", 409: "Conflict: "}
    if status in prefixes:
        return ApiError(status, prefixes[status] + "injected fault")
    try:
        return ApiError(status, HTTPStatus(status).phrase)
    except ValueError:
        return ApiError(status, f"Error {status}")


class Faults:
    """Planned faults (:meth:`fail_next`) and random ones (:meth:`set_rate`), seeded."""

    def __init__(self) -> None:
        self._rules: list[_FaultRule] = []
        self._server_error_rate = 0.0
        self._lose_response_rate = 0.0
        self._methods: set[str] | None = None
        self._rng = random.Random(0)

    def fail_next(self, method: str | None, status: int, count: int) -> None:
        """Plan ``count`` failures with ``status`` (``method`` None: any but getUpdates)."""
        self._rules.append(_FaultRule(method, status, count))

    def set_rate(
        self, server_error: float, lose_response: float, seed: int, methods: Iterable[str] | None
    ) -> None:
        """Set the random fault rates (see :meth:`.FakeBotAPI.set_fault_rate`)."""
        self._server_error_rate = server_error
        self._lose_response_rate = lose_response
        self._rng = random.Random(seed)
        self._methods = {m.lower() for m in methods} if methods is not None else None

    def _applies(self, method: str) -> bool:
        if self._methods is not None:
            return method.lower() in self._methods
        return method != "getUpdates"

    def inject(self, method: str) -> None:
        """Raise the fault due for a call of ``method`` before it runs, if any."""
        for rule in self._rules:
            if rule.matches(method):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                raise fault_error(rule.status)
        if not self._server_error_rate or not self._applies(method):
            return
        if self._rng.random() < self._server_error_rate:
            raise fault_error(self._rng.choice((500, 502)))

    def response_lost(self, method: str) -> bool:
        """Whether the answer to a call of ``method`` that took effect is lost."""
        if not self._lose_response_rate or not self._applies(method):
            return False
        return self._rng.random() < self._lose_response_rate
