"""`legal-aid-bot sandbox` in a real browser: headless Chromium from the OS, driven by Playwright,
only by clicking and typing in the page (PRODUCT §9, issue #14).

The sandbox runs as its own process on a free port, in a temporary folder (so its
`data/sandbox.db` is a temporary database); the tests share one sandbox and use different
people, as visitors would.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.codes import make_code
from tests.conftest import CONFIG_DIR, REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WAIT_MS = 20_000
OWNER, OWNER_EN, LIAISON, ADMIN, SEEDED_OWNER = 1001, 1002, 3001, 3201, 2001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sandbox_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
    env["LEGAL_AID_CONFIG_DIR"] = str(CONFIG_DIR)
    env["PYTHONPATH"] = str(REPO)
    return env


@contextlib.contextmanager
def running_sandbox(folder: Path, *options: str) -> Iterator[str]:
    """`legal-aid-bot sandbox` in ``folder`` on a free port, seeded; yields the page's URL.
    On leaving, it is stopped as Ctrl+C would and must end cleanly, its state saved."""
    port = free_port()
    out = folder / "sandbox.out"
    log = out.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), *options],
        cwd=folder,
        env=sandbox_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, out.read_text(encoding="utf-8")
            try:
                if httpx.get(url + "api/bootstrap", timeout=2).json()["status"] == "ready":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the sandbox did not get ready in 90 s"
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)
        log.close()
    assert returncode == 0, out.read_text(encoding="utf-8")
    assert (folder / "data" / "sandbox.db").exists()
    assert (folder / "data" / "sandbox-telegram.json").exists()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running sandbox (seeded), shared by the tests of this module."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, sandbox: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())  # "share your phone number?"
    opened.goto(sandbox)
    yield opened
    context.close()


class Chat:
    """One person's pane, used as a person uses Telegram: type, press, read."""

    def __init__(self, page: Page, person: int) -> None:
        self.page = page
        self.pane = page.locator(f'section.pane[data-person="{person}"]')
        if not self.pane.count():
            page.locator(f'nav.people button[data-person="{person}"]').click()
        expect(self.pane).to_be_visible()

    def send(self, text: str) -> None:
        box = self.pane.locator("textarea")
        box.fill(text)
        box.press("Enter")

    def press(self, label: str) -> None:
        self.pane.get_by_role("button", name=label, exact=True).last.click()

    def bot_says(self, text: str) -> Locator:
        """The latest bot message containing the text (waiting for it to arrive)."""
        message = self.pane.locator(".message.bot", has_text=text).last
        expect(message).to_be_visible(timeout=WAIT_MS)
        return message

    def reply_to(self, message: Locator, text: str) -> None:
        message.hover()
        message.locator(".reply-action").click()
        expect(self.pane.locator(".reply-bar")).to_be_visible()
        self.send(text)

    def menu(self) -> list[str]:
        self.pane.locator(".menu-button").click()
        items = self.pane.locator(".menu-popup .menu-item")
        expect(items.first).to_be_visible()
        commands = items.evaluate_all("nodes => nodes.map(n => n.dataset.command)")
        self.pane.locator(".menu-button").click()
        return list(commands)


def register(owner: Chat, enterprise: str, code: str, *, wrong_code: str | None = None) -> None:
    """From an empty chat to "registered", pressing and typing as an owner does."""
    owner.pane.get_by_role("button", name="START").click()
    owner.bot_says("登记您的企业")
    owner.press("📝 登记企业")
    owner.bot_says("个人信息说明")
    owner.press("✅ 同意并继续")
    owner.bot_says("企业名称")
    owner.send(enterprise)
    owner.bot_says("统一社会信用代码")
    if wrong_code is not None:
        owner.send(wrong_code)
        owner.bot_says(f"最后一位应为「{code[17]}」")
    owner.send(code)
    owner.bot_says("所在区县")
    owner.press("田家庵区")
    owner.bot_says("所属行业")
    owner.press("制造业")
    owner.bot_says("联系人姓名")
    owner.send("王芳")
    owner.bot_says("联系电话")
    owner.pane.locator(".reply-keyboard").get_by_role("button", name="📱 发送我的手机号").click()
    owner.bot_says("请核对登记信息")
    owner.press("✅ 确认提交")
    owner.bot_says("登记完成")


def ask(owner: Chat, description: str, urgency: str = "一般") -> str:
    """/ask in the public-order category through to the receipt; returns the case number."""
    owner.send("/ask")
    owner.bot_says("请选择问题类别")
    owner.press("治安业务")
    owner.bot_says("请描述")
    owner.send(description)
    owner.bot_says("紧急吗")
    owner.press(urgency)
    owner.bot_says("请确认您的求助")
    owner.press("✅ 提交求助")
    receipt = owner.bot_says("已收到您的求助")
    number = re.search(r"HN-\d{6}", receipt.inner_text())
    assert number is not None
    return number.group(0)


