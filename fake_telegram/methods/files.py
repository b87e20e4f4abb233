"""Files the bot fetches: getFile (the download itself is the transport's)."""

from __future__ import annotations

from typing import Any

from ..models import Params, bad_request
from ..registry import api_method
from ..state import FakeState


@api_method("getFile")
def _get_file(state: FakeState, p: Params) -> dict[str, Any]:
    stored = state.files.get(p.get_str("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_json()
