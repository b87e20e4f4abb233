"""Mainland China phone numbers: parse what an owner types or shares, normalize to E.164."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

REGION = "CN"
_ACCEPTED = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
}


class PhoneRule(enum.StrEnum):
    """Why a phone number was refused."""

    NOT_A_NUMBER = "not_a_number"
    NOT_MAINLAND = "not_mainland"
    NEEDS_AREA_CODE = "needs_area_code"
    INVALID = "invalid"
    UNSUPPORTED_TYPE = "unsupported_type"


@dataclass(eq=False)
class PhoneError(ValueError):
    """A phone number that cannot be used, with the rule it broke."""

    rule: PhoneRule
    text: str

    def __str__(self) -> str:
        return f"phone {self.text!r} breaks rule {self.rule.value}"


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid mainland number: E.164 for storage, national format for display."""

    e164: str
    national: str
    kind: str


def parse(text: str) -> Phone:
    """Parse a typed or shared number (mobile, or landline with area code) or raise PhoneError."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    digits = [ch for ch in cleaned if ch.isdigit()]
    if len(digits) < 5 or any(ch.isalpha() for ch in cleaned):
        raise PhoneError(PhoneRule.NOT_A_NUMBER, text)
    compact = "".join(ch for ch in cleaned if ch.isdigit() or ch == "+")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+") and len(compact) in (7, 8) and not compact.startswith("1"):
        raise PhoneError(PhoneRule.NEEDS_AREA_CODE, text)
    try:
        number = phonenumbers.parse(compact, REGION)
    except NumberParseException as exc:
        raise PhoneError(PhoneRule.NOT_A_NUMBER, text) from exc
    if number.country_code != 86:
        raise PhoneError(PhoneRule.NOT_MAINLAND, text)
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(PhoneRule.INVALID, text)
    kind = _ACCEPTED.get(phonenumbers.number_type(number))
    if kind is None:
        raise PhoneError(PhoneRule.UNSUPPORTED_TYPE, text)
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        kind=kind,
    )


def masked(e164: str) -> str:
    """A phone number with all but its last four digits hidden (e.g. ●●●●●●●5678)."""
    digits = e164.removeprefix("+86")
    return "●" * max(0, len(digits) - 4) + digits[-4:]