def test_owner_registers_asks_and_the_liaison_answers(page: Page) -> None:
    owner, liaison = Chat(page, OWNER), Chat(page, LIAISON)
    code = make_code("91340400MA2P0701X")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    register(owner, "淮南市明远电子有限公司", code, wrong_code=wrong)
    number = ask(owner, "仓库门口有人拦车，货运不出去，怎么办？")
    card = liaison.bot_says(f"新事项 {number}")
    expect(card).to_contain_text("淮南市明远电子有限公司")
    liaison.reply_to(card, "已安排民警到场，请保持电话畅通。")
    answer = owner.bot_says("已安排民警到场")
    expect(answer).to_contain_text("张警官")
    owner.reply_to(answer, "好的，谢谢！")
    liaison.bot_says("好的，谢谢！")

    card.get_by_role("button", name="🏁 已解决").click()
    resolved = owner.bot_says("已经解决")
    resolved.get_by_role("button", name="⭐⭐⭐⭐⭐", exact=True).click()
    owner.bot_says("感谢您的评价")
    liaison.bot_says("评分 ⭐⭐⭐⭐⭐")
    card.get_by_role("button", name="🏁 已解决").click()  # too late: the bot answers the press
    expect(liaison.pane.locator(".toast, .alert").filter(visible=True)).to_contain_text("已结束")


def test_text_as_typed_menus_per_role_and_a_reload_keeps_the_chats(page: Page) -> None:
    owner, liaison = Chat(page, SEEDED_OWNER), Chat(page, LIAISON)
    typed = "发票 <b>金额</b> & 税率 <i>不对</i> &amp; 怎么办"
    owner.send("/ask")
    owner.bot_says("请选择问题类别")
    owner.press("治安业务")
    owner.bot_says("请描述")
    owner.send(typed)
    mine = owner.pane.locator(".message.me", has_text="发票").last
    expect(mine.locator(".text")).to_have_text(typed)
    owner.bot_says("紧急吗")
    owner.press("🔴 紧急")
    owner.press("✅ 提交求助")
    owner.bot_says("已收到您的求助")
    card = liaison.bot_says("淮南市春风机械制造有限公司")
    expect(card).to_contain_text(typed)  # relayed by the bot as the owner typed it
    assert card.locator("b", has_text="金额").count() == 0

    admin = Chat(page, ADMIN)
    owner_menu, admin_menu = owner.menu(), admin.menu()
    assert {"register", "ask", "mycases"} <= set(owner_menu)
    assert {"invite", "staff", "assign", "cases"} <= set(admin_menu)
    assert "invite" not in owner_menu
    assert "register" not in admin_menu

    admin.send("/invite counsel")
    invite = admin.bot_says("start=inv-")
    form = page.locator("#add-person")
    form.locator("input[name=name]").fill("Grace Lin")
    form.locator("select").select_option("en")
    form.get_by_role("button", name="Add").click()
    invite.locator("a", has_text="start=inv-").click()  # a deep link: who opens it?
    page.locator("#chooser").get_by_role("button", name=re.compile("^G Grace Lin")).click()
    newcomer = page.locator("section.pane", has_text="Grace Lin")
    expect(newcomer.locator(".message.bot").last).to_contain_text("Welcome", timeout=WAIT_MS)

    page.reload()
    again = Chat(page, SEEDED_OWNER)
    expect(again.pane.locator(".message.me", has_text="发票").last.locator(".text")).to_have_text(
        typed
    )
    Chat(page, LIAISON).bot_says("淮南市春风机械制造有限公司")
    expect(page.locator(f'section.pane[data-person="{ADMIN}"]')).to_be_visible()
    expect(page.locator("#refusal-count")).to_have_text("0")


def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
            cwd=tmp_path,
            env=sandbox_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"port {port} is in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started or written


def test_a_restart_keeps_the_chats_and_seeds_nothing_again(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as url:
        sent = httpx.post(f"{url}api/chats/{SEEDED_OWNER}/send", json={"text": "/mycases"}).json()
        wait_for_bot_message(url, SEEDED_OWNER, after=sent["message_id"])
        before = httpx.get(f"{url}api/chats/{SEEDED_OWNER}/messages").json()["messages"]
    with running_sandbox(tmp_path) as url:
        after = httpx.get(f"{url}api/chats/{SEEDED_OWNER}/messages").json()["messages"]
        assert [m["text"] for m in after] == [m["text"] for m in before]
        sent = httpx.post(f"{url}api/chats/{SEEDED_OWNER}/send", json={"text": "/mycases"}).json()
        assert sent["message_id"] == before[-1]["id"] + 1  # ids go on: replies find their case
        answer = wait_for_bot_message(url, SEEDED_OWNER, after=sent["message_id"])
        assert answer["text"] == before[-1]["text"]  # the same bot, the same database
        staff = httpx.get(f"{url}api/chats/{LIAISON}/messages").json()["messages"]
        assert sum("/start inv-" in m["text"] for m in staff) == 1  # onboarded once
    with running_sandbox(tmp_path, "--fresh") as url:
        fresh = httpx.get(f"{url}api/chats/{SEEDED_OWNER}/messages").json()["messages"]
        assert "/mycases" not in [m["text"] for m in fresh]


def wait_for_bot_message(url: str, person: int, after: int) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = httpx.get(f"{url}api/chats/{person}/messages").json()["messages"]
        answers = [m for m in messages if m["from_bot"] and m["id"] > after]
        if answers:
            return dict(answers[0])
        time.sleep(0.1)
    raise AssertionError(f"no answer in chat {person} after message {after}")
