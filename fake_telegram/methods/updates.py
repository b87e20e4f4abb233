"""How the bot receives updates: getUpdates (long polling), the webhook, close and logOut."""

from __future__ import annotations

import asyncio
from typing import Any

from ..models import ApiError, Params
from ..registry import api_method
from ..state import FakeState, Webhook
from ..validation import check_webhook_url


@api_method("getUpdates")
async def _get_updates(state: FakeState, p: Params) -> list[dict[str, Any]]:
    if state.webhook.url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    _confirm_updates(state, p.get_int("offset", 0) or 0)
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    state._poll_owner += 1
    owner, interrupts = state._poll_owner, state._poll_interrupts
    state._updates_signal.notify_all()  # terminates an older pending poll
    deadline = asyncio.get_running_loop().time() + max(p.get_float("timeout", 0.0), 0.0)
    while not state._updates and state._poll_interrupts == interrupts:
        if state._poll_owner != owner:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        await state._updates_signal.wait(remaining)
    return state._updates[:limit]


def _confirm_updates(state: FakeState, offset: int) -> None:
    if offset > 0:
        state._updates = [u for u in state._updates if u["update_id"] >= offset]
    elif offset < 0:
        state._updates = state._updates[offset:]


@api_method("setWebhook")
def _set_webhook(state: FakeState, p: Params) -> bool:
    url = p.get_str("url", "") or ""
    if url:
        check_webhook_url(url)
    allowed = p.get_json("allowed_updates")
    state.webhook = Webhook(
        url=url,
        secret_token=p.get_str("secret_token"),
        max_connections=p.get_int("max_connections", 40) or 40,
        allowed_updates=list(allowed) if isinstance(allowed, list) else [],
    )
    if p.get_bool("drop_pending_updates"):
        state._updates.clear()
    state.interrupt_polls()
    state.webhook_pusher.poke()
    return True


@api_method("deleteWebhook")
def _delete_webhook(state: FakeState, p: Params) -> bool:
    state.webhook = Webhook()
    if p.get_bool("drop_pending_updates"):
        state._updates.clear()
    return True


@api_method("getWebhookInfo")
def _get_webhook_info(state: FakeState, p: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": state.webhook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(state._updates),
    }
    if state.webhook.url:
        info["max_connections"] = state.webhook.max_connections
        if state.webhook.allowed_updates:
            info["allowed_updates"] = state.webhook.allowed_updates
    return info


@api_method("close")
def _close(state: FakeState, p: Params) -> bool:
    state.interrupt_polls()
    return True


@api_method("logOut")
def _log_out(state: FakeState, p: Params) -> bool:
    state.interrupt_polls()
    return True
