"""Dependencies point inward: read every module's imports and check the layer rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
FAKE = BOT.parent / "fake_telegram"
FRAMEWORKS = {"telegram", "aiosqlite", "jinja2", "apscheduler", "httpx", "sqlite3"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((BOT / folder).rglob("*.py"))


def top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_imports_no_framework_and_no_outer_layer(path: Path) -> None:
    found = imports(path)
    assert not top(found) & FRAMEWORKS
    assert not {n for n in found if n.startswith(("bot.services", "bot.storage", "bot.telegram"))}


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_depend_on_domain_only(path: Path) -> None:
    found = imports(path)
    assert not top(found) & FRAMEWORKS
    assert not {n for n in found if n.startswith(("bot.storage", "bot.telegram", "bot.rendering"))}


def test_only_storage_imports_aiosqlite() -> None:
    offenders = [
        p for p in BOT.rglob("*.py") if "aiosqlite" in top(imports(p)) and "storage" not in p.parts
    ]
    assert offenders == []


def test_storage_knows_nothing_of_telegram_or_templates() -> None:
    for path in modules("storage"):
        assert not top(imports(path)) & {"telegram", "jinja2"}, path


def test_only_the_edge_imports_telegram() -> None:
    edge = {"app.py", "context.py", "__main__.py"}
    offenders = [
        p
        for p in BOT.rglob("*.py")
        if "telegram" in top(imports(p)) and "telegram" not in p.parent.name and p.name not in edge
    ]
    assert offenders == []


def test_only_rendering_imports_jinja2() -> None:
    offenders = [p.name for p in BOT.rglob("*.py") if "jinja2" in top(imports(p))]
    assert offenders == ["rendering.py"]


def test_handlers_hold_no_sql() -> None:
    for path in modules("telegram"):
        text = path.read_text(encoding="utf-8")
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            assert keyword not in text, f"{path.name} contains SQL ({keyword.strip()})"


def test_the_bot_does_not_depend_on_its_test_double() -> None:
    """Only the sandbox command (bot/sandbox/) runs the bot against the emulator; the bot it
    runs is a child process that never imports either, and only the CLI reaches the sandbox."""
    sandbox = BOT / "sandbox"
    offenders = [
        p
        for p in BOT.rglob("*.py")
        if "fake_telegram" in top(imports(p)) and sandbox not in p.parents
    ]
    assert offenders == []
    reaching = [
        p.relative_to(BOT).as_posix()
        for p in BOT.rglob("*.py")
        if any(n.startswith("bot.sandbox") for n in imports(p)) and sandbox not in p.parents
    ]
    assert reaching == ["__main__.py"]


def test_the_fake_bot_api_imports_nothing_of_the_bot() -> None:
    fake = sorted(FAKE.rglob("*.py"))
    assert fake, FAKE
    offenders = [p for p in fake if "bot" in top(imports(p))]
    assert offenders == []


@pytest.mark.parametrize("path", modules("telegram"), ids=lambda p: p.name)
def test_the_edge_reaches_storage_only_through_ports(path: Path) -> None:
    """Handlers, the sender and the persistence see services and ports; app.py wires stores."""
    assert not {n for n in imports(path) if n.startswith("bot.storage")}


@pytest.mark.parametrize(
    "path", [*modules("domain"), *modules("services"), *modules("storage")], ids=lambda p: p.name
)
def test_no_wall_clock_below_the_edge(path: Path) -> None:
    """One injected clock: services, storage and the domain never read the wall clock."""
    text = path.read_text(encoding="utf-8")
    for call in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
        assert call not in text, f"{path.name} reads the wall clock ({call})"


def test_no_private_python_telegram_bot_module_is_imported() -> None:
    offenders = [
        p.name
        for p in BOT.rglob("*.py")
        if any("._" in n for n in imports(p) if n.startswith("telegram"))
    ]
    assert offenders == []


def test_only_charts_imports_matplotlib_and_only_the_sheet_modules_import_openpyxl() -> None:
    # sheets.py reads and writes roster files (imports); spreadsheet.py streams exports.
    allowed = {"matplotlib": ["charts.py"], "openpyxl": ["sheets.py", "spreadsheet.py"]}
    for library, modules in allowed.items():
        users = sorted(p.name for p in BOT.rglob("*.py") if library in top(imports(p)))
        assert users == modules, library
