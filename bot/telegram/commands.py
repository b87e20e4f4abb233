"""Command names: one list used for registration, /help and the per-scope command menus."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Role

START = "start"
HELP = "help"
REGISTER = "register"
LANGUAGE = "language"
PRIVACY = "privacy"
DELETEME = "deleteme"
CANCEL = "cancel"
ASK = "ask"
FAQ = "faq"
MYCASES = "mycases"
CASES = "cases"
REPLY = "reply"
NOTE = "note"
AWAY = "away"
BACK = "back"
STAFF = "staff"
INVITE = "invite"
ASSIGN = "assign"
CONTACTS = "contacts"
STATS = "stats"
EXPORT = "export"
AUDIT = "audit"
BROADCAST = "broadcast"
NOTICES = "notices"


@dataclass(frozen=True, slots=True)
class Command:
    """A command and the roles that may use it; its description is the cmd_<name> label."""

    name: str
    roles: frozenset[Role]


_ALL = frozenset(Role)
_OWNER = frozenset({Role.OWNER})
_STAFF = frozenset({Role.LIAISON, Role.COUNSEL, Role.ADMIN})
_WORKERS = frozenset({Role.LIAISON, Role.COUNSEL})
_ADMIN = frozenset({Role.ADMIN})

COMMANDS: tuple[Command, ...] = (
    Command(START, _ALL),
    Command(HELP, _ALL),
    Command(REGISTER, _OWNER),
    Command(ASK, _OWNER),
    Command(MYCASES, _OWNER),
    Command(FAQ, _OWNER),
    Command(CONTACTS, frozenset({Role.OWNER, Role.LIAISON, Role.ADMIN})),
    Command(CASES, _STAFF),
    Command(REPLY, _STAFF),
    Command(NOTE, _STAFF),
    Command(AWAY, _WORKERS),
    Command(BACK, _WORKERS),
    Command(STAFF, _ADMIN),
    Command(INVITE, _ADMIN),
    Command(ASSIGN, _ADMIN),
    Command(STATS, _ADMIN),
    Command(EXPORT, _ADMIN),
    Command(AUDIT, _ADMIN),
    Command(BROADCAST, _ADMIN),
    Command(NOTICES, _OWNER),
    Command(LANGUAGE, _ALL),
    Command(PRIVACY, _OWNER),
    Command(DELETEME, _OWNER),
    Command(CANCEL, _ALL),
)


def commands_for(role: Role) -> list[Command]:
    """The commands a role sees in /help and in its menu, in menu order."""
    return [c for c in COMMANDS if role in c.roles]


def allowed(name: str, role: Role) -> bool:
    """Whether the role may use the command."""
    return any(c.name == name and role in c.roles for c in COMMANDS)
