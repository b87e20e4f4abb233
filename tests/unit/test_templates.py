"""Every template renders in every language, as valid Telegram HTML, with a sample context."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.credit_code import CreditCodeRule
from bot.domain.figures import (
    Counts,
    Figures,
    LowRating,
    Overdue,
    Period,
    QuestionGroup,
    Responses,
    Satisfaction,
)
from bot.domain.models import Enterprise, EnterpriseSource, Language
from bot.domain.phone import PhoneRule
from bot.domain.registration import TextRule
from bot.domain.roster import Issue
from bot.rendering import Renderer
from fake_telegram import parse_html

RENDERER = Renderer()
ENTERPRISE = Enterprise(
    1, "91340400MA2N0000XY", "<b>A&B</b>", "tianjiaan", "other", EnterpriseSource.IMPORT
)


class _Contact:
    def __init__(self, status: str) -> None:
        self.status = status


class _Registration:
    enterprise = ENTERPRISE

    def __init__(self, status: str = "active") -> None:
        self.contact = _Contact(status)


SAMPLE: dict[str, Any] = {
    "name": "<Ann & Bob>",
    "registration": _Registration(),
    "commands": [{"name": "start", "description": "<desc>"}],
    "dialog": "registration",
    "updating": True,
    "registered": True,
    "rule": "check_digit",
    "limit": 50,
    "length": 17,
    "bad_chars": ("<", "&"),
    "suggestions": (("O", "0"),),
    "expected": "Y",
    "text": "<script>",
    "enterprise": ENTERPRISE,
    "imported": True,
    "existing": True,
    "enterprise_name": "<b>A&B</b>",
    "credit_code": "91340400MA2N0000XY",
    "district": "田家庵区",
    "industry": "制造业",
    "contact_name": "王 & 李",
    "phone": "138 1234 5678",
    # cases, intake, staff
    "number": "HN-000001",
    "category": "labour",
    "urgency": "urgent",
    "description": "<工资> & 停工",
    "due": "2026-03-02T09:00:00+00:00",
    "sla_hours": 4,
    "assignee": {"name": "<张警官>", "title": "民警"},
    "signature": {"name": "李律师", "title": "律师 & 顾问"},
    "reason": "<专业不对口>",
    "caption": "合同 <扫描件>",
    "part": 1,
    "parts": 2,
    "count": 2,
    "stars": 4,
    "blocked": True,
    "cases": [
        {
            "number": "HN-000001",
            "category": "labour",
            "status": "open",
            "enterprise": "<A&B>",
            "overdue": True,
            "due": "2026-03-02T09:00:00+00:00",
            "assignee": {"name": "", "title": ""},
        }
    ],
    "case": {
        "number": "HN-000001",
        "category": "labour",
        "status": "accepted",
        "assignee": {"name": "张", "title": "民警"},
    },
    "events": [],
    "problem": "not_found",
    "away": True,
    "attachments": 1,
    "minimum": 5,
    "maximum": 3000,
    "need_text": True,
    "prefilled": "<问题>",
    "role_name": "联络民警",
    "chosen": ["合同", "<劳动>"],
    "link": "https://t.me/bot?start=inv-abc",
    "hours": 72,
    "staff": [
        {
            "id": 1,
            "name": "<张>",
            "title": "民警",
            "role_name": "联络民警",
            "district": "tianjiaan",
            "specialties": ["合同"],
            "open_cases": 2,
            "active": True,
            "available": False,
            "joined": True,
        },
        {
            "id": 2,
            "name": "李",
            "title": "副所长",
            "role_name": "联络民警",
            "district": None,
            "specialties": [],
            "open_cases": 0,
            "active": True,
            "available": True,
            "joined": False,
        },
    ],
    "moved": 3,
    "ok": True,
    "code": "91340400MA2N0000XY",
    "liaison": "张",
    "deputy": "李",
    # faq
    "question": "停工期间<工资>怎么发？",
    "answer": "第一个工资周期 & 之后：生活费",
    "references": ["《工资支付暂行规定》第十二条", "<参考>"],
    "phones": [{"label": "12348 热线", "phone": "12348"}],
    "topic": "劳动 & 用工",
    "helpful": True,
    # contacts
    "status": "active",
    "days": 7,
    "decision": "approve",
    "held": 2,
    "messages": 2,
    "captions": ["<扫描件> & 合同"],
    "contacts": [
        {"name": "<王芳>", "phone": "+8613812345678", "pending": True, "you": False},
        {"name": "李雷", "phone": "+8613912345678", "pending": False, "you": True},
    ],
    "measures": [
        {
            "text": "免征 <单位缴费> & 缓缴",
            "instrument": "人社部发〔2020〕11号",
            "expired": True,
            "start": {"year": 2020, "month": 2, "day": None},
            "end": {"year": 2020, "month": 12, "day": 31},
        },
        {
            "text": "稳岗返还",
            "instrument": "<通知>",
            "expired": False,
            "start": {"year": 2026, "month": None, "day": None},
            "end": None,
        },
    ],
    "review": {"on": {"year": 2026, "month": 12, "day": 1}, "by": "律师 & 审核"},
    # broadcasts and notices
    "urgent": False,
    "zone": "Asia/Shanghai",
    "state": "sending",
    "sent": 120,
    "failed": 1,
    "remaining": 80,
    "total": 203,
    "uncertain": 2,
    "eta": 3,
    "muted": False,
    "broadcasts": [
        {
            "id": 3,
            "status": "scheduled",
            "due": "2026-03-02T09:00:00+00:00",
            "sent": 0,
            "total": 0,
            "text": "<复工> & 说明",
        },
        {
            "id": 4,
            "status": "sending",
            "due": "2026-03-02T09:00:00+00:00",
            "sent": 5,
            "total": 9,
            "text": "b",
        },
    ],
}
# oversight
_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_PERIOD = Period(_NOW - timedelta(days=1), _NOW)
_EMPTY = Satisfaction(0, None, (), 0)
FIGURES = Figures(
    period=_PERIOD,
    now=_NOW,
    counts=Counts(3, 2, 1, 1),
    by_category={"labour": Counts(2, 1, 1, 0), "<x>": Counts(1, 1, 0, 1)},
    by_district={"tianjiaan": Counts(3, 2, 1, 1)},
    responses=Responses(2, 5400.0, 7200.0, 2, 1),
    overdue=(Overdue("HN-000001", "labour", _NOW, "<张>"), Overdue("HN-000002", "x", _NOW, None)),
    overdue_total=12,
    satisfaction=Satisfaction(4, 3.25, (LowRating("HN-000003", 1, "<差> & 慢"),), 2),
    unanswered=(QuestionGroup("<问题>", 3), QuestionGroup("其他", 1)),
    unanswered_total=4,
    failed_updates=2,
)
NO_FIGURES = Figures(
    _PERIOD, _NOW, Counts(), {}, {}, Responses(0, None, None, 0, 0), (), 0, _EMPTY, (), 0
)
SAMPLE.update(
    period="7d",
    figures=FIGURES.context(),
    table="cases",
    rows=3,
    mb=61,
    entries=[
        {"at": "2026-03-02T09:00:00+00:00", "actor": 9000, "action": "export", "subject": "<x>"},
        {"at": "2026-03-02T09:00:00+00:00", "actor": None, "action": "new_kind", "subject": ""},
    ],
    pages=2,
)
STATUSES = ("active", "pending", "refused", "removed")
# Templates that branch on a value are rendered once per value: each branch must say something.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    **{
        name: [{"figures": FIGURES.context()}, {"figures": NO_FIGURES.context()}]
        for name in ("oversight/stats", "oversight/daily_report")
    },
    "oversight/stats": [
        {"figures": f.context(), "period": p}
        for f in (FIGURES, NO_FIGURES)
        for p in ("today", "7d", "30d")
    ],
    "oversight/audit": [{"page": 0, "pages": 1, "total": 2}, {"entries": []}],
    "oversight/export_caption": [{"table": t} for t in ("cases", "enterprises", "staff", "audit")],
    "registration/error_name": [{"rule": r.value} for r in TextRule],
    "registration/error_credit_code": [{"rule": r.value} for r in CreditCodeRule],
    "registration/error_phone": [{"rule": r.value} for r in PhoneRule],
    "errors/expected_input": [{"expected": e} for e in ("text", "button", "phone")],
    "cancelled": [
        {"dialog": d, "updating": u} for d in ("registration", "broadcast", None) for u in (1, 0)
    ],
    "start": [{"registration": None}, *({"registration": _Registration(s)} for s in STATUSES)],
    "contacts/waiting": [{"registration": _Registration(s)} for s in STATUSES[1:]],
    "registration/saved": [{"status": s, "updating": u} for s in STATUSES[:2] for u in (1, 0)],
    "contacts/decided": [
        *({"problem": p} for p in ("stale", "not_allowed")),
        *({"problem": "", "decision": d} for d in ("approve", "refuse", "remove")),
    ],
    "contacts/list": [{}, {"contacts": []}],
    "cases/choose_case": [{"held": 1}, {"held": 3}],
    "cases/ack_owner": [{"messages": 1}, {"messages": 3}],
    "cases/ack_staff": [{"messages": 1}, {"messages": 2}, {"count": 0, "messages": 1}],
    "errors/unknown_input": [{"registered": True}, {"registered": False}],
    "registration/summary": [{"updating": False, "existing": False}, {"imported": False}],
    "cases/opened": [{}, {"assignee": {"name": "", "title": ""}}],
    "cases/errors": [
        {"problem": p}
        for p in (
            "not_found",
            "unknown_case",
            "not_allowed",
            "closed",
            "usage_reply",
            "usage_note",
            "not_registered",
            "no_staff",
            "other",
        )
    ],
    "cases/list_owner": [{}, {"cases": []}],
    "cases/list_staff": [{}, {"cases": []}],
    "cases/away": [{"away": True}, {"away": False}],
    "cases/transferred_done": [{}, {"assignee": {"name": "", "title": ""}}],
    "cases/detail": [
        {
            "events": [
                {
                    "at": "2026-03-02T09:00:00+00:00",
                    "kind": kind,
                    "actor_kind": actor,
                    "text": "<t> & u",
                    "details": {"staff_id": 3, "stars": 5},
                }
                for kind in (
                    "opened",
                    "message",
                    "attachment",
                    "note",
                    "transferred",
                    "assigned",
                    "unassigned",
                    "accepted",
                    "resolved",
                    "rated",
                    "comment",
                    "reopened",
                    "closed",
                    "other",
                )
                for actor in ("owner", "staff")
            ]
        },
        {
            "events": [
                {
                    "at": "2026-03-02T09:00:00+00:00",
                    "kind": "attachment",
                    "actor_kind": "owner",
                    "text": None,
                    "file_kind": file_kind,
                    "details": details,
                }
                for file_kind, details in (
                    ("voice", {"duration": 42}),
                    ("location", {"info": "31.23040, 121.47370"}),
                    ("album", {"items": [{"kind": "photo"}, {"kind": "video"}]}),
                    (None, {}),
                )
            ]
        },
    ],
    "intake/summary": [{"voice": None}, {"voice": 42}],
    "intake/voice_description": [{"duration": 42}],
    "errors/unsupported_kind": [{"kind": "poll"}, {"kind": "other"}],
    **{
        name: [
            {},
            {"kind": "voice", "count": 1, "duration": 42, "info": ""},
            {"kind": "contact", "count": 1, "duration": None, "info": "<李> +86 139"},
            {"kind": "album", "count": 5, "duration": None, "info": ""},
        ]
        for name in ("cases/from_owner", "cases/from_staff", "cases/attachment_caption")
    },
    "intake/error_description": [
        *({"rule": r, "album": False} for r in ("too_short", "too_long", "rest_of_too_long")),
        {"rule": "too_many", "album": False},
        {"rule": "too_many", "album": True},
    ],
    "intake/attachment_received": [
        {"need_text": True, "caption": "", "album": False},
        {"need_text": True, "caption": "<合同>", "album": True},
        {"need_text": False, "album": False},
    ],
    "staff/list": [
        {"page": 0, "pages": 1, "total": 1, "query": ""},
        {"staff": [], "page": 0, "pages": 1, "total": 0, "query": ""},
        {"staff": [], "page": 0, "pages": 1, "total": 0, "query": "张"},
        {"page": 1, "pages": 3, "total": 25, "query": ""},
        {"page": 0, "pages": 1, "total": 12, "query": "张"},
    ],
    "faq/answer": [
        {},
        {"references": [], "phones": [], "measures": [], "review": None},
        {
            "measures": [
                {
                    "text": "t",
                    "instrument": "i",
                    "expired": False,
                    "start": {"year": 2026, "month": 1, "day": 1},
                    "end": {"year": 2027, "month": None, "day": None},
                }
            ]
        },
    ],
    "faq/thanks": [{"helpful": True}, {"helpful": False}],
    "broadcasts/message": [{"urgent": False}, {"urgent": True}],
    "broadcasts/list": [{}, {"broadcasts": []}],
    "broadcasts/progress": [{"state": s} for s in ("writing", "sending", "done", "cancelled")],
    "broadcasts/report": [
        {"state": "done"},
        {"state": "cancelled", "uncertain": 0, "blocked": 0},
    ],
    "broadcasts/cancelled": [{"ok": True}, {"ok": False}],
    "broadcasts/error": [
        {"problem": p}
        for p in ("empty", "too_long", "caption_too_long", "time_format", "past", "too_far", "kind")
    ],
    "notices/status": [{"muted": True}, {"muted": False}],
    "staff/assigned": [
        {"ok": True},
        *(
            {"ok": False, "problem": p, "name": "<x>"}
            for p in ("enterprise", "staff", "role", "inactive", "same", "usage")
        ),
    ],
}
# Every reason a roster row can be refused for, with details for every branch.
_DETAILS = {
    "rule": "too_long",
    "limit": 50,
    "length": 17,
    "bad_chars": ["O", "<"],
    "suggestions": [["O", "0"]],
    "expected": "Y",
    "count": 2,
    "role": "counsel",
    "first": 2,
    "lines": [3, 4],
    "stored": {"name": "<春风>", "district": "tianjiaan"},
    "other": "<张>",
    "stored_role": "counsel",
}
VARIANTS["imports/problem"] = [
    *(
        {"issue": i.value, "column": c, "value": "<x&y>", "details": _DETAILS}
        for i in Issue
        for c in ("credit_code", "liaison")
    ),
    *(
        {
            "issue": "credit_code",
            "column": "credit_code",
            "value": "x",
            "details": {**_DETAILS, "rule": r},
        }
        for r in ("length", "charset", "division", "check_digit")
    ),
    *(
        {"issue": "phone", "column": "phone", "value": "1", "details": {"rule": r.value}}
        for r in PhoneRule
    ),
    *(
        {"issue": "name", "column": "name", "value": "1", "details": {"rule": r.value, "limit": 50}}
        for r in TextRule
    ),
]
NAMES = RENDERER.message_names()


@pytest.mark.parametrize("lang", list(Language), ids=lambda lang: lang.value)
@pytest.mark.parametrize("name", NAMES)
def test_renders_as_valid_telegram_html(name: str, lang: Language) -> None:
    for variant in VARIANTS.get(name, [{}]):
        text = RENDERER.render(name, lang, **{**SAMPLE, **variant})
        parsed = parse_html(text)  # raises on anything Telegram would refuse
        assert parsed.plain.strip(), (name, variant)
        assert len(parsed.plain) <= 4096
        assert "<script>" not in parsed.plain or "&lt;script&gt;" in text


def test_every_language_has_every_template() -> None:
    root = RENDERER.templates_dir
    hans = {p.relative_to(root / "zh-hans") for p in (root / "zh-hans").rglob("*.html")}
    en = {p.relative_to(root / "en") for p in (root / "en").rglob("*.html")}
    assert hans == en
    hant = root / "zh-hant"
    extra = {p.relative_to(hant) for p in hant.rglob("*.html")} if hant.exists() else set()
    assert extra <= hans  # hand-written Traditional overrides only for existing templates


def test_every_button_label_exists_in_every_language() -> None:
    source = (RENDERER.templates_dir / "zh-hans" / "buttons.html").read_text(encoding="utf-8")
    labels = re.findall(r"macro (\w+)\((\w*)\)", source)
    assert len(labels) > 10
    for lang in Language:
        for label, parameter in labels:
            args = ("3",) if parameter else ()
            assert RENDERER.label(lang, label, *args)


def test_traditional_is_converted_from_simplified() -> None:
    assert RENDERER.render("privacy", Language.ZH_HANT).startswith("<b>個人資料說明</b>")


def test_button_labels_are_plain_text() -> None:
    assert RENDERER.label(Language.EN, "cmd_privacy") == "What we store and why"
    assert "&" not in RENDERER.label(Language.EN, "language_en")


def test_faq_alternative_label_shows_the_question_as_written() -> None:
    question = 'Rent & wages: "<b>" or not?'
    for lang in Language:
        assert RENDERER.label(lang, "faq_alternative", question) == "❓ " + question


def test_templates_dir_is_the_repository_folder() -> None:
    assert RENDERER.templates_dir == Path(__file__).resolve().parents[2] / "templates"
