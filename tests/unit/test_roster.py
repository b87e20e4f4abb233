"""The pure rules of roster imports: headings, rows, duplicates, matching what is stored."""

from __future__ import annotations

import pytest

from bot.domain.models import Choice, Enterprise, EnterpriseSource, Role, Staff
from bot.domain.roster import (
    Column,
    EnterpriseRow,
    Issue,
    Kind,
    Refused,
    SheetError,
    StaffRow,
    Vocabulary,
    find_layout,
    layout,
    match_choice,
    read_staff,
)
from bot.domain.roster_plan import StaffIndex, duplicates, plan_enterprises, plan_staff
from bot.sheets import cell_text
from tests.codes import code_number

DISTRICTS = [
    Choice("tianjiaan", {"zh-hans": "田家庵区", "en": "Tianjia'an District"}),
    Choice("tianxin", {"zh-hans": "田心区", "en": "Tianxin District"}),
]
VOCABULARY = Vocabulary(DISTRICTS, [], {"liaison": Role.LIAISON}, {"contracts": "contracts"})


def person(sid: int, name: str, role: Role = Role.LIAISON, **extra: object) -> Staff:
    fields: dict[str, object] = {
        "telegram_id": None, "title": "", "district": "tianjiaan", "specialties": (),
        "available": True, "active": True,
    }  # fmt: skip
    fields |= extra
    return Staff(sid, display_name=name, role=role, **fields)  # type: ignore[arg-type]


def test_headings_are_folded_and_report_columns_recognised() -> None:
    found = layout(
        Kind.ENTERPRISES, ["* 企业名称 ", "统一社会信用代码（必填）", "所属区", "行 业", "问题"]
    )
    assert found.index[Column.NAME] == 0
    assert found.index[Column.DISTRICT] == 2
    assert found.index[Column.INDUSTRY] == 3
    assert found.index[Column.PROBLEM] == 4
    assert found.index[Column.CREDIT_CODE] == 1


def test_a_missing_or_doubled_column_names_itself() -> None:
    with pytest.raises(SheetError, match="credit_code"):
        layout(Kind.ENTERPRISES, ["企业名称", "所属区", "行业"])
    with pytest.raises(SheetError, match="two columns are district"):
        layout(Kind.ENTERPRISES, ["名称", "信用代码", "区", "辖区", "行业"])


def test_the_heading_row_may_sit_under_a_title() -> None:
    rows = iter([(1, ["复工企业名单"]), (2, ["", ""]), (3, ["名称", "信用代码", "区", "行业"])])
    assert find_layout(Kind.ENTERPRISES, rows).line == 3
    with pytest.raises(SheetError, match="the sheet is empty"):
        find_layout(Kind.STAFF, iter([(1, [" "])]))


def test_a_district_is_named_by_id_label_or_the_one_label_containing_it() -> None:
    assert match_choice(DISTRICTS, "Tianjia'an District") == "tianjiaan"
    assert match_choice(DISTRICTS, "田家庵") == "tianjiaan"
    assert match_choice(DISTRICTS, "田") is None  # both contain it
    assert match_choice(DISTRICTS, "TIANXIN") == "tianxin"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("@zhang_wei", "zhang_wei"),
        ("https://t.me/zhang_wei", "zhang_wei"),
        ("t.me/ZhangW", "ZhangW"),
    ],
)
def test_usernames_are_read_from_links_and_at_signs(cell: str, expected: str) -> None:
    cells = {Column.NAME: "张伟", Column.ROLE: "liaison", Column.DISTRICT: "田家庵区",
             Column.USERNAME: cell}  # fmt: skip
    row = read_staff(2, cells, VOCABULARY)
    assert isinstance(row, StaffRow)
    assert row.username == expected


def test_a_row_gets_every_problem_it_has() -> None:
    cells = {Column.NAME: "", Column.ROLE: "厨师", Column.DISTRICT: "火星", Column.PHONE: "1"}
    refused = read_staff(5, cells, VOCABULARY)
    assert isinstance(refused, Refused)
    assert [p.issue for p in refused.problems] == [
        Issue.MISSING, Issue.ROLE, Issue.DISTRICT, Issue.PHONE,
    ]  # fmt: skip


def test_duplicates_repeat_or_clash() -> None:
    one = EnterpriseRow(2, code_number(1), "甲", "tianjiaan", "x")
    rows = [one, EnterpriseRow(3, code_number(1), "甲", "tianjiaan", "x"),
            EnterpriseRow(4, code_number(2), "乙", "tianjiaan", "x"),
            EnterpriseRow(5, code_number(2), "丙", "tianjiaan", "x")]  # fmt: skip
    found = {
        r.line: r.problems[0] for r in duplicates(rows, lambda r: [r.credit_code], Column.NAME)
    }
    assert set(found) == {3, 4, 5}
    assert found[3].issue is Issue.REPEATS
    assert found[3].details == {"first": 2}
    assert found[4].issue is Issue.CLASHES
    assert found[4].details == {"lines": [5]}


def test_staff_are_named_by_id_phone_username_or_name() -> None:
    index = StaffIndex([
        person(1, "张伟", phone="+8613900000001", telegram_username="ZW"),
        person(2, "李娜"), person(3, "李娜"),
    ])  # fmt: skip
    assert [s.id for s in index.lookup("#1")] == [1]
    assert [s.id for s in index.lookup("139 0000 0001")] == [1]
    assert [s.id for s in index.lookup("@zw")] == [1]
    assert [s.id for s in index.lookup("李娜")] == [2, 3]
    problem = index.liaison(Column.LIAISON, "李娜")
    assert not isinstance(problem, Staff)
    assert problem.issue is Issue.STAFF_AMBIGUOUS


def test_an_empty_cell_keeps_the_stored_liaison() -> None:
    stored = Enterprise(7, code_number(1), "甲", "tianjiaan", "x", EnterpriseSource.IMPORT,
                        liaison_id=1)  # fmt: skip
    plan = plan_enterprises(
        [EnterpriseRow(2, code_number(1), "甲", "tianjiaan", "x")],
        {code_number(1): stored},
        [person(1, "张伟")],
    )
    assert plan.unchanged == [(2, 7)]
    assert not plan.updated


def test_namesakes_with_different_phones_are_different_people() -> None:
    stored = [person(1, "张伟", phone="+8613900000001")]
    row = StaffRow(2, "张伟", Role.LIAISON, district="tianjiaan", phone="+8613900000002")
    plan = plan_staff([row], stored)
    assert len(plan.added) == 1
    same = StaffRow(3, "张伟", Role.LIAISON, title="所长", district="tianjiaan")
    plan = plan_staff([same], stored)
    assert [c.id for c in plan.updated] == [1]
    assert plan.updated[0].phone == "+8613900000001"  # kept


def test_cells_come_out_as_excel_shows_them() -> None:
    import datetime as dt

    assert cell_text(13900001111.0) == "13900001111"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""
    assert cell_text(dt.datetime(2026, 3, 2)) == "2026-03-02"  # noqa: DTZ001 (Excel's are naive)
