"""The registry of Bot API methods: ``@api_method`` registers one, :func:`resolve` finds it.

The methods themselves are functions of the shared state (:class:`.FakeState`) and the
request parameters, returning the ``result`` or raising :class:`.ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import ApiError, Params

if TYPE_CHECKING:
    from .state import FakeState

__all__ = ["GENERIC_TRUE_METHODS", "Handler", "api_method", "resolve", "supported_methods"]

Handler = Callable[["FakeState", Params], Any]

# Valid Bot API methods the fake accepts without modelling them: they answer ``true``.
GENERIC_TRUE_METHODS = frozenset(
    {
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setMyDefaultAdministratorRights",
        "setMessageReaction",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "deleteMessages",
        "leaveChat",
        "setChatTitle",
        "setChatDescription",
        "setChatPermissions",
        "banChatMember",
        "unbanChatMember",
        "restrictChatMember",
        "approveChatJoinRequest",
        "declineChatJoinRequest",
    }
)

_HANDLERS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method implementation (names are matched case-insensitively)."""

    def register(func: Handler) -> Handler:
        _HANDLERS[name.lower()] = (name, func)
        return func

    return register


def supported_methods() -> list[str]:
    """Canonical names of all methods the fake implements (incl. generic ones)."""
    return sorted({name for name, _ in _HANDLERS.values()} | GENERIC_TRUE_METHODS)


def resolve(method: str) -> tuple[str, Handler]:
    """The canonical name and the implementation of ``method`` (any case); 404 if none."""
    found = _HANDLERS.get(method.lower())
    if found is not None:
        return found
    for name in GENERIC_TRUE_METHODS:
        if name.lower() == method.lower():
            return name, lambda api, params: True
    raise ApiError(404, "Not Found")
