"""HTTP side shared by the httpx mock transport and the aiohttp server.

Decodes request bodies the way PTB sends them (urlencoded forms, multipart with files, or
JSON), routes ``/bot<TOKEN>/<method>`` and ``/file/bot<TOKEN>/<path>``, and renders replies.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from .models import ApiError, UploadedFile

if TYPE_CHECKING:
    from .core import FakeBotAPI

# Fields PTB JSON-encodes in form bodies.
COMPLEX_FIELDS = frozenset(
    {
        "reply_markup",
        "scope",
        "commands",
        "entities",
        "caption_entities",
        "allowed_updates",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "reaction",
        "message_ids",
        "rights",
        "permissions",
    }
)
# Numeric fields sent as strings in form bodies.
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "from_chat_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
    }
)
_INT_RE = re.compile(r"-?\d+")
_ROUTE_RE = re.compile(r"/(?P<file>file/)?bot(?P<token>[^/]+)/(?P<rest>.+)$")
_DISPOSITION_PARAM_RE = re.compile(r';\s*([a-zA-Z*]+)="((?:[^"\\]|\\.)*)"')


@dataclass
class HttpReply:
    """Status, body and content type of an HTTP answer."""

    status: int
    body: bytes
    content_type: str = "application/json"


def json_reply(status: int, payload: dict[str, Any]) -> HttpReply:
    return HttpReply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def coerce_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-decode known complex fields and turn numeric id/limit fields into ints."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and key in COMPLEX_FIELDS:
            # Left as a string if malformed; the method then reports the parse error.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif isinstance(value, str) and key in INT_FIELDS and _INT_RE.fullmatch(value.strip()):
            value = int(value)
        result[key] = value
    return result


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a ``multipart/form-data`` body into text fields and uploaded files."""
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        content = content.removesuffix(b"\r\n")
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = dict(_DISPOSITION_PARAM_RE.findall(headers.get("content-disposition", "")))
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            files[name] = UploadedFile(
                disposition["filename"], content, headers.get("content-type")
            )
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


def _part_headers(head: str) -> dict[str, str]:
    headers = {}
    for line in head.split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers


def decode_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Decode a request body into (params, files); raises ApiError(400) if malformed."""
    mime, _, options = content_type.partition(";")
    mime = mime.strip().lower()
    files: dict[str, UploadedFile] = {}
    try:
        if mime == "application/json":
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: request body must be a JSON object")
        elif mime == "multipart/form-data":
            match = re.search(r'boundary="?([^";]+)"?', options)
            if match is None:
                raise ApiError(400, "Bad Request: multipart boundary is missing")
            data, files = parse_multipart(body, match.group(1))
        else:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Bad Request: can't parse request body") from None
    return coerce_params(data), files


async def dispatch(
    api: FakeBotAPI,
    http_method: str,
    path: str,
    query: Mapping[str, str],
    content_type: str,
    body: bytes,
) -> HttpReply:
    """Answer one HTTP request addressed to the Bot API (methods and file downloads)."""
    match = _ROUTE_RE.search(path)
    if match is None:
        return json_reply(404, ApiError(404, "Not Found").payload())
    token, rest = unquote(match["token"]), unquote(match["rest"])
    if match["file"] or "/" in rest:
        return _download(api, token, rest)
    try:
        data, files = decode_body(content_type, body)
    except ApiError as err:
        return json_reply(err.status, err.payload())
    params = {**coerce_params(query), **data}
    status, payload = await api.handle(token, rest, params, files)
    return json_reply(status, payload)


def _download(api: FakeBotAPI, token: str, file_path: str) -> HttpReply:
    try:
        stored = api.file_for_download(token, file_path)
    except ApiError as err:
        return json_reply(err.status, err.payload())
    mime = stored.mime_type or "application/octet-stream"
    return HttpReply(200, stored.data, mime)
