"""Unified social credit code (统一社会信用代码) validation per GB 32100-2015."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

# GB 32100-2015 §4: the code's alphabet is the digits and the capital letters without I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
# Letters an owner may type by mistake for a digit that looks the same.
_LOOKALIKES = {"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"}


class CreditCodeRule(enum.StrEnum):
    """The rule a rejected code broke; each has its own explanation for the owner."""

    EMPTY = "empty"
    LENGTH = "length"
    CHARSET = "charset"
    DIVISION = "division"
    CHECK_DIGIT = "check_digit"


@dataclass(eq=False)
class CreditCodeError(ValueError):
    """A code that breaks a rule of GB 32100-2015, with what the owner needs to fix it."""

    rule: CreditCodeRule
    code: str
    length: int = 0
    bad_chars: tuple[str, ...] = ()
    suggestions: tuple[tuple[str, str], ...] = ()
    expected: str = ""

    def __str__(self) -> str:
        return f"credit code {self.code!r} breaks rule {self.rule.value}"


def normalize(text: str) -> str:
    """Fold full-width characters, drop spaces and dashes, and upper-case the code."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-_").upper()


def check_digit(first17: str) -> str:
    """Compute the 18th character of a code from its first 17."""
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(text: str) -> str:
    """Return the normalized code, or raise CreditCodeError naming the first rule it breaks."""
    code = normalize(text)
    if not code:
        raise CreditCodeError(CreditCodeRule.EMPTY, code)
    bad = tuple(dict.fromkeys(ch for ch in code if ch not in _VALUES))
    if bad:
        suggestions = tuple((ch, _LOOKALIKES[ch]) for ch in bad if ch in _LOOKALIKES)
        raise CreditCodeError(
            CreditCodeRule.CHARSET, code, len(code), bad_chars=bad, suggestions=suggestions
        )
    if len(code) != LENGTH:
        raise CreditCodeError(CreditCodeRule.LENGTH, code, len(code))
    if not code[2:8].isdigit():
        raise CreditCodeError(CreditCodeRule.DIVISION, code, len(code))
    expected = check_digit(code[:17])
    if code[17] != expected:
        raise CreditCodeError(CreditCodeRule.CHECK_DIGIT, code, len(code), expected=expected)
    return code
