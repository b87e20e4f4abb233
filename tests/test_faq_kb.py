"""The FAQ knowledge base: the real one is clean, bad files are named, dates hide entries; CLI."""

from __future__ import annotations

import argparse
import ast
import json
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.domain.chinese import to_traditional
from bot.domain.faq import Analyzer
from bot.domain.models import Language
from bot.faq_cli import add_faq_commands, run_faq
from bot.services.faq import KnowledgeBase, answer_context, load_knowledge_base
from bot.services.faq_files import FaqError

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
TODAY = date(2025, 6, 1)

REQUIRED_IDS = [
    "force-majeure",
    "force-majeure-certificate",
    "changed-circumstances",
    "lease-rent-relief",
    "contract-deadline-missed",
    "wages-during-shutdown",
    "quarantined-employees",
    "layoffs-and-restructuring",
    "flexible-work-arrangements",
    "employee-refuses-return",
    "labour-arbitration",
    "social-insurance-relief",
    "tax-relief",
    "loan-extension",
    "financing-support",
    "litigation-fee-relief",
    "online-case-filing",
    "online-mediation",
    "limitation-period",
    "enforcement-relief",
    "legal-aid-application",
    "police-green-channel",
    "hazardous-goods-permits",
    "logistics-passes",
    "report-obstruction",
    "report-counterfeit-goods",
    "resumption-requirements",
    "workplace-prevention-duties",
    "employee-health-data",
    "electronic-contracts",
]

TOPICS = """
[[topic]]
id = "contracts"
name.zh-hans = "合同"
name.en = "Contracts"
"""


def entry_toml(entry_id: str, *, extra: str = "", topic: str = "contracts", **texts: str) -> str:
    """A complete, valid entry file; `extra` lines go before the tables."""
    question = texts.get("question", "仓库租金可以减免吗？")
    return textwrap.dedent(f"""\
        id = "{entry_id}"
        topic = "{topic}"
        {extra}
        [question]
        zh-hans = "{question}"
        en = "Can the warehouse rent be reduced?"

        [phrasings]
        zh-hans = ["仓库房租太贵了"]
        en = ["The warehouse rent is too high"]

        [keywords]
        zh-hans = ["仓库", "租金"]
        en = ["warehouse", "rent"]

        [answer]
        zh-hans = "可以和房东协商。"
        en = "Negotiate with the landlord."

        [[references]]
        zh-hans = "《民法典》第五百三十三条"
        en = "Civil Code, Article 533"

        [[links]]
        label.zh-hans = "12348 热线"
        label.en = "12348 hotline"
        phone = "12348"
        """)


LEXICON = (CONFIG / "faq" / "_lexicon.toml").read_text(encoding="utf-8")


