"""GB 32100-2015 credit codes: each rule refused with its own reason, real codes accepted."""

import pytest

from bot.domain.credit_code import CreditCodeError, CreditCodeRule, check_digit, validate
from tests.codes import make_code

# A code as printed on a real business licence (the check digit is not computed by our code).
REAL_CODES = ["91110000600037341L"]


def test_weights_are_powers_of_three_mod_31() -> None:
    # The standard's weights are 3^i mod 31; make_code relies on that, check_digit on a table.
    assert make_code("91340400MA2N0000X")[-1] == check_digit("91340400MA2N0000X")


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code: str) -> None:
    assert validate(code) == code


def test_input_is_normalized() -> None:
    code = make_code("91340400MA2N0000X")
    typed = " " + code.lower()[:6] + "-" + code.lower()[6:] + " "
    assert validate(typed) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)  # typed with a Chinese IME
    assert validate(full_width) == code


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", CreditCodeRule.EMPTY),
        ("   ", CreditCodeRule.EMPTY),
        ("9134040", CreditCodeRule.LENGTH),
        ("91340400MA2N0000X12", CreditCodeRule.LENGTH),
        ("91340400MA2NOOOOXA", CreditCodeRule.CHARSET),
        ("9134040OMA2N0000X1", CreditCodeRule.CHARSET),
        ("91A40400MA2N0000X1", CreditCodeRule.DIVISION),
        ("信用代码", CreditCodeRule.CHARSET),
    ],
)
def test_each_rule(text: str, rule: CreditCodeRule) -> None:
    with pytest.raises(CreditCodeError) as info:
        validate(text)
    assert info.value.rule is rule


def test_check_digit_error_names_expected_character() -> None:
    good = make_code("91340400MA2N0000X")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(CreditCodeError) as info:
        validate(wrong)
    assert info.value.rule is CreditCodeRule.CHECK_DIGIT
    assert info.value.expected == good[-1]


def test_single_typo_is_always_caught() -> None:
    good = make_code("91340400MA2N0000X")
    for position in range(17):
        for replacement in "0Y":
            if good[position] == replacement:
                continue
            typo = good[:position] + replacement + good[position + 1 :]
            with pytest.raises(CreditCodeError):
                validate(typo)


def test_lookalike_letters_get_suggestions() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("91340400MA2NOOOOXA")
    assert info.value.bad_chars == ("O",)
    assert info.value.suggestions == (("O", "0"),)
