"""Roster sheets (PRODUCT §5.2): which column is which, and what a row of each kind says.

A sheet is the programme's own: headings in Chinese or English, in any order, with columns of
its own beside ours (ignored). Each row is read into a record or into the problems that keep
it out; nothing here knows files or the database. Planning a read sheet against what is
stored: bot/domain/roster_plan.py. Decisions: docs/imports.md.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain import credit_code, phone
from bot.domain.models import Choice, Role
from bot.domain.onboarding import NAME_MAX
from bot.domain.registration import ENTERPRISE_NAME_MAX, TextError, clean_name


class Kind(enum.StrEnum):
    """What a sheet lists."""

    ENTERPRISES = "enterprises"
    STAFF = "staff"


class Column(enum.StrEnum):
    """The columns the import reads, and those its report adds (ignored when read back)."""

    NAME = "name"
    CREDIT_CODE = "credit_code"
    DISTRICT = "district"
    INDUSTRY = "industry"
    LIAISON = "liaison"
    DEPUTY = "deputy"
    PHONE = "phone"
    TITLE = "title"
    ROLE = "role"
    SPECIALTIES = "specialties"
    USERNAME = "telegram_username"
    # Added by the report.
    LINE = "line"
    PROBLEM = "problem"
    INVITE = "invite"
    INVITE_EXPIRES = "invite_expires"


REPORT_COLUMNS = (Column.LINE, Column.PROBLEM, Column.INVITE, Column.INVITE_EXPIRES)

# Headings as programmes write them (compared folded: see heading_key). The first of each list
# is the one the sample files and the report use.
_ENTERPRISE_HEADINGS: dict[Column, tuple[str, ...]] = {
    Column.NAME: ("企业名称", "名称", "企业", "单位名称", "公司名称", "name", "enterprise",
                  "enterprise name", "company", "company name"),
    Column.CREDIT_CODE: ("统一社会信用代码", "社会信用代码", "信用代码", "credit code",
                         "unified social credit code", "uscc"),
    Column.DISTRICT: ("所属区", "区", "区县", "辖区", "所在区", "district"),
    Column.INDUSTRY: ("行业", "所属行业", "industry"),
    Column.LIAISON: ("联络民警", "包联民警", "联络员", "民警", "liaison", "police liaison"),
    Column.DEPUTY: ("备用联络民警", "副联络民警", "B岗民警", "deputy", "deputy liaison"),
    Column.PHONE: ("联系电话", "电话", "企业电话", "phone", "telephone"),
}  # fmt: skip
_STAFF_HEADINGS: dict[Column, tuple[str, ...]] = {
    Column.NAME: ("姓名", "名字", "name", "full name"),
    Column.TITLE: ("职务", "职称", "称谓", "title"),
    Column.ROLE: ("角色", "身份", "类别", "role"),
    Column.DISTRICT: ("所属区", "区", "区县", "辖区", "district"),
    Column.SPECIALTIES: ("专长", "擅长领域", "专业领域", "专业", "specialties", "specialty"),
    Column.PHONE: ("手机", "电话", "联系电话", "phone", "mobile"),
    Column.USERNAME: ("Telegram用户名", "电报用户名", "用户名", "telegram username",
                      "telegram", "username"),
}  # fmt: skip
HEADINGS: dict[Kind, dict[Column, tuple[str, ...]]] = {
    Kind.ENTERPRISES: _ENTERPRISE_HEADINGS,
    Kind.STAFF: _STAFF_HEADINGS,
}
REQUIRED: dict[Kind, tuple[Column, ...]] = {
    Kind.ENTERPRISES: (Column.NAME, Column.CREDIT_CODE, Column.DISTRICT, Column.INDUSTRY),
    Kind.STAFF: (Column.NAME, Column.ROLE),
}
# The report's own columns, by language (read back in any of them).
REPORT_HEADINGS: dict[Column, dict[str, str]] = {
    Column.LINE: {"zh-hans": "原行号", "zh-hant": "原行號", "en": "line"},
    Column.PROBLEM: {"zh-hans": "问题", "zh-hant": "問題", "en": "problem"},
    Column.INVITE: {"zh-hans": "邀请链接", "zh-hant": "邀請連結", "en": "invite link"},
    Column.INVITE_EXPIRES: {
        "zh-hans": "链接有效期至",
        "zh-hant": "連結有效期至",
        "en": "invite expires",
    },
}
# Roles as rosters name them, besides the ids and the bot's own labels (role_* buttons).
ROLE_WORDS: dict[str, Role] = {
    "民警": Role.LIAISON, "警察": Role.LIAISON, "联络员": Role.LIAISON, "police": Role.LIAISON,
    "律师": Role.COUNSEL, "顾问": Role.COUNSEL, "法律顾问": Role.COUNSEL, "lawyer": Role.COUNSEL,
    "counsel": Role.COUNSEL, "管理员": Role.ADMIN, "admin": Role.ADMIN,
}  # fmt: skip
# Rows looked at for the headings (a programme's sheet may start with a title row or two).
HEADING_SCAN = 5
_FOLD = re.compile(r"[\s*_\-:：()（）]")
_NOTE = re.compile(r"\([^)]*\)")  # after NFKC, （…） is (…)
_LIST = re.compile(r"[,，、;；/|\n]+")
# Telegram: 5-32 characters, letters, digits and underscores, starting with a letter.
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")


def heading_key(text: str) -> str:
    """A heading or value folded for comparison: width, case, spaces, marks like * and notes
    in brackets ignored (统一社会信用代码（必填） is 统一社会信用代码)."""
    folded = _NOTE.sub("", unicodedata.normalize("NFKC", text))
    return _FOLD.sub("", folded).casefold()


class SheetError(ValueError):
    """A sheet that cannot be read as a roster at all (its headings), in one sentence."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each known column is in a sheet, and the headings that were not recognised."""

    kind: Kind
    line: int  # the heading row's line in the file
    headings: tuple[str, ...]
    index: Mapping[Column, int]
    ignored: tuple[str, ...]
    chinese: bool  # the headings are Chinese: the report adds its columns in Chinese

    def cells(self, values: Sequence[str]) -> dict[Column, str]:
        """A row's cells by column (missing cells are empty)."""
        return {
            column: values[i].strip() if i < len(values) else "" for column, i in self.index.items()
        }