def make_kb(folder: Path, files: dict[str, str]) -> Path:
    """Write a knowledge base folder: _topics.toml, the real _lexicon.toml, the given files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_topics.toml").write_text(TOPICS, encoding="utf-8")
    (folder / "_lexicon.toml").write_text(LEXICON, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(CONFIG / "faq")


# ---------------------------------------------------------------------- the real knowledge base


def test_real_knowledge_base_has_every_required_entry(kb: KnowledgeBase) -> None:
    assert len(REQUIRED_IDS) == 30
    assert sorted(set(REQUIRED_IDS) - {e.id for e in kb.entries}) == []


def test_real_knowledge_base_has_no_problem(kb: KnowledgeBase) -> None:
    assert kb.check(datetime.now(UTC).date()) == []


def test_every_entry_has_traditional_text(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert entry.question[Language.ZH_HANT] == to_traditional(
            entry.question[Language.ZH_HANS]
        ), entry.id
        assert entry.answer[Language.ZH_HANT], entry.id
        for link in entry.links:
            assert link.label[Language.ZH_HANT], entry.id


def test_each_entry_is_found_by_its_own_question(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        for lang in Language:
            hits = kb.search(entry.question[lang], lang, TODAY)
            assert hits, (entry.id, lang)
            assert hits[0].id == entry.id, (entry.id, lang, hits)


@pytest.mark.parametrize(
    "text",
    [
        "你好",
        "在吗？",
        "谢谢",
        "hello",
        "thanks!",
        "123",
        "",
        "？！",
        "今天天气怎么样",
        "推荐一家火锅店",
    ],
)
def test_chit_chat_matches_nothing(kb: KnowledgeBase, text: str) -> None:
    assert kb.search(text, Language.ZH_HANS, TODAY) == []


def test_traditional_and_simplified_queries_score_alike(kb: KnowledgeBase) -> None:
    simplified = "员工被隔离期间工资怎么发"
    assert kb.search(to_traditional(simplified), Language.ZH_HANT, TODAY) == kb.search(
        simplified, Language.ZH_HANS, TODAY
    )


def test_analyzer_folds_script_width_and_stop_words(kb: KnowledgeBase) -> None:
    analyze = Analyzer(kb.lexicon).analyze
    assert analyze("請問，合同！") == analyze("合同") == ["合", "同", "合同"]
    assert analyze("ＣＯＶＩＤ Employees") == analyze("pandemic staff")


def test_search_is_limited(kb: KnowledgeBase) -> None:
    query = "疫情期间企业的合同、员工工资、税收和贷款怎么处理"
    assert len(kb.search(query, Language.ZH_HANS, TODAY, limit=1)) <= 1
    assert len(kb.search(query, Language.ZH_HANS, TODAY, limit=3)) <= 3


def test_answer_context_falls_back_to_simplified_chinese(tmp_path: Path) -> None:
    text = entry_toml("no-english").replace('en = "Negotiate with the landlord."\n', "")
    folder = make_kb(tmp_path / "faq", {"no-english.toml": text})
    entry = load_knowledge_base(folder).entries[0]
    assert answer_context(entry, Language.EN, TODAY) == {
        "question": "Can the warehouse rent be reduced?",
        "answer": "可以和房东协商。",
        "measures": [],
        "review": None,
        "references": ["Civil Code, Article 533"],
        "phones": [{"label": "12348 hotline", "phone": "12348"}],
    }
    hant = answer_context(entry, Language.ZH_HANT, TODAY)
    assert hant["answer"] == to_traditional("可以和房东协商。")


# --------------------------------------------------------------------------- dates


def test_expired_and_future_entries_are_neither_matched_nor_listed(tmp_path: Path) -> None:
    folder = make_kb(
        tmp_path / "faq",
        {
            "rent-current.toml": entry_toml("rent-current", question="仓库租金可以减免吗？"),
            "rent-expired.toml": entry_toml(
                "rent-expired", extra="valid_until = 2025-05-31", question="仓库租金减免吗？"
            ),
            "rent-future.toml": entry_toml(
                "rent-future", extra="valid_from = 2025-06-02", question="仓库租金可减免吗？"
            ),
        },
    )
    # Three entries that share every word: no term is rare, so scores are low everywhere.
    kb = load_knowledge_base(folder, threshold=0.2)
    everything = {h.id for h in kb._index.scores("仓库租金减免")}
    assert everything == {"rent-current", "rent-expired", "rent-future"}

    assert [h.id for h in kb.search("仓库租金减免", Language.ZH_HANS, TODAY)] == ["rent-current"]
    assert [e.id for e in kb.listing(TODAY)] == ["rent-current"]
    assert [e.id for e in kb.listing(TODAY, "contracts")] == ["rent-current"]
    assert {h.id for h in kb.search("仓库租金减免", Language.ZH_HANS, date(2025, 5, 31))} == {
        "rent-current",
        "rent-expired",
    }
    assert kb.check(TODAY) == []


def test_entries_expiring_soon_are_reported(tmp_path: Path) -> None:
    folder = make_kb(
        tmp_path / "faq",
        {
            "soon.toml": entry_toml("soon", extra="valid_until = 2025-06-20"),
            "later.toml": entry_toml("later", extra="valid_until = 2025-09-01"),
            "gone.toml": entry_toml("gone", extra="valid_until = 2025-05-01"),
            "forever.toml": entry_toml("forever"),
        },
    )
    kb = load_knowledge_base(folder)
    assert [e.id for e in kb.expiring(TODAY)] == ["soon"]
    assert [e.id for e in kb.expiring(TODAY, days=100)] == ["later", "soon"]


# --------------------------------------------------------------------------- dated measures

MEASURES = """
[[measures]]
from = 2020-02-01
until = "2020-12"
instrument.zh-hans = "人社部发〔2020〕11号"
instrument.en = "MOHRSS notice (2020) No. 11"
text.zh-hans = "免征中小微企业单位缴费"
text.en = "SMEs paid no employer contributions"

[[measures]]
from = "2025"
until = 2025-06-20
instrument.zh-hans = "2025年通知"
instrument.en = "2025 notice"
text.zh-hans = "稳岗返还"
text.en = "Job-retention refund"

[[measures]]
from = 2025-07-01
instrument.zh-hans = "新通知"
instrument.en = "new notice"
text.zh-hans = "尚未施行的措施"
text.en = "A measure not yet in force"

