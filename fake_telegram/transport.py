"""In-process transport: an ``httpx.MockTransport`` answering from a :class:`FakeBotAPI`.

Usage with PTB::

    request = HTTPXRequest(httpx_kwargs={"transport": mock_transport(api)})
    bot = Bot(token, base_url="http://fake/bot", base_file_url="http://fake/file/bot",
              request=request, get_updates_request=HTTPXRequest(...same...))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .wire import dispatch

if TYPE_CHECKING:
    from .core import FakeBotAPI

__all__ = ["mock_transport"]


def mock_transport(api: FakeBotAPI) -> httpx.MockTransport:
    """An httpx transport whose async handler serves ``api`` (any host name works)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = await dispatch(
            api,
            request.method,
            request.url.path,
            dict(request.url.params),
            request.headers.get("content-type", ""),
            body,
        )
        return httpx.Response(
            reply.status, content=reply.body, headers={"content-type": reply.content_type}
        )

    return httpx.MockTransport(handler)