def layout(kind: Kind, headings: Sequence[str], line: int = 1) -> Layout:
    """Recognise a sheet's headings; raises SheetError when a required one is missing."""
    aliases = {heading_key(a): c for c, names in HEADINGS[kind].items() for a in names}
    report = {heading_key(h): c for c, by in REPORT_HEADINGS.items() for h in by.values()}
    index: dict[Column, int] = {}
    ignored: list[str] = []
    for i, heading in enumerate(headings):
        key = heading_key(heading)
        column = aliases.get(key) or report.get(key)
        if column is None:
            if heading.strip():
                ignored.append(heading.strip())
            continue
        if column in index:
            raise SheetError(
                f"two columns are {column.value} ({headings[index[column]]!r} and {heading!r})"
            )
        index[column] = i
    missing = [c for c in REQUIRED[kind] if c not in index]
    if missing:
        wanted = "; ".join(
            f"{c.value} (e.g. {' / '.join(HEADINGS[kind][c][:2])} / {HEADINGS[kind][c][-1]})"
            for c in missing
        )
        raise SheetError(f"no column for {wanted} in the heading row")
    chinese = any("\u4e00" <= ch <= "\u9fff" for h in headings for ch in h)
    return Layout(kind, line, tuple(headings), index, tuple(ignored), chinese)


def find_layout(kind: Kind, rows: Iterator[tuple[int, Sequence[str]]]) -> Layout:
    """The heading row: the first of the first HEADING_SCAN non-blank rows that has every
    required heading (a title row may sit above it); raises SheetError for the first row."""
    first: SheetError | None = None
    tried = 0
    for line, values in rows:
        if not any(v.strip() for v in values):
            continue
        try:
            return layout(kind, values, line)
        except SheetError as exc:
            first = first or exc
        tried += 1
        if tried == HEADING_SCAN:
            break
    raise first or SheetError("the sheet is empty")


