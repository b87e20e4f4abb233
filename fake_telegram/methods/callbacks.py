"""Answering callback queries: once, in time, with a short text."""

from __future__ import annotations

from ..models import CallbackAnswer, Params, bad_request
from ..registry import api_method
from ..state import FakeState
from ..validation import MAX_CALLBACK_ANSWER_LENGTH

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@api_method("answerCallbackQuery")
def _answer_callback_query(state: FakeState, p: Params) -> bool:
    query_id = p.get_str("callback_query_id") or ""
    text = p.get_str("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    pending = state._pending_queries.pop(query_id, None)
    if pending is None or state.clock() - pending.created > state.callback_query_ttl:
        raise bad_request(_QUERY_INVALID)
    answer = CallbackAnswer(
        query_id=query_id,
        text=text,
        show_alert=p.get_bool("show_alert"),
        url=p.get_str("url"),
        cache_time=p.get_int("cache_time"),
        user_id=pending.user_id,
        chat_id=pending.chat_id,
        message_id=pending.message_id,
        data=pending.data,
    )
    state.callback_answers.append(answer)
    state._notify("callback_answer", answer)
    return True
