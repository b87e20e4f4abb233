"""Who is in the sandbox: the people of the page and the programme seeded on first start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain.credit_code import check_digit
from bot.domain.models import Language
from bot.settings import Settings

ADMIN_BY_ID = 9000  # configured by id ([access] admins): invites the staff, assigns liaisons


@dataclass(frozen=True)
class Someone:
    """A person of the page (``group``: owners, staff, others; ``open``: a pane at first visit)."""

    id: int
    name: str
    language_code: str
    role: str
    group: str
    phone: str
    open: bool = False


@dataclass(frozen=True)
class StaffMember:
    """Staff onboarded through the real invite flow: who, the invite's role, their answers."""

    person: Someone
    invite_role: str  # liaison, counsel, admin
    title: str
    district: str | None = None  # district id (liaisons)
    specialties: tuple[str, ...] = ()  # specialty names (counsel)


@dataclass(frozen=True)
class Enterprise:
    """An enterprise registered through the real registration flow by its seeded owner."""

    owner: Someone
    name: str
    code: str
    district: str  # district id
    industry: str  # industry id
    contact: str
    phone: str
    liaison: StaffMember | None = field(default=None)


def _code(series: str, number: int) -> str:
    first17 = f"91340400MA8{series}{number:04d}X"
    return first17 + check_digit(first17)


CONFIGURED_ADMIN = Someone(
    ADMIN_BY_ID, "系统管理员", "zh-hans", "Admin by id in the settings", "others", "+8613800009000"
)
OWNER_ZH = Someone(
    1001, "王芳", "zh-hans", "Owner · Chinese client", "owners", "+8613812345678", True
)
OWNER_EN = Someone(1002, "Emily Chen", "en", "Owner · English client", "owners", "+8613987654321")
LIAISON = StaffMember(
    Someone(
        3001, "张警官", "zh-hans", "Police liaison · 田家庵区", "staff", "+8613900003001", True
    ),
    "liaison",
    "田家庵分局民警",
    district="tianjiaan",
)
COUNSEL_CONTRACTS = StaffMember(
    Someone(3101, "李律师", "zh-hans", "Counsel · contracts, labour", "staff", "+8613900003101"),
    "counsel",
    "淮河律师事务所律师",
    specialties=("contracts", "labour"),
)
COUNSEL_FINANCE = StaffMember(
    Someone(3102, "赵顾问", "zh-hans", "Counsel · finance, litigation", "staff", "+8613900003102"),
    "counsel",
    "市政府法律顾问",
    specialties=("finance", "litigation", "general"),
)
ADMIN = StaffMember(
    Someone(3201, "周主任", "zh-hans", "Admin (invited)", "staff", "+8613900003201"),
    "admin",
    "市司法局",
)
STAFF = (LIAISON, COUNSEL_CONTRACTS, COUNSEL_FINANCE, ADMIN)

ENTERPRISES = (
    Enterprise(
        Someone(2001, "刘强", "zh-hans", "Owner · 春风机械 (seeded)", "owners", "+8613811112001"),
        "淮南市春风机械制造有限公司",
        _code("E", 1),
        "tianjiaan",
        "manufacturing",
        "刘强",
        "13811112001",
        LIAISON,
    ),
    Enterprise(
        Someone(2002, "陈静", "zh-hans", "Owner · 和顺物流 (seeded)", "owners", "+8613811112002"),
        "淮南和顺物流有限公司",
        _code("E", 2),
        "datong",
        "logistics",
        "陈静",
        "13811112002",
        LIAISON,
    ),
    Enterprise(
        Someone(2003, "孙伟", "zh-hans", "Owner · 八公山食品 (seeded)", "owners", "+8613811112003"),
        "寿县八公山豆制品有限公司",
        _code("E", 3),
        "shouxian",
        "catering-hospitality",
        "孙伟",
        "13811112003",
        LIAISON,
    ),
)

PEOPLE: tuple[Someone, ...] = (
    OWNER_ZH,
    OWNER_EN,
    *(s.person for s in STAFF),
    *(e.owner for e in ENTERPRISES),
    CONFIGURED_ADMIN,
)

# Valid codes nobody registered, for visitors; and one whose check digit is wrong.
SAMPLE_CODES = tuple(_code("K", n) for n in (1, 2, 3))
WRONG_CODE = SAMPLE_CODES[0][:17] + ("0" if SAMPLE_CODES[0][17] != "0" else "1")


def intro(settings: Settings) -> dict[str, Any]:
    """What the page says first: a round trip in four steps, and credit codes to use."""
    district = next(d for d in settings.districts if d.id == LIAISON.district)
    zh, en = district.label(Language.ZH_HANS), district.label(Language.EN)
    liaison = LIAISON.person.name
    return {
        "title": "Try a round trip",
        "steps": [
            f"{OWNER_ZH.name} (or {OWNER_EN.name}, in English): send /start, press the register"
            f" button and answer. Use a credit code below; pick {zh} ({en}): {liaison} serves it.",
            "Send /ask, pick a police category (治安业务 · Public order permits), describe the"
            " problem, choose the urgency and send the request.",
            f"The case card arrives in {liaison}'s chat: press 💬 回复 (Reply) or ↩ Reply on the"
            " card, and write an answer. It reaches the owner, who can answer back the same way.",
            f"{liaison} presses 🏁 已解决 (Solved); the owner rates the help.",
        ],
        "samples": [
            *({"label": "Unused credit code", "value": code} for code in SAMPLE_CODES),
            {"label": "Wrong check digit", "value": WRONG_CODE},
        ],
    }
