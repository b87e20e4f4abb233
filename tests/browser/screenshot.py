"""Take docs/sandbox.png: a sandbox in a temporary folder, a round trip clicked through, a shot.

Run by hand (`.venv/bin/python -m tests.browser.screenshot [OUT.png]`); never part of CI.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.test_sandbox import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LIAISON,
    OWNER,
    Chat,
    ask,
    register,
    running_sandbox,
)
from tests.codes import make_code
from tests.conftest import REPO


def main(out: Path) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        running_sandbox(Path(folder)) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 980})
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(url)
        owner, liaison = Chat(page, OWNER), Chat(page, LIAISON)
        register(owner, "淮南市明远电子有限公司", make_code("91340400MA2P0900X"))
        number = ask(owner, "仓库门口有人拦车，货车出不去。<车牌 皖D12345> 请尽快处理！", "🔴 紧急")
        card = liaison.bot_says(f"新事项 {number}")
        card.get_by_role("button", name="✅ 受理").click()
        liaison.bot_says("已受理")
        liaison.reply_to(card, "已安排民警 20 分钟内到场，请保持电话畅通。")
        owner.bot_says("已安排民警")
        page.mouse.move(0, 0)
        page.wait_for_timeout(800)
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "sandbox.png")
