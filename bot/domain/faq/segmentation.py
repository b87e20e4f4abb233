"""Chinese word boundaries (jieba), so that character pairs across two words do not match.

Chinese has no spaces, and the index pairs every two neighbouring characters. A pair across a
word boundary (员工|要 gives 工要) is noise: it matches unrelated answers that happen to contain
it, and in a short question that noise can outweigh the one word that matters. The segmenter
tells where the words are; pairs inside a word are kept, pairs across a boundary count for
little. Dictionary only (no HMM guessing), so a text is always cut the same way.
"""

from __future__ import annotations

import logging
from functools import cache, lru_cache

import jieba


@cache
def _tokenizer() -> jieba.Tokenizer:
    # jieba announces its dictionary loading at DEBUG level on its own logger.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=65536)
def boundaries(segment: str) -> frozenset[int]:
    """The positions inside a Chinese segment where one word ends and the next begins."""
    cut: set[int] = set()
    position = 0
    for word in _tokenizer().cut(segment, HMM=False):
        position += len(word)
        cut.add(position)
    cut.discard(len(segment))
    return frozenset(cut)


@lru_cache(maxsize=65536)
def loose_characters(segment: str) -> frozenset[int]:
    """The positions of characters that are no part of a longer word: where typos show."""
    loose: set[int] = set()
    position = 0
    for word in _tokenizer().cut(segment, HMM=False):
        if len(word) == 1:
            loose.add(position)
        position += len(word)
    return frozenset(loose)