[review]
on = 2025-05-01
by.zh-hans = "公共法律服务律师"
by.en = "public lawyer"
"""


def test_measures_are_shown_by_their_own_dates(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent") + MEASURES})
    entry = load_knowledge_base(folder).entries[0]
    assert [m.state(TODAY) for m in entry.measures] == ["expired", "in_force", "pending"]
    shown = answer_context(entry, Language.EN, TODAY)
    assert shown["answer"] == "Negotiate with the landlord."  # the lasting part stays
    assert [(m["text"], m["expired"]) for m in shown["measures"]] == [
        ("SMEs paid no employer contributions", True),
        ("Job-retention refund", False),
    ]
    assert shown["measures"][0]["start"] == {"year": 2020, "month": 2, "day": 1}
    assert shown["measures"][0]["end"] == {"year": 2020, "month": 12, "day": None}
    assert shown["measures"][1]["start"] == {"year": 2025, "month": None, "day": None}
    hidden = answer_context(entry, Language.EN, TODAY, show_expired=False)
    assert [m["text"] for m in hidden["measures"]] == ["Job-retention refund"]
    later = answer_context(entry, Language.ZH_HANT, date(2025, 7, 1))
    assert [m["expired"] for m in later["measures"]] == [True, True, False]
    assert later["measures"][2]["text"] == to_traditional("尚未施行的措施")
    assert shown["review"] == {"on": {"year": 2025, "month": 5, "day": 1}, "by": "public lawyer"}


def test_an_expired_measure_does_not_hide_its_entry(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent") + MEASURES})
    kb = load_knowledge_base(folder)
    assert [h.id for h in kb.search("仓库租金减免", Language.ZH_HANS, date(2030, 1, 1))] == ["rent"]
    assert kb.check(TODAY) == []


def test_check_warns_of_measures_ending_and_of_old_or_missing_reviews(tmp_path: Path) -> None:
    folder = make_kb(
        tmp_path / "faq",
        {"rent.toml": entry_toml("rent") + MEASURES, "bare.toml": entry_toml("bare")},
    )
    kb = load_knowledge_base(folder)
    assert kb.warnings(TODAY) == [
        "bare: no review record ([review] on and by)",
        "rent: measures[1]: ends on 2025-06-20 (19 days left)",
    ]
    assert kb.warnings(date(2025, 12, 1), review_max_age_days=180) == [
        "bare: no review record ([review] on and by)",
        "rent: last reviewed on 2025-05-01, 214 days ago (review every 180 days)",
    ]


LOCAL = """
[[local_practice]]
claim = "the local CCPIT office takes online applications"

