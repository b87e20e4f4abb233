"""The FAQ lexicon (config/faq/_lexicon.toml): loaded, validated, checked, driving the search."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from bot.domain.faq import CROSS, Analyzer, FaqIndex, Lexicon
from bot.faq_cli import run_faq
from bot.services.faq import load_knowledge_base
from bot.services.faq_files import FaqError
from tests.test_faq_kb import CONFIG, cli, entry_toml, make_kb

TODAY = date(2025, 6, 1)

SMALL = """\
[zh]
stop_words = ["请问", "的"]

[zh.synonyms]
"房租" = "租金"

[en]
stop_words = ["the", "can"]

[en.synonyms]
rental = "rent"

[en.phrases]
"lay off" = "layoff"
"""


def lexicon_kb(tmp_path: Path, lexicon: str | None) -> Path:
    """A one-entry knowledge base with the given _lexicon.toml text (None: no such file)."""
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent")})
    if lexicon is None:
        (folder / "_lexicon.toml").unlink()
    else:
        (folder / "_lexicon.toml").write_text(lexicon, encoding="utf-8")
    return folder


def test_the_real_lexicon_is_loaded_and_searched_with() -> None:
    kb = load_knowledge_base(CONFIG / "faq")
    assert kb.lexicon.zh_synonyms["新冠"] == "疫情"
    assert "怎么办" in kb.lexicon.zh_stop_words
    assert kb.lexicon.en_synonyms["covid"] == "epidemic"
    assert "the" in kb.lexicon.en_stop_words
    assert kb.lexicon.en_phrases["laid off"] == "layoff"
    analyze = Analyzer(kb.lexicon).analyze
    assert analyze("新冠期间停产") == analyze("疫情期间停工")
    assert analyze("Staff were laid off") == analyze("employees layoffs")


def test_a_small_lexicon_is_read_as_written(tmp_path: Path) -> None:
    kb = load_knowledge_base(lexicon_kb(tmp_path, SMALL))
    assert kb.lexicon == Lexicon(
        zh_stop_words=("请问", "的"),
        zh_synonyms={"房租": "租金"},
        en_stop_words=("the", "can"),
        en_synonyms={"rental": "rent"},
        en_phrases={"lay off": "layoff"},
    )
    assert kb.check(TODAY) == []


def test_the_lexicon_drives_the_search(tmp_path: Path) -> None:
    kb = load_knowledge_base(lexicon_kb(tmp_path, SMALL))
    analyze = Analyzer(kb.lexicon).analyze
    assert analyze("请问房租的事") == analyze("租金的事") == ["租", "金", "租金", "事"]
    assert analyze("Can the rental be reduced") == ["rent", "be", "reduc"]
    assert analyze("they lay off staff") == ["they", "layoff", "staff"]
    without = FaqIndex(kb.entries, Lexicon())
    assert without.scores("仓库房租") != kb._index.scores("仓库房租")


def test_an_empty_lexicon_still_analyzes() -> None:
    analyze = Analyzer(Lexicon()).analyze
    # 请问|合同 are two words: the pair across them is kept apart (marked).
    assert analyze("请问合同") == ["请", "问", "合", "同", "请问", f"{CROSS}问合", "合同"]
    assert analyze("The leases") == ["the", "leas"]


def test_missing_lexicon_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FaqError, match=r"_lexicon\.toml: -: file not found"):
        load_knowledge_base(lexicon_kb(tmp_path, None))


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (SMALL.replace('"房租" = "租金"', '"房租" = "租金"\n"房租" = "租"'), "-", "not valid TOML"),
        (SMALL.replace('"房租" = "租金"', '"房租" = ""'), "zh.synonyms.房租", "non-empty string"),
        (SMALL.replace('"房租" = "租金"', '"" = "租金"'), 'zh.synonyms.""', "an empty word"),
        (SMALL.replace('rental = "rent"', "rental = 1"), "en.synonyms.rental", "string"),
        (SMALL.replace('"的"]', '""]'), "zh.stop_words[1]", "non-empty string"),
        (
            SMALL.replace('stop_words = ["the", "can"]', 'stop_words = "the"'),
            "en.stop_words",
            "array",
        ),
        (SMALL.replace("[en.phrases]", "[en.phrase]"), "en.phrase", "unknown key"),
        (SMALL.replace("[en]", "[fr]"), "fr", "unknown key"),
        (SMALL.replace('[en.phrases]\n"lay off" = "layoff"\n', ""), "en.phrases", "missing"),
        (SMALL.replace("[zh.synonyms]", "[zh.synonyms.x]"), "zh.synonyms.x", "non-empty string"),
        ('zh = "x"\n', "zh", "must be a table"),
    ],
    ids=[
        "duplicate-key",
        "empty-synonym",
        "empty-word",
        "synonym-type",
        "empty-stop-word",
        "stop-words-not-list",
        "typo-key",
        "unknown-section",
        "missing-key",
        "nested-table",
        "section-type",
    ],
)
def test_malformed_lexicon_names_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    with pytest.raises(FaqError) as caught:
        load_knowledge_base(lexicon_kb(tmp_path, text))
    assert caught.value.file.endswith("_lexicon.toml")
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert "\n" not in str(caught.value)


def test_faq_check_stops_at_a_bad_lexicon_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lexicon_kb(tmp_path, SMALL.replace('"房租" = "租金"', '"房租" = ""'))
    assert run_faq(cli("--config", str(tmp_path), "faq", "check")) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"legal-aid-bot: {tmp_path / 'faq' / '_lexicon.toml'}: zh.synonyms.房租: "
        "must be a non-empty string"
    ]


def test_every_lexicon_key_is_documented() -> None:
    doc = (CONFIG.parent / "docs" / "faq.md").read_text(encoding="utf-8")
    with (CONFIG / "faq" / "_lexicon.toml").open("rb") as fh:
        sections = tomllib.load(fh)
    for section, keys in sections.items():
        for key in keys:
            assert f"| `{section}.{key}` |" in doc, f"{section}.{key}"


def test_check_reports_words_that_never_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        SMALL.replace('stop_words = ["请问", "的"]', 'stop_words = ["请问", "的", "請問", "的"]')
        .replace('"房租" = "租金"', '"房租" = "租金"\n"租钱" = "房租"')
        .replace('rental = "rent"', 'rental = "rent"\nthe = "a"\nlet = "can"\nCOVID = "epidemic"')
        .replace('"lay off" = "layoff"', '"lay off" = "layoff"\n"work-from-home" = "remote"')
    )
    lexicon_kb(tmp_path, text)
    args = cli("--config", str(tmp_path), "faq", "check", "--today", "2025-06-01")
    assert run_faq(args) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem")]
    assert problems == [
        "problem: _lexicon.toml: zh.stop_words[3]: '的' already listed at [1]",
        "problem: _lexicon.toml: zh.stop_words: '請問' never matches: use Simplified characters",
        "problem: _lexicon.toml: en.synonyms.COVID: 'COVID' never matches: "
        "use one word of a-z, 0-9",
        "problem: _lexicon.toml: en.phrases.work-from-home: 'work-from-home' never matches: "
        "use words of a-z, 0-9",
        "problem: _lexicon.toml: zh.synonyms.租钱: '房租' is a synonym too (no chains)",
        "problem: _lexicon.toml: en.synonyms.the: never applies: it is a stop word",
        "problem: _lexicon.toml: en.synonyms.let: 'can' is a stop word",
    ]
