"""Mainland phone numbers: mobiles and landlines with area code, normalized to E.164."""

import pytest

from bot.domain.phone import PhoneError, PhoneRule, parse


@pytest.mark.parametrize(
    ("text", "e164", "kind"),
    [
        ("13812345678", "+8613812345678", "mobile"),
        ("138 1234 5678", "+8613812345678", "mobile"),
        ("138-1234-5678", "+8613812345678", "mobile"),
        ("+86 138 1234 5678", "+8613812345678", "mobile"),
        ("008613812345678", "+8613812345678", "mobile"),
        ("１３８１２３４５６７８", "+8613812345678", "mobile"),
        ("0554-6612345", "+865546612345", "landline"),
        ("(0554) 6612345", "+865546612345", "landline"),
        ("010-12345678", "+861012345678", "landline"),
    ],
)
def test_valid_numbers(text: str, e164: str, kind: str) -> None:
    phone = parse(text)
    assert (phone.e164, phone.kind) == (e164, kind)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("abc", PhoneRule.NOT_A_NUMBER),
        ("电话13812345678x", PhoneRule.NOT_A_NUMBER),
        ("1234", PhoneRule.NOT_A_NUMBER),
        ("6612345", PhoneRule.NEEDS_AREA_CODE),
        ("66123456", PhoneRule.NEEDS_AREA_CODE),
        ("+852 9123 4567", PhoneRule.NOT_MAINLAND),
        ("+1 212 555 0100", PhoneRule.NOT_MAINLAND),
        ("1381234567", PhoneRule.INVALID),
        ("11111111111", PhoneRule.INVALID),
        ("400-810-8888", PhoneRule.UNSUPPORTED_TYPE),
    ],
)
def test_invalid_numbers(text: str, rule: PhoneRule) -> None:
    with pytest.raises(PhoneError) as info:
        parse(text)
    assert info.value.rule is rule
