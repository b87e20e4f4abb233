"""Valid credit codes for tests, computed independently of bot.domain.credit_code."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_code(first17: str) -> str:
    """Complete 17 characters with the GB 32100-2015 check character (weights 3^i mod 31)."""
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, weights, strict=True))
    return first17 + ALPHABET[(31 - total % 31) % 31]


def code_number(n: int) -> str:
    """The n-th distinct valid code (for many enterprises)."""
    return make_code(f"91340400MA2N{n:04d}X")
