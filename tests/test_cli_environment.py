"""A bad environment, as an operator meets it (issue #10.11): real processes, one line each.

An unusable database path or file ends `run` and `db migrate` with one line naming the problem
and a non-zero exit, the file left as it was; a passing Bot API error at start-up is retried,
and one that does not pass ends the start-up with one line after a bounded time.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from fake_telegram import FakeBotAPI, server_port, start_server
from tests.conftest import REPO, TOKEN
from tests.test_cli import bot_env, cli

NOT_SQLITE = b"name,phone\n" + "王芳,13812345678\n".encode() * 200


def prepare(tmp_path: Path, case: str) -> Path:
    """A database path that cannot be used, in one of the ways an operator gets it wrong."""
    if case == "folder is a file":
        (tmp_path / "data").write_text("not a folder", encoding="utf-8")
        return tmp_path / "data" / "legal-aid.db"
    if case == "path is a folder":
        (tmp_path / "legal-aid.db").mkdir()
        return tmp_path / "legal-aid.db"
    if case == "read-only folder":
        folder = tmp_path / "data"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "legal-aid.db"
    path = tmp_path / "legal-aid.db"
    if case == "not SQLite":
        path.write_bytes(NOT_SQLITE)
    else:  # another application's SQLite database
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE customers (name TEXT)")
            conn.execute("INSERT INTO customers VALUES ('王芳')")
        conn.close()
    return path


CASES = {
    "folder is a file": "data is a file",
    "path is a folder": "is a folder, not a file",
    "read-only folder": "cannot write the database",
    "not SQLite": "is not an SQLite database; it was left untouched",
    "another application's database": "is an SQLite database of something else",
}


@pytest.mark.parametrize("command", [("db", "migrate"), ("run",)], ids=" ".join)
@pytest.mark.parametrize("case", list(CASES))
def test_an_unusable_database_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, case: str, command: tuple[str, ...]
) -> None:
    if case == "read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    path = prepare(tmp_path, case)
    before = path.read_bytes() if path.is_file() else None
    result = cli(  # cli() would raise TimeoutExpired if the process never ended
        tmp_path,
        *command,
        LEGAL_AID_STORAGE_DATABASE=str(path),
        LEGAL_AID_BOT_TOKEN=TOKEN,
        LEGAL_AID_TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",  # never reached
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("legal-aid-bot: ")
    assert CASES[case] in result.stderr
    assert "LEGAL_AID_STORAGE_DATABASE" in result.stderr  # where to fix it
    if before is not None:
        assert path.read_bytes() == before  # untouched: no WAL header, no migration
        assert not Path(f"{path}-wal").exists()


async def start_bot(
    port: int, tmp_path: Path, *args: str, log_name: str = "bot.log", **env: str
) -> asyncio.subprocess.Process:
    """`legal-aid-bot run` as a process against the fake API on port; its log in bot.log."""
    with (tmp_path / log_name).open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *args,
            env=bot_env(tmp_path, port, LEGAL_AID_TELEGRAM_POLL_TIMEOUT="1", **env),
            cwd=REPO,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )


async def test_bad_gateways_at_start_up_are_retried(tmp_path: Path) -> None:
    api = FakeBotAPI(token=TOKEN)
    server = await start_server(api, "127.0.0.1", 0)
    api.fail_next("getMe", status=502)
    api.fail_next("setMyCommands", status=502, count=2)
    process = await start_bot(server_port(server), tmp_path, "--startup-retry", "30")
    try:
        owner = api.user(1001, first_name="王")
        sent = await owner.send("/start")
        welcome = await api.wait_for_message(owner.id, after_message_id=sent.message_id, timeout=30)
        assert "登记您的企业" in welcome.plain
        assert process.returncode is None
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
        api.interrupt_polls()
        await server.cleanup()
    log = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert process.returncode == 0, log
    assert "Bot API error while publishing the command menus (Bad Gateway); retrying" in log
    assert "Traceback" not in log
    assert api.commands({"type": "all_private_chats"})[0]["command"] == "start"


async def test_a_bot_api_that_stays_down_ends_the_start_up_with_one_line(tmp_path: Path) -> None:
    api = FakeBotAPI(token=TOKEN)
    server = await start_server(api, "127.0.0.1", 0)
    port = server_port(server)
    api.fail_next("setMyCommands", status=502, count=1000)
    started = time.monotonic()
    process = await start_bot(port, tmp_path, "--startup-retry", "3")
    try:
        await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
        api.interrupt_polls()
        await server.cleanup()
    elapsed = time.monotonic() - started
    log = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert process.returncode == 1, log
    assert 3 <= elapsed < 20, elapsed  # retried for the budget, then stopped
    assert "Traceback" not in log
    assert log.count("Bot API error while publishing the command menus") >= 2  # retried
    lines = [line for line in log.splitlines() if line.startswith("legal-aid-bot:")]
    assert lines == [
        "legal-aid-bot: the Bot API kept failing for 3 s while publishing the command menus "
        f"(Bad Gateway); is the Bot API at http://127.0.0.1:{port}/bot reachable?"
    ]
