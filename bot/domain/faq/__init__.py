"""FAQ knowledge base records and the search over them (PRODUCT §3.4, §7).

Chinese is written without spaces, so the analyzer needs no dictionary: it indexes characters and
character bigrams after folding Traditional to Simplified. English is split into words with light
stemming. Both drop stop words and fold synonyms from a Lexicon: data the programme tunes
(config/faq/_lexicon.toml), passed in. Ranking is BM25F over the fields an entry is asked by
(question, phrasings, keywords) weighted above its answer. The score is divided by the best score
the query could reach (capped at what a typical stored question could reach, since long messages
tell a story around their question), so one threshold works for a three-character query and a
paragraph alike.
"""

from bot.domain.faq.analysis import (
    CROSS,
    Analyzer,
    Lexicon,
    Query,
    is_chinese,
    is_chinese_word,
    is_english_word,
    normalize,
    stem,
)
from bot.domain.faq.index import DEFAULT_THRESHOLD, SUGGEST_THRESHOLD, FaqIndex, Lookup, Match
from bot.domain.faq.records import (
    FaqEntry,
    FaqLink,
    FaqTopic,
    Hit,
    LocalClaim,
    Measure,
    MeasureState,
    Moment,
    Precision,
    Review,
    localized,
)

__all__ = [
    "CROSS",
    "DEFAULT_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "Analyzer",
    "FaqEntry",
    "FaqIndex",
    "FaqLink",
    "FaqTopic",
    "Hit",
    "Lexicon",
    "LocalClaim",
    "Lookup",
    "Match",
    "Measure",
    "MeasureState",
    "Moment",
    "Precision",
    "Query",
    "Review",
    "is_chinese",
    "is_chinese_word",
    "is_english_word",
    "localized",
    "normalize",
    "stem",
]
