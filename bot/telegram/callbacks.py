"""Callback data: short, signed, bound to the user who may press the button.

Format: ``<prefix>:<payload>~<sig>`` where sig is 8 base64url characters of an HMAC over the
user id and the rest, keyed from the bot token. A modified client cannot change a payload (say,
another case's number) or replay a button sent to someone else; such data decodes to None.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MAX_BYTES = 64
_SIG_CHARS = 8

# Every prefix, with the actions under it. Codes are short: callback data has 64 bytes.
REGISTRATION = "reg"  # start, consent, cancel, district|industry <id>, edit, field <step>, back
INTAKE = "ask"  # cat <category>, urg normal|urgent, submit, cancel, anew (closed case's message)
FAQ = "faq"  # t <topic> <page>, e <entry>, s <entry> <query>, yes|no <query>, home, ask q|e <id>
CASE = "case"  # accept|reply|transfer|resolve|view|info|close|closeyes|closeno|skip|reopen|
#               pick <case>,
#               to <case> <staff id>|route, rate <case> <stars>
ONBOARDING = "onb"  # district <id>, spec <specialty>, done
STAFF = "staff"  # off <staff id> (deactivate), page <n>
CONTACT = "contact"  # approve|refuse|remove <contact id>
LANGUAGE = "lang"  # <language>
ERASE = "erase"  # yes|no
STATS = "stats"  # p today|7d|30d (the period shown)
AUDIT = "audit"  # pg <page>
BROADCAST = "bc"  # aud district|industry <id>, aud open|urgent, next, send, later, drop,
#                   cancel <bulk id> (stop a running or scheduled broadcast)
NOTICES = "ntc"  # mute|unmute


@dataclass(frozen=True, slots=True)
class Callback:
    """A verified button press: what it is for and its arguments."""

    prefix: str
    args: tuple[str, ...]

    def arg(self, index: int = 0) -> str:
        """Return one argument, or '' when absent."""
        return self.args[index] if index < len(self.args) else ""


class CallbackCodec:
    """Signs and verifies callback data."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"legal-aid-callback:" + secret.encode()).digest()

    def _sign(self, user_id: int, body: str) -> str:
        mac = hmac.new(self._key, f"{user_id}|{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:6]).decode()[:_SIG_CHARS]

    def encode(self, user_id: int, prefix: str, *args: str) -> str:
        """Build signed callback data; raises ValueError over Telegram's 64 bytes."""
        for part in (prefix, *args):
            if ":" in part or "~" in part:
                raise ValueError(f"callback part {part!r} contains a separator")
        body = ":".join((prefix, *args))
        data = f"{body}~{self._sign(user_id, body)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    def decode(self, user_id: int, data: str | None) -> Callback | None:
        """Return the verified callback, or None if malformed, forged or someone else's."""
        if not data or "~" not in data:
            return None
        try:
            raw = data.encode()
        except UnicodeEncodeError:  # lone surrogates: not something we ever sent
            return None
        if len(raw) > MAX_BYTES:
            return None
        body, _, sig = data.rpartition("~")
        # Bytes, not str: compare_digest refuses non-ASCII strings (a forged button's data).
        if not hmac.compare_digest(sig.encode(), self._sign(user_id, body).encode()):
            return None
        prefix, *args = body.split(":")
        return Callback(prefix, tuple(args))

    @staticmethod
    def pattern(prefix: str, action: str | None = None) -> str:
        """A regex for CallbackQueryHandler matching one prefix (and action)."""
        return f"^{prefix}:{action}(:|~)" if action else f"^{prefix}:"
