"""Recall on short, colloquial and mistyped questions: pinyin, the colloquial table, word
boundaries, "did you mean", and `faq search --explain` showing why an entry matched."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.faq import CROSS, Analyzer, Lexicon
from bot.domain.faq.index import DEFAULT_THRESHOLD, SUGGEST_THRESHOLD
from bot.domain.faq.segmentation import boundaries, loose_characters
from bot.domain.faq.spelling import Speller, sound
from bot.domain.models import Language
from bot.faq_cli import run_faq
from bot.services.faq import KnowledgeBase, load_knowledge_base
from bot.services.faq_files import FaqError
from tests.test_faq_kb import CONFIG, cli, entry_toml, make_kb

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(CONFIG / "faq")


# --------------------------------------------------------------------------- homophone typos


def test_homophones_share_a_sound() -> None:
    assert sound("社宝") == sound("社保") == "she bao"
    assert sound("银行") == "yin hang"  # the reading follows the word


def test_a_mistyped_character_is_read_by_its_sound() -> None:
    speller = Speller({"社保": 3, "减免": 2, "保费": 1})
    assert speller.best_fix(["社宝费", "减免"]) == (0, 1, "保")
    assert speller.best_fix(["社保费", "减免"]) is None  # nothing unknown: nothing changes


def test_a_dictionary_word_is_never_corrected() -> None:
    # 试用期 is a word, though no entry uses it and 适用 sounds the same.
    assert Speller({"适用": 4, "用期": 1}).best_fix(["试用期"]) is None


def test_typos_find_their_entry(kb: KnowledgeBase) -> None:
    for typo, expected in [
        ("法律原助怎么申请", "legal-aid-application"),
        ("小企业的社宝费能减免吗", "social-insurance-relief"),
        ("贸促会的不可抗力证明书怎么申清", "force-majeure-certificate"),
    ]:
        assert [h.id for h in kb.search(typo, Language.ZH_HANS, TODAY)][:1] == [expected]


# --------------------------------------------------------------------------- colloquial words


def test_colloquial_words_are_read_as_what_they_mean() -> None:
    analyzer = Analyzer(
        Lexicon(zh_colloquial={"晚点交": ("缓交",)}, en_colloquial={"pay later": ("defer",)})
    )
    read = analyzer.analyze_query("税能晚点交吗")
    assert "缓交" in read.terms
    assert "晚点" not in read.terms
    assert "晚点" in read.literal  # still scores where an entry says it as written
    assert read.notes == ["colloquial: 晚点交 → 缓交"]
    assert "defer" in analyzer.analyze_query("Can we pay later?").terms
    assert "defer" not in analyzer.analyze_query("we repay laterally").terms
    # Documents are indexed as written.
    assert "缓交" not in analyzer.analyze("税能晚点交吗")


def test_the_real_colloquial_table_is_loaded(kb: KnowledgeBase) -> None:
    assert kb.lexicon.zh_colloquial["手机上"] == ("线上",)
    assert kb.lexicon.en_colloquial["pay later"] == ("defer",)
    hits = kb.search("税能晚点交吗", Language.ZH_HANS, TODAY)
    assert hits
    assert hits[0].id == "tax-relief"


@pytest.mark.parametrize(
    ("file", "text", "key", "problem"),
    [
        ("_colloquial.toml", '[zh]\n"晚点交" = []\n', "zh.晚点交", "non-empty array"),
        ("_colloquial.toml", '[zh]\n"晚点交" = [3]\n', "zh.晚点交[0]", "non-empty string"),
        ("_colloquial.toml", '[fr]\n"x" = "y"\n', "fr", "unknown key"),
        ("_outside.toml", '[zh]\nsubjects = "离婚"\n', "zh.subjects", "array of strings"),
        ("_outside.toml", '[zh]\nsubjects = [""]\n', "zh.subjects[0]", "non-empty string"),
        ("_outside.toml", "[zh]\nwords = []\n", "zh.words", "unknown key"),
    ],
)
def test_a_malformed_vocabulary_file_is_named(
    tmp_path: Path, file: str, text: str, key: str, problem: str
) -> None:
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent")})
    (folder / file).write_text(text, encoding="utf-8")
    with pytest.raises(FaqError) as caught:
        load_knowledge_base(folder)
    assert caught.value.file.endswith(file)
    assert (caught.value.key, problem in caught.value.problem) == (key, True)


def test_check_reports_colloquial_words_that_never_match(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent")})
    (folder / "_colloquial.toml").write_text(
        '[zh]\n"晚點交" = ["缓交"]\n[en]\n"Pay later" = ["defer"]\n', encoding="utf-8"
    )
    assert load_knowledge_base(folder).check(TODAY) == [
        "_colloquial.toml: zh.晚點交: '晚點交' never matches: use Simplified characters",
        "_colloquial.toml: en.Pay later: 'Pay later' never matches: use words of a-z, 0-9",
    ]


# --------------------------------------------------------------------------- outside subjects


def test_a_subject_outside_the_knowledge_base_finds_nothing(tmp_path: Path) -> None:
    # 商标注册 shares 注册 with the entry's 假冒注册商标; named as outside, it finds nothing.
    rent = entry_toml("rent", question="有人假冒注册商标卖口罩怎么办？")
    folder = make_kb(tmp_path / "faq", {"rent.toml": rent})
    before = load_knowledge_base(folder).lookup("商标咋注册", Language.ZH_HANS, TODAY)
    assert [h.id for h in before.hits] == ["rent"]
    (folder / "_outside.toml").write_text('[zh]\nsubjects = ["商标注册"]\n', encoding="utf-8")
    kb = load_knowledge_base(folder)
    # Found also with the stop words left out (咋 is one), as the rest of a question is read.
    for question in ["商标注册要多久", "商标咋注册", "商标怎么注册"]:
        found = kb.lookup(question, Language.ZH_HANS, TODAY)
        assert (question, found.hits) == (question, [])
    notes, _ = kb.explain("商标咋注册", Language.ZH_HANS)
    assert notes == ["outside the knowledge base: 商标注册"]
    # A question about a covered subject is still answered.
    assert [h.id for h in kb.search("假冒注册商标的口罩", Language.ZH_HANS, TODAY)] == ["rent"]


def test_a_long_question_that_also_asks_a_covered_thing_is_still_answered(
    kb: KnowledgeBase,
) -> None:
    question = (
        "疫情期间商场停业三个月，我们租的门面一直关着，房东还要收全额房租，"
        "能要求减免或者缓交吗？顺便问下商标注册要多久"
    )
    notes, _ = kb.explain(question, Language.ZH_HANS)
    assert "outside the knowledge base: 商标注册" in notes
    assert [h.id for h in kb.search(question, Language.ZH_HANS, TODAY)][:1] == ["lease-rent-relief"]


def test_small_talk_is_dropped_from_a_question(kb: KnowledgeBase) -> None:
    for talk, lang in [
        ("你好，請問有人在嗎？", Language.ZH_HANT),
        ("好的，知道了", Language.ZH_HANS),
        ("What's your name?", Language.EN),
        ("ok thanks!", Language.EN),
    ]:
        found = kb.lookup(talk, lang, TODAY)
        assert (talk, found.hits, found.suggestions) == (talk, [], [])
    hits = kb.search("你好，房租能减免吗？谢谢", Language.ZH_HANS, TODAY)
    assert [h.id for h in hits][:1] == ["lease-rent-relief"]
    notes, _ = kb.explain("你好，房租能减免吗？谢谢", Language.ZH_HANS)
    assert notes[0] == "small talk: 你好 / 谢谢"
    # Only a whole clause is small talk: 好的 inside a question is part of it.
    assert Analyzer(Lexicon(zh_small_talk=("好的",))).analyze_query("有没有好的办法").notes == []


def test_check_refuses_an_outside_subject_an_entry_is_asked_by(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent")})
    (folder / "_outside.toml").write_text(
        '[zh]\nsubjects = ["租金", "离婚", "離婚", "离婚"]\n'
        '[en]\nsubjects = ["warehouse rent", "Divorce"]\nsmall_talk = ["what\'s up"]\n',
        encoding="utf-8",
    )
    assert load_knowledge_base(folder).check(TODAY) == [
        "_outside.toml: zh.subjects[3]: '离婚' already listed at [1]",
        "_outside.toml: zh.subjects: '離婚' never matches: use Simplified characters",
        "_outside.toml: en.subjects: 'Divorce' never matches: use lower-case words of a-z, 0-9",
        "_outside.toml: zh.subjects: '租金' is asked in entry rent",
        "_outside.toml: en.subjects: 'warehouse rent' is asked in entry rent",
    ]


# --------------------------------------------------------------------------- word boundaries


def test_pairs_across_words_are_kept_apart() -> None:
    assert boundaries("员工要去仲裁") == {2, 3, 4}
    assert loose_characters("和同约定") == {0, 1}
    terms = Analyzer(Lexicon()).analyze("员工要去仲裁")
    assert "员工" in terms
    assert "仲裁" in terms
    assert f"{CROSS}工要" in terms
    assert "工要" not in terms


# --------------------------------------------------------------------------- did you mean


def test_a_borderline_question_gets_suggestions_not_an_answer(kb: KnowledgeBase) -> None:
    found = kb.lookup("员工的事", Language.ZH_HANS, TODAY)
    assert found.hits == []
    assert len(found.suggestions) == 3
    assert all(kb.suggest_threshold <= h.score < kb.threshold for h in found.suggestions)
    assert kb.lookup("今天天气怎么样", Language.ZH_HANS, TODAY).suggestions == []


def test_explain_shows_how_the_question_was_read_and_why_it_matched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = cli("--config", str(CONFIG), "faq", "search", "小企业的社宝费能减免吗", "--explain")
    assert run_faq(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "read as: typo: 社宝费能减免 → 社保费能减免 (same sound: 宝 保)"
    assert out[1].split()[1:3] == ["social-insurance-relief", "[answer]"]
    assert "社保" in out[2]
    assert "减免" in out[2]
    assert out[-1] == (
        f"answer from {DEFAULT_THRESHOLD:.2f}, did you mean from {SUGGEST_THRESHOLD:.2f}"
    )