class Issue(enum.StrEnum):
    """Why a row is not imported; templates/<lang>/imports/problem.html says it to people."""

    MISSING = "missing"  # a required cell is empty
    CREDIT_CODE = "credit_code"  # breaks a rule of GB 32100-2015 (details: the rule)
    NAME = "name"  # not a plausible name (details: the rule)
    DISTRICT = "district"  # not a configured district
    INDUSTRY = "industry"  # not a configured industry
    PHONE = "phone"  # not a usable mainland number (details: the rule)
    ROLE = "role"  # not liaison, counsel or admin
    SPECIALTY = "specialty"  # not a configured specialty
    USERNAME = "username"  # not a Telegram username
    NEEDS_DISTRICT = "needs_district"  # a liaison without a district
    NEEDS_SPECIALTY = "needs_specialty"  # a counsel without a specialty
    STAFF_UNKNOWN = "staff_unknown"  # liaison or deputy: nobody by that reference
    STAFF_AMBIGUOUS = "staff_ambiguous"  # several staff by that name
    NOT_LIAISON = "not_liaison"  # that person is counsel or an admin
    STAFF_INACTIVE = "staff_inactive"  # that person was deactivated
    SAME_PERSON = "same_person"  # the deputy is the liaison
    REPEATS = "repeats"  # the same row again (the first one is imported)
    CLASHES = "clashes"  # the same enterprise or person with other data on other lines
    REGISTERED = "registered"  # registered by its owner with other name, district or industry
    ROLE_CONFLICT = "role_conflict"  # that person is on the roster with another role
    DEACTIVATED = "deactivated"  # that person was deactivated: an import does not reactivate
    USERNAME_TAKEN = "username_taken"  # another staff member has that username
    PERSON_AMBIGUOUS = "person_ambiguous"  # several staff of that name and role, no phone


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row is refused: the issue, the column and value it is about, details."""

    issue: Issue
    column: Column | None = None
    value: str = ""
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refused:
    """A row that is not imported, by its line in the file, with every reason found."""

    line: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    """An enterprise as a sheet row gives it; liaison and deputy are references (or empty)."""

    line: int
    credit_code: str
    name: str
    district: str
    industry: str
    liaison: str = ""
    deputy: str = ""
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class StaffRow:
    """A staff member as a sheet row gives them (empty optional cells are None or ())."""

    line: int
    name: str
    role: Role
    title: str = ""
    district: str | None = None
    specialties: tuple[str, ...] = ()
    phone: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What the cells may say: the configured districts, industries and specialties, and the
    names of roles and specialties in every language (folded with heading_key)."""

    districts: Sequence[Choice]
    industries: Sequence[Choice]
    roles: Mapping[str, Role]
    specialties: Mapping[str, str]


def match_choice(choices: Sequence[Choice], text: str) -> str | None:
    """The id of the option a text names: its id or a label in any language, else the one
    option whose label contains it (田家庵 for 田家庵区); None when none or several."""
    wanted = text.strip().casefold()
    if not wanted:
        return None
    for c in choices:
        if wanted == c.id.casefold() or any(wanted == v.casefold() for v in c.labels.values()):
            return c.id
    found = [c.id for c in choices if any(wanted in v.casefold() for v in c.labels.values())]
    return found[0] if len(found) == 1 else None


def _name(cells: Mapping[Column, str], limit: int, problems: list[Problem]) -> str:
    try:
        return clean_name(cells.get(Column.NAME, ""), limit)
    except TextError as exc:
        value = cells.get(Column.NAME, "")
        if not value:
            problems.append(Problem(Issue.MISSING, Column.NAME))
        else:
            details = {"rule": exc.rule.value, "limit": exc.limit}
            problems.append(Problem(Issue.NAME, Column.NAME, value, details))
        return ""


def _phone(cells: Mapping[Column, str], problems: list[Problem]) -> str | None:
    text = cells.get(Column.PHONE, "")
    if not text:
        return None
    try:
        return phone.parse(text).e164
    except phone.PhoneError as exc:
        problems.append(Problem(Issue.PHONE, Column.PHONE, text, {"rule": exc.rule.value}))
        return None


def _choice(
    cells: Mapping[Column, str],
    column: Column,
    choices: Sequence[Choice],
    issue: Issue,
    problems: list[Problem],
    *,
    required: bool,
) -> str | None:
    text = cells.get(column, "")
    if not text:
        if required:
            problems.append(Problem(Issue.MISSING, column))
        return None
    found = match_choice(choices, text)
    if found is None:
        problems.append(Problem(issue, column, text))
    return found


