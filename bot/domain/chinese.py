"""Simplified <-> Traditional Chinese conversion (OpenCC's phrase-level tables)."""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Convert Simplified Chinese text to Traditional; other text passes unchanged.

    s2tw uses the character forms readers in Taiwan and Hong Kong actually see (為, 裡, 核對)
    rather than OpenCC's etymological standard (爲, 裏, 覈對), without changing vocabulary.
    """
    return str(_converter("s2tw").convert(text))


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese text to Simplified; other text passes unchanged."""
    return str(_converter("t2s").convert(text))
