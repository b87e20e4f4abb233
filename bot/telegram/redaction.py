"""Keep the bot token out of every log record, whoever logs it and whatever handler prints it.

The HTTP client logs request URLs, and Telegram puts the token in the URL path. A log-record
factory (not a handler filter) is used so that every handler, including ones added later by
tests or operators, only ever sees redacted records.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

_MASK = "<bot-token>"
_installed: dict[str, Any] = {}


def install_token_redaction(token: str) -> None:
    """Redact token from every future log record's message and traceback."""
    if not token:
        return
    base = _installed.get("base") or logging.getLogRecordFactory()
    _installed["base"] = base
    secrets = {token}

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still logged, as the logging module would
            message = str(record.msg)
        if any(s in message for s in secrets):
            for s in secrets:
                message = message.replace(s, _MASK)
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            if any(s in text for s in secrets):
                for s in secrets:
                    text = text.replace(s, _MASK)
                record.exc_text, record.exc_info = text, None
        return record

    logging.setLogRecordFactory(factory)


def uninstall_token_redaction() -> None:
    """Restore the original record factory (tests)."""
    base = _installed.pop("base", None)
    if base is not None:
        logging.setLogRecordFactory(base)