[[local_practice]]
claim = "12345 answers rent questions"
confirmed_on = 2025-05-20
confirmed_by = "programme office"
"""


def test_unconfirmed_local_practice_is_listed(tmp_path: Path) -> None:
    text = entry_toml("rent", extra='unverified = ["Art. 9 not checked"]') + LOCAL
    kb = load_knowledge_base(make_kb(tmp_path / "faq", {"rent.toml": text}))
    assert [(e.id, c.claim) for e, c in kb.unconfirmed()] == [
        ("rent", "the local CCPIT office takes online applications")
    ]
    assert kb.entries[0].unverified == ("Art. 9 not checked",)
    assert kb.check(TODAY) == []


def test_check_reports_bad_measures_reviews_and_confirmations(tmp_path: Path) -> None:
    backwards = MEASURES.replace('until = "2020-12"', "until = 2019-12-31").replace(
        "on = 2025-05-01", "on = 2025-07-01"
    )
    half = LOCAL.replace('confirmed_by = "programme office"', "")
    folder = make_kb(tmp_path / "faq", {"rent.toml": entry_toml("rent") + backwards + half})
    assert load_knowledge_base(folder).check(TODAY) == [
        "rent.toml: measures[0].until: ends before it starts",
        "rent.toml: local_practice[1]: give both confirmed_on and confirmed_by, or neither",
        "rent.toml: review.on: 2025-07-01 is in the future",
    ]


# --------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('id = "x"\n[question\n', "-", "not valid TOML"),
        (entry_toml("bad").replace('id = "bad"', ""), "id", "missing"),
        (
            entry_toml("bad").replace('topic = "contracts"', "topic = 3"),
            "topic",
            "non-empty string",
        ),
        (entry_toml("bad").replace("[phrasings]", "[phrasing]"), "phrasing", "unknown key"),
        (
            entry_toml("bad").replace('zh-hans = ["仓库房租', 'zh-cn = ["仓库房租'),
            "phrasings.zh-cn",
            "unknown language",
        ),
        (entry_toml("bad").replace('["仓库", "租金"]', '"仓库"'), "keywords.zh-hans", "array"),
        (entry_toml("bad", extra="valid_until = 2025-06-01T10:00:00"), "valid_until", "date"),
        (entry_toml("bad", extra='valid_from = "2025-06-01"'), "valid_from", "date"),
        (
            entry_toml("bad").replace('phone = "12348"', ""),
            "links[0]",
            "exactly one of phone or url",
        ),
        (
            entry_toml("bad").replace('phone = "12348"', 'phone = "12348"\nurl = "https://a.cn"'),
            "links[0]",
            "exactly one",
        ),
        (entry_toml("bad").replace('phone = "12348"', "phone = 12348"), "links[0].phone", "string"),
        (
            entry_toml("bad").replace('en = "Can the warehouse rent be reduced?"', 'en = ""'),
            "question.en",
            "non-empty",
        ),
        (
            entry_toml("bad") + MEASURES.replace('from = "2025"', 'from = "2025-13"'),
            "measures[1].from",
            "a date like",
        ),
        (
            entry_toml("bad") + MEASURES.replace("from = 2025-07-01\n", ""),
            "measures[2].from",
            "missing",
        ),
        (
            entry_toml("bad") + MEASURES.replace("text.en", "txt.en"),
            "measures[0].txt",
            "unknown key",
        ),
        (entry_toml("bad") + MEASURES.replace("on = 2025-05-01", ""), "review.on", "missing"),
        (
            entry_toml("bad") + LOCAL.replace('claim = "12345', 'claims = "12345'),
            "local_practice[1].claims",
            "unknown key",
        ),
    ],
    ids=[
        "syntax",
        "no-id",
        "topic-type",
        "typo-key",
        "unknown-language",
        "keywords-not-list",
        "datetime",
        "date-as-string",
        "link-without-target",
        "link-with-two-targets",
        "phone-number-type",
        "empty-text",
        "measure-month",
        "measure-without-start",
        "measure-typo",
        "review-without-date",
        "local-typo",
    ],
)
def test_malformed_file_names_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    folder = make_kb(tmp_path / "faq", {"bad.toml": text})
    with pytest.raises(FaqError) as caught:
        load_knowledge_base(folder)
    assert caught.value.file.endswith("bad.toml")
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(str(folder / "bad.toml"))


def test_missing_topics_file_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    folder.mkdir()
    with pytest.raises(FaqError, match=r"_topics\.toml: -: file not found"):
        load_knowledge_base(folder)


def test_check_reports_what_would_go_wrong(tmp_path: Path) -> None:
    folder = make_kb(
        tmp_path / "faq",
        {
            "wrong-name.toml": entry_toml("other-name"),
            "twin.toml": entry_toml("dup"),
            "dup.toml": entry_toml("dup"),
            "orphan.toml": entry_toml("orphan", topic="nowhere"),
            "bad-phone.toml": entry_toml("bad-phone").replace('"12348"', '"123-48"'),
            "plain-http.toml": entry_toml("plain-http").replace(
                'phone = "12348"', 'url = "http://example.cn"'
            ),
            "backwards.toml": entry_toml(
                "backwards", extra="valid_from = 2025-07-01\nvalid_until = 2025-01-01"
            ),
            "no-english.toml": entry_toml("no-english").replace(
                'en = "Negotiate with the landlord."\n', ""
            ),
        },
    )
    problems = "\n".join(load_knowledge_base(folder).check(TODAY))
    assert "wrong-name.toml: id: 'other-name' differs from the file name" in problems
    assert "'dup' already used" in problems
    assert "orphan.toml: topic: 'nowhere'" in problems
    assert "bad-phone.toml: links[0].phone: '123-48' is not digits only" in problems
    assert "plain-http.toml: links[0].url: 'http://example.cn' is not an https:// URL" in problems
    assert "backwards.toml: valid_from: 2025-07-01 is after valid_until 2025-01-01" in problems
    assert "no-english.toml: answer: no en text" in problems
    assert len(problems.splitlines()) == 8, problems


def test_check_reports_a_topic_left_empty(tmp_path: Path) -> None:
    folder = make_kb(
        tmp_path / "faq", {"gone.toml": entry_toml("gone", extra="valid_until = 2025-01-01")}
    )
    assert load_knowledge_base(folder).check(TODAY) == [
        "_topics.toml: topic: 'contracts' has no entry valid on 2025-06-01"
    ]


# --------------------------------------------------------------------------- command line


def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="legal-aid-bot")
    parser.add_argument("--config", type=Path)
    add_faq_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_search_json_prints_ids_and_scores(capsys: pytest.CaptureFixture[str]) -> None:
    args = cli("--config", str(CONFIG), "faq", "search", "疫情算不算不可抗力", "--json")
    assert run_faq(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result, list)
    assert 1 <= len(result) <= 3
    assert all(set(item) == {"id", "score"} for item in result)
    assert all(isinstance(i["id"], str) and isinstance(i["score"], float) for i in result)
    assert result[0]["id"] == "force-majeure"
    assert [i["score"] for i in result] == sorted((i["score"] for i in result), reverse=True)


def test_search_json_prints_empty_list_without_a_good_match(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = cli("--config", str(CONFIG), "faq", "search", "你好", "--json", "--limit", "5")
    assert run_faq(args) == 0
    assert capsys.readouterr().out == "[]\n"


def test_search_text_lists_ranked_entries(capsys: pytest.CaptureFixture[str]) -> None:
    args = cli(
        "--config",
        str(CONFIG),
        "faq",
        "search",
        "loan repayment deferral",
        "--lang",
        "en",
        "--limit",
        "1",
        "--today",
        "2025-06-01",
    )
    assert run_faq(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].split()[1] == "loan-extension"


def test_config_defaults_to_the_config_dir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGAL_AID_CONFIG_DIR", str(CONFIG))
    assert run_faq(cli("faq", "search", "申请法律援助", "--json")) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "legal-aid-application"


def test_cli_does_not_import_the_telegram_edge() -> None:
    tree = ast.parse((ROOT / "bot" / "faq_cli.py").read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {
        m for m in imported if m.split(".")[0] == "telegram" or m.startswith("bot.telegram")
    }


def test_check_passes_on_the_real_knowledge_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_faq(cli("--config", str(CONFIG), "faq", "check")) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(": ok")


def test_every_real_entry_has_a_review_record(kb: KnowledgeBase) -> None:
    assert [e.id for e in kb.entries if e.review is None] == []


def test_check_fails_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_kb(
        tmp_path / "faq",
        {
            "soon.toml": entry_toml("soon", extra="valid_until = 2025-06-10"),
            "misnamed.toml": entry_toml("other"),
        },
    )
    args = cli("--config", str(tmp_path), "faq", "check", "--today", "2025-06-01")
    assert run_faq(args) == 1
    out = capsys.readouterr().out
    assert "problem: misnamed.toml: id: 'other' differs from the file name" in out
    assert "warning: soon: valid until 2025-06-10 (9 days left)" in out
    assert "warning: soon: no review record ([review] on and by)" in out


def test_check_lists_local_practice_and_strict_fails_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = entry_toml("rent", extra='unverified = ["Art. 9 not checked"]') + LOCAL + MEASURES
    make_kb(tmp_path / "faq", {"rent.toml": text})
    args = cli("--config", str(tmp_path), "faq", "check", "--today", "2025-06-01")
    assert run_faq(args) == 0
    out = capsys.readouterr().out
    assert "confirm: rent: the local CCPIT office takes online applications" in out
    assert "unverified: rent: Art. 9 not checked" in out
    assert "warning: rent: measures[1]: ends on 2025-06-20 (19 days left)" in out
    assert out.splitlines()[-1].endswith("1 warning(s), 1 local statement(s) to confirm: ok")
    assert (
        run_faq(cli("--config", str(tmp_path), "faq", "check", "--today", "2025-06-01", "--strict"))
        == 1
    )
    assert capsys.readouterr().out.splitlines()[-1].endswith("2 problem(s) (strict)")


def test_malformed_knowledge_base_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_kb(tmp_path / "faq", {"bad.toml": "id = [\n"})
    assert run_faq(cli("--config", str(tmp_path), "faq", "check")) == 2
    assert "bad.toml: -: not valid TOML" in capsys.readouterr().err


def test_check_reports_an_answer_too_long_for_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_answer = "可以和房东协商。" * 600  # 4,800 characters
    text = entry_toml("long-answer").replace(
        'zh-hans = "可以和房东协商。"', f'zh-hans = "{long_answer}"'
    )
    make_kb(tmp_path / "faq", {"long-answer.toml": text})
    assert run_faq(cli("--config", str(tmp_path), "faq", "check", "--today", "2025-06-01")) == 1
    out = capsys.readouterr().out
    assert "long-answer.toml: answer (zh-hans):" in out
    assert "over Telegram's 4096" in out
    assert "long-answer.toml: answer (en):" not in out
