"""The fake Bot API: the shared state behind one request pipeline, independent of transport.

Transports (:mod:`.transport` for in-process httpx, :mod:`.server` for real HTTP) only decode
HTTP and call :meth:`FakeBotAPI.handle`: it checks the token, finds the method in the
registry (:mod:`.registry`; the methods live in :mod:`.methods`), applies latency and faults
(:mod:`.faults`) and runs it on the state (:mod:`.state`). Test code drives users through
:class:`FakeUser` (see :meth:`FakeBotAPI.user`) and inspects what the bot sent with
:meth:`FakeBotAPI.sent_to`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Iterable
from typing import Any

from . import methods as _methods  # noqa: F401 - importing it registers the Bot API methods
from . import serialize
from .faults import Faults, fault_error
from .models import ApiError, Message, Params, Refusal, StoredFile, UploadedFile
from .registry import GENERIC_TRUE_METHODS, resolve, supported_methods
from .state import FakeState

__all__ = ["GENERIC_TRUE_METHODS", "FakeBotAPI", "supported_methods"]


class FakeBotAPI(FakeState):
    """In-memory Telegram Bot API with Telegram's validation rules and test helpers.

    ``token=None`` accepts any token. Flood limits are off unless ``rate_limits_enabled``.
    Set ``on_update`` to deliver updates directly (e.g. to ``Application.process_update``);
    leave it ``None`` to queue them for ``getUpdates``.
    """

    def _init_state(self) -> None:
        """(Re)initialise the state, the call counts, the latency and the faults."""
        super()._init_state()
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self.refusals: list[Refusal] = []
        self._faults = Faults()

    def reset(self) -> None:
        """Forget all chats, messages, updates, files, commands, faults and settings."""
        self.interrupt_polls()
        self._init_state()

    def fail_next(self, method: str | None = None, status: int = 500, count: int = 1) -> None:
        """Make the next ``count`` calls of ``method`` (any but getUpdates if None) fail."""
        self._faults.fail_next(method, status, count)

    def clear_faults(self) -> None:
        """Drop every planned and random fault (chats, messages and settings stay)."""
        self._faults = Faults()

    def set_fault_rate(
        self,
        server_error: float = 0.0,
        lose_response: float = 0.0,
        seed: int = 0,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Random faults: 500/502 without effect, or effect then a lost (502) response.

        ``methods`` limits them to the given method names (default: all but getUpdates).
        """
        self._faults.set_rate(server_error, lose_response, seed, methods)

    # == request entry points =====================================================================
    async def handle(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns (HTTP status, JSON body)."""
        try:
            self._check_token(token)
            name, handler = resolve(method)
        except ApiError as err:
            return self._refuse(method, params, err)
        self.calls[name] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            self._faults.inject(name)
            result = handler(self, Params(params, files))
            if inspect.isawaitable(result):
                result = await result
        except ApiError as err:
            return self._refuse(name, params, err)
        if self._faults.response_lost(name):
            return 502, fault_error(502).payload()
        return 200, {"ok": True, "result": result}

    def _refuse(
        self, method: str, params: dict[str, Any], err: ApiError
    ) -> tuple[int, dict[str, Any]]:
        """Record the refusal (``refusals``, observers) and answer with the error."""
        chat_id = params.get("chat_id")
        text = params.get("text", params.get("caption"))
        refusal = Refusal(
            date=self._now(),
            method=method,
            status=err.status,
            description=err.description,
            chat_id=chat_id if isinstance(chat_id, int | str) else None,
            text=text[:500] if isinstance(text, str) else None,
        )
        self.refusals.append(refusal)
        self._notify("refusal", refusal)
        return err.status, err.payload()

    async def call(self, method: str, **params: Any) -> Any:
        """Call a method directly (no HTTP); returns the result or raises :class:`ApiError`."""
        status, body = await self.handle(self.token or "", method, params)
        if not body.get("ok"):
            retry = body.get("parameters", {}).get("retry_after")
            raise ApiError(status, body["description"], retry)
        return body["result"]

    def _check_token(self, token: str) -> None:
        if self.token is not None and token != self.token:
            raise ApiError(401, "Unauthorized")

    def file_for_download(self, token: str, file_path: str) -> StoredFile:
        """The file behind ``<base_file_url><token>/<file_path>``; ApiError if none."""
        self._check_token(token)
        stored = self._file_store.by_path(file_path)
        if stored is None:
            raise ApiError(404, "Not Found")
        return stored

    # == JSON views ===============================================================================
    def bot_json(self) -> dict[str, Any]:
        """Bot API ``User`` object of the bot."""
        return serialize.bot_json(self)

    def user_json(self, user_id: int) -> dict[str, Any]:
        """Bot API ``User`` object of a (fake) user."""
        return serialize.user_json(self, user_id)

    def message_json(self, message: Message, with_reply: bool = True) -> dict[str, Any]:
        """Bot API ``Message`` object (current state)."""
        return serialize.message_json(self, message, with_reply)
