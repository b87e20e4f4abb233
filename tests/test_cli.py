"""The command line as an operator meets it: real processes, one-line errors, exit codes."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.storage.database import migrations
from fake_telegram import FakeBotAPI, server_port, start_server
from tests.codes import code_number
from tests.conftest import CONFIG_DIR, REPO, TOKEN
from tests.telegram.steps import BUTTONS


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
    env["LEGAL_AID_CONFIG_DIR"] = str(CONFIG_DIR)
    env["LEGAL_AID_STORAGE_DATABASE"] = str(tmp_path / "db" / "legal-aid.db")
    env.update(extra)
    return env


def bot_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a bot process that talks to the fake Bot API on port."""
    return env_for(
        tmp_path,
        LEGAL_AID_BOT_TOKEN=TOKEN,
        LEGAL_AID_TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
        LEGAL_AID_TELEGRAM_BASE_FILE_URL=f"http://127.0.0.1:{port}/file/bot",
        **extra,
    )


def cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env_for(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )


def test_missing_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = cli(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "@BotFather" in result.stderr
    assert "export LEGAL_AID_BOT_TOKEN=" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_names_key_and_problem(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", LEGAL_AID_BOT_TOKEN=TOKEN, LEGAL_AID_LOCALE_TIMEZONE="Mars/Base")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"legal-aid-bot: {CONFIG_DIR / 'settings.toml'}: locale.timezone: unknown timezone "
        "'Mars/Base'"
    )
    result = cli(tmp_path, "db", "migrate", LEGAL_AID_ACCESS_ADMINS="12,abc")
    assert result.returncode == 2
    assert "LEGAL_AID_ACCESS_ADMINS: must be int, got 'abc'" in result.stderr
    result = cli(tmp_path, "db", "migrate", LEGAL_AID_STORGE_DATABASE="x.db")
    assert "LEGAL_AID_STORGE_DATABASE: unknown setting" in result.stderr


def test_bad_config_file_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("districts.toml", "industries.toml", "categories.toml"):
        (config / name).write_bytes((CONFIG_DIR / name).read_bytes())
    (config / "settings.toml").write_text('[storage]\ndatabse = "x.db"\n', encoding="utf-8")
    result = cli(tmp_path, "db", "migrate", LEGAL_AID_CONFIG_DIR=str(config))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("settings.toml: storage.databse: unknown setting")
    (config / "settings.toml").write_text("[storage\n", encoding="utf-8")
    result = cli(tmp_path, "db", "migrate", LEGAL_AID_CONFIG_DIR=str(config))
    assert "settings.toml: -: not valid TOML" in result.stderr
    (config / "settings.toml").write_text("", encoding="utf-8")
    (config / "categories.toml").write_text(
        '[[category]]\nid = "x"\nzh-hans = "X"\nen = "X"\nroute = "police"\n', encoding="utf-8"
    )
    result = cli(tmp_path, "db", "migrate", LEGAL_AID_CONFIG_DIR=str(config))
    assert "categories.toml: category 'x'.route: must be liaison or counsel" in result.stderr


def test_db_migrate_and_backup(tmp_path: Path) -> None:
    result = cli(tmp_path, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert f"schema version {max(v for v, _, _ in migrations())}" in result.stdout
    live = tmp_path / "db" / "legal-aid.db"
    with sqlite3.connect(live) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(
            "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (1, 'now', 'now')"
        )
    # A writer holds the database open (uncommitted work too) while the backup runs.
    holder = sqlite3.connect(live)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute(
        "INSERT INTO accounts (telegram_id, created_at, updated_at) VALUES (2, 'now', 'now')"
    )
    try:
        result = cli(tmp_path, "db", "backup", str(tmp_path / "backup.db"))
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        assert copy.execute("SELECT telegram_id FROM accounts").fetchall() == [(1,)]
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_db_inbox_counts_by_state_lists_failures_and_retries_them(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "migrate").returncode == 0
    with sqlite3.connect(tmp_path / "db" / "legal-aid.db") as conn:
        conn.executemany(
            "INSERT INTO inbox (update_id, chat_key, payload, state, attempts, error, "
            "received_at, handled_at) VALUES (?, 1, '{}', ?, ?, ?, 'now', 'now')",
            [(1, "handled", 1, None), (2, "handled", 1, None), (3, "failed", 3, "KeyError: x")],
        )
    result = cli(tmp_path, "db", "inbox")
    assert result.returncode == 0, result.stderr
    assert "pending 0, handling 0, handled 2, failed 1" in result.stdout
    assert "failed: update 3 after 3 tries: KeyError: x" in result.stdout
    result = cli(tmp_path, "db", "inbox", "--retry-failed")
    assert "1 failed update(s) put back to be handled" in result.stdout
    assert "pending 1, handling 0, handled 2, failed 0" in result.stdout


def test_help_on_each_command(tmp_path: Path) -> None:
    for args in (["--help"], ["run", "--help"], ["db", "--help"], ["db", "backup", "--help"]):
        result = cli(tmp_path, *args)
        assert result.returncode == 0
        assert "usage: legal-aid-bot" in result.stdout


@pytest.fixture
async def fake_server() -> AsyncIterator[tuple[FakeBotAPI, int]]:
    api = FakeBotAPI(token=TOKEN)
    runner = await start_server(api, "127.0.0.1", 0)
    try:
        yield api, server_port(runner)
    finally:
        api.interrupt_polls()
        await runner.cleanup()


async def test_run_registers_an_owner_over_a_local_fake_api(
    tmp_path: Path, fake_server: tuple[FakeBotAPI, int]
) -> None:
    """`legal-aid-bot run` as a process, long-polling the fake API over loopback HTTP."""
    api, port = fake_server
    log_path = tmp_path / "bot.log"
    log_file = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=bot_env(
            tmp_path,
            port,
            LEGAL_AID_TELEGRAM_POLL_TIMEOUT="1",
            LEGAL_AID_LOGGING_LEVEL="DEBUG",
        ),
        cwd=REPO,
        # A file, not a pipe: a DEBUG log fills a pipe nobody reads, and the bot would block.
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        owner = api.user(1001, first_name="王")

        async def say(text: str) -> str:
            sent = await owner.send(text)
            reply = await api.wait_for_message(
                owner.id, after_message_id=sent.message_id, timeout=20
            )
            return reply.plain

        async def press(label: str) -> str:
            before = owner.inbox[-1].message_id
            await owner.press(label)
            reply = await api.wait_for_message(
                owner.id,
                lambda m: m.message_id > before and not m.plain.startswith("✓"),
                timeout=20,
            )
            return reply.plain

        assert "登记您的企业" in await say("/start")
        assert "个人信息说明" in await press(BUTTONS["zh-hans"]["register"])
        assert "企业名称" in await press(BUTTONS["zh-hans"]["agree"])
        assert "统一社会信用代码" in await say("春风机械")
        assert "所在区县" in await say(code_number(3))
        assert "所属行业" in await press("八公山区")
        assert "联系人姓名" in await press("建筑业")
        assert "联系电话" in await say("王芳")
        await say("13812345678")
        summary = await api.wait_for_message(
            owner.id, lambda m: "请核对登记信息" in m.plain, timeout=20
        )
        assert "八公山区" in summary.plain
        assert "登记完成" in await press(BUTTONS["zh-hans"]["confirm"])
        assert api.commands({"type": "all_private_chats"})[0]["command"] == "start"
        # A request: its receipt comes through the outbox, so the sender must be running.
        assert "请选择问题类别" in await say("/ask")
        assert "请描述" in await press("治安业务")
        assert "紧急吗" in await say("门口有人拦车")
        assert "请确认您的求助" in await press("一般")
        await owner.press("✅ 提交求助")
        receipt = await api.wait_for_message(owner.id, lambda m: "HN-000001" in m.plain, timeout=20)
        assert "已收到您的求助" in receipt.plain
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
        log_file.close()
    log = log_path.read_text(encoding="utf-8")
    assert process.returncode == 0, log
    assert "getUpdates" in log  # DEBUG logging was on, and the HTTP client logged its URLs
    assert TOKEN not in log
    with sqlite3.connect(tmp_path / "db" / "legal-aid.db") as conn:
        assert conn.execute("SELECT name, district FROM enterprises").fetchall() == [
            ("春风机械", "bagongshan")
        ]


async def test_webhook_mode_checks_the_secret_token(
    tmp_path: Path, fake_server: tuple[FakeBotAPI, int]
) -> None:
    """`run --webhook-url`: Telegram's secret token header is required on every update."""
    api, port = fake_server
    hook_port = free_port()
    log_path = tmp_path / "bot.log"
    log_file = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--webhook-url",
        "https://bot.example.org/telegram",
        "--webhook-listen",
        "127.0.0.1",
        "--webhook-port",
        str(hook_port),
        env=bot_env(tmp_path, port, LEGAL_AID_WEBHOOK_SECRET_TOKEN="s3cret-token"),
        cwd=REPO,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        owner = api.user(1001, first_name="王")
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": owner.id, "type": "private", "first_name": "王"},
                "from": {"id": owner.id, "is_bot": False, "first_name": "王"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        url = f"http://127.0.0.1:{hook_port}/telegram"
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # until the webhook server listens
                try:
                    refused = await client.post(url, json=update)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert refused.status_code == 403  # no secret token
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            assert wrong.status_code == 403
            assert api.sent_to(owner.id) == []
            ok = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
            assert ok.status_code == 200
        welcome = await api.wait_for_message(owner.id, timeout=20, after_message_id=0)
        assert "登记您的企业" in welcome.plain
        assert api.webhook.url == "https://bot.example.org/telegram"
        assert api.webhook.secret_token == "s3cret-token"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
        log_file.close()
    assert process.returncode == 0, log_path.read_text(encoding="utf-8")[-3000:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
