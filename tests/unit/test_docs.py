"""Docs checked against code: every setting documented, every command in /help and menus."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from bot import settings as settings_module
from bot.domain.models import Language, Role
from bot.rendering import Renderer
from bot.telegram.commands import COMMANDS, commands_for

REPO = Path(__file__).resolve().parents[2]


def all_settings() -> list[tuple[str, str]]:
    return [
        (section, field.name)
        for section, cls in settings_module._SECTIONS.items()
        for field in dataclasses.fields(cls)
    ]


def test_every_setting_is_in_settings_toml_with_a_comment() -> None:
    path = REPO / "config" / "settings.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    for section, key in all_settings():
        assert key in data[section], f"[{section}] {key} missing from settings.toml"
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        assert lines[index - 1].startswith("#") or lines[index - 2].startswith("#"), key


def test_every_setting_is_in_the_readme_with_its_variable() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for section, key in all_settings():
        assert f"`[{section}] {key}`" in readme
        assert f"`LEGAL_AID_{section.upper()}_{key.upper()}`" in readme


def test_readme_defaults_match_the_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for section, cls in settings_module._SECTIONS.items():
        for field in dataclasses.fields(cls):
            row = next(
                line
                for line in readme.splitlines()
                if line.startswith("|") and f"`[{section}] {field.name}`" in line
            )
            default = field.default if field.default is not dataclasses.MISSING else ()
            if default in ("", ()):
                assert "empty" in row, row
            else:
                assert f"`{default}`" in row, row


def test_readme_gives_the_ci_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[dev]' && .venv/bin/pytest" in readme
    assert ".venv/bin/pip install --quiet -e '.[dev]'" in ci
    assert re.search(r"^\.venv/bin/pytest$", ci, re.MULTILINE)


def test_every_command_has_a_description_in_every_language() -> None:
    renderer = Renderer()
    for command in COMMANDS:
        for lang in Language:
            description = renderer.label(lang, f"cmd_{command.name}")
            assert 3 <= len(description) <= 256


# PRODUCT §8, written out independently of commands.py; /contacts comes from issue 9 (a contact
# can be approved and removed by the others), /notices from issue 11 (§3.5: mute notices).
OWNER_COMMANDS = {
    "start", "help", "register", "ask", "mycases", "faq", "contacts", "language", "privacy",
    "deleteme", "cancel", "notices",
}  # fmt: skip


def test_owners_see_exactly_the_owner_commands_of_the_specification() -> None:
    assert {c.name for c in commands_for(Role.OWNER)} == OWNER_COMMANDS


def test_commands_in_the_readme_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    built = {c.name for c in COMMANDS}
    mentioned = set(re.findall(r"`/(\w+)`", readme)) - {"newbot"}  # BotFather's, not ours
    assert mentioned <= built
