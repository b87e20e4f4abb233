"""FAQ search benchmark: start-up cost and query latency at 30 and at 500 entries.

Run: .venv/bin/python bench/faq_bench.py [--entries 500] [--queries 300]
Prints one JSON line. The 500-entry knowledge base is synthesized from the real one by recombining
questions, phrasings, keywords and answers under new ids, so the vocabulary and text lengths are
realistic. Queries are the real entries' own phrasings (Simplified, Traditional and English), never
the labelled evaluation set.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bot.domain.chinese import to_traditional
from bot.domain.faq import FaqEntry, FaqIndex
from bot.domain.models import Language
from bot.services.faq import load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2025, 6, 1)


def synthesize(entries: tuple[FaqEntry, ...], total: int, rng: random.Random) -> list[FaqEntry]:
    """Grow the entries to `total` by mixing pairs of real entries under new ids."""
    grown = list(entries)
    while len(grown) < total:
        a, b = rng.sample(entries, 2)
        phrasings = {
            lang: tuple(rng.sample(a.phrasings[lang], k=len(a.phrasings[lang]) // 2 + 1))
            + tuple(rng.sample(b.phrasings[lang], k=2))
            for lang in (Language.ZH_HANS, Language.EN)
        }
        keywords = {
            lang: tuple(a.keywords[lang][::2]) + tuple(b.keywords[lang][1::3])
            for lang in (Language.ZH_HANS, Language.EN)
        }
        grown.append(
            dataclasses.replace(
                a,
                id=f"{a.id}-x-{b.id}-{len(grown)}",
                phrasings=phrasings,
                keywords=keywords,
                answer={lang: f"{a.answer[lang]}\n{b.answer[lang]}" for lang in a.answer},
            )
        )
    return grown


def queries(entries: tuple[FaqEntry, ...], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Sample (text, language) pairs from the real entries' phrasings in all three languages."""
    pool = [
        (text, lang)
        for e in entries
        for lang, texts in (
            (Language.ZH_HANS, e.phrasings[Language.ZH_HANS]),
            (Language.EN, e.phrasings[Language.EN]),
        )
        for text in texts
    ]
    pool += [(to_traditional(t), Language.ZH_HANT) for t, lang in pool if lang == Language.ZH_HANS]
    rng.shuffle(pool)
    return (pool * (count // len(pool) + 1))[:count]


def latency_ms(index: FaqIndex, sample: list[tuple[str, str]]) -> list[float]:
    """Time each search, after one warm-up pass (OpenCC's converter loads on first use)."""
    for text, lang in sample[:10]:
        index.search(text, lang, TODAY)
    timings = []
    for text, lang in sample:
        start = time.perf_counter()
        index.search(text, lang, TODAY)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--folder", type=Path, default=ROOT / "config" / "faq")
    args = parser.parse_args(argv)
    rng = random.Random(20200101)

    start = time.perf_counter()
    kb = load_knowledge_base(args.folder)
    load_ms = (time.perf_counter() - start) * 1000
    sample = queries(kb.entries, args.queries, rng)
    small = latency_ms(FaqIndex(kb.entries, kb.lexicon), sample)

    grown = synthesize(kb.entries, args.entries, rng)
    builds = []
    for _ in range(3):
        start = time.perf_counter()
        index = FaqIndex(grown, kb.lexicon)
        builds.append((time.perf_counter() - start) * 1000)
    large = latency_ms(index, sample)

    result = {
        "bench": "faq_search",
        "real_entries": len(kb.entries),
        "load_real_kb_ms": round(load_ms, 1),
        "p50_ms_real": round(statistics.median(small), 3),
        "p99_ms_real": round(percentile(small, 99), 3),
        "entries": len(grown),
        "build_ms": round(min(builds), 1),
        "queries": len(sample),
        "p50_ms": round(statistics.median(large), 3),
        "p99_ms": round(percentile(large, 99), 3),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