def credit_code_problem(text: str) -> Problem | str:
    """The normalized code, or the problem naming the GB 32100-2015 rule it breaks."""
    try:
        return credit_code.validate(text)
    except credit_code.CreditCodeError as exc:
        if exc.rule is credit_code.CreditCodeRule.EMPTY:
            return Problem(Issue.MISSING, Column.CREDIT_CODE)
        details = {
            "rule": exc.rule.value,
            "length": exc.length,
            "bad_chars": list(exc.bad_chars),
            "suggestions": [list(s) for s in exc.suggestions],
            "expected": exc.expected,
        }
        return Problem(Issue.CREDIT_CODE, Column.CREDIT_CODE, text, details)


def read_enterprise(
    line: int, cells: Mapping[Column, str], vocabulary: Vocabulary
) -> EnterpriseRow | Refused:
    """An enterprise row, or every problem of its cells."""
    problems: list[Problem] = []
    code = credit_code_problem(cells.get(Column.CREDIT_CODE, ""))
    if isinstance(code, Problem):
        problems.append(code)
    name = _name(cells, ENTERPRISE_NAME_MAX, problems)
    district = _choice(
        cells, Column.DISTRICT, vocabulary.districts, Issue.DISTRICT, problems, required=True
    )
    industry = _choice(
        cells, Column.INDUSTRY, vocabulary.industries, Issue.INDUSTRY, problems, required=True
    )
    number = _phone(cells, problems)
    if problems or isinstance(code, Problem) or district is None or industry is None:
        return Refused(line, tuple(problems))
    return EnterpriseRow(
        line,
        code,
        name,
        district,
        industry,
        liaison=cells.get(Column.LIAISON, ""),
        deputy=cells.get(Column.DEPUTY, ""),
        phone=number,
    )


def read_staff(
    line: int, cells: Mapping[Column, str], vocabulary: Vocabulary
) -> StaffRow | Refused:
    """A staff row, or every problem of its cells."""
    problems: list[Problem] = []
    name = _name(cells, NAME_MAX, problems)
    role_text = cells.get(Column.ROLE, "")
    role = vocabulary.roles.get(heading_key(role_text)) or ROLE_WORDS.get(heading_key(role_text))
    if not role_text:
        problems.append(Problem(Issue.MISSING, Column.ROLE))
    elif role is None:
        problems.append(Problem(Issue.ROLE, Column.ROLE, role_text))
    title = ""
    if cells.get(Column.TITLE):
        try:
            title = clean_name(cells[Column.TITLE], NAME_MAX)
        except TextError as exc:
            details = {"rule": exc.rule.value, "limit": exc.limit}
            problems.append(Problem(Issue.NAME, Column.TITLE, cells[Column.TITLE], details))
    district = _choice(
        cells, Column.DISTRICT, vocabulary.districts, Issue.DISTRICT, problems, required=False
    )
    specialties: list[str] = []
    for part in _LIST.split(cells.get(Column.SPECIALTIES, "")):
        if not part.strip():
            continue
        found = vocabulary.specialties.get(heading_key(part))
        if found is None:
            problems.append(Problem(Issue.SPECIALTY, Column.SPECIALTIES, part.strip()))
        elif found not in specialties:
            specialties.append(found)
    number = _phone(cells, problems)
    username = _username(cells.get(Column.USERNAME, ""), problems)
    if problems or role is None:
        return Refused(line, tuple(problems))
    return StaffRow(
        line,
        name,
        role,
        title=title,
        district=district if role is Role.LIAISON else None,
        specialties=tuple(specialties) if role is Role.COUNSEL else (),
        phone=number,
        username=username,
    )


def _username(text: str, problems: list[Problem]) -> str | None:
    bare = text.strip()
    for prefix in ("https://", "http://", "t.me/", "@"):
        bare = bare.removeprefix(prefix)
    if not bare:
        return None
    if not _USERNAME.fullmatch(bare):
        problems.append(Problem(Issue.USERNAME, Column.USERNAME, text))
        return None
    return bare
