"""Relay end to end: an owner's message until the assigned liaison receives it.

The fake Bot API, our bot and the bare PTB echo bot run as separate processes. Setup (not
timed): as many counsel as owners join by invite; each owner registers and opens a contract
case, which routing gives to a different counsel (fewest open cases), so that, as for the echo
bot, every conversation has its own chats. Timed: every owner sends 20 messages at once with
the others; latency runs from the owner's message reaching the fake API until the relayed
copy reaches the counsel. Telegram's rate limits are off on both sides (outbox limits
raised), so this measures the bot. BENCH_BOT_PREFIX="-m cProfile -o FILE" profiles the bot.
The echo bot answers the same number of messages from as many users.
Prints one JSON line. Run: python bench/relay_bench.py [--owners 40] [--messages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Driver,
    alternate,
    bot_env,
    cpu_seconds,
    fake_api,
    process,
    report,
    summary,
    wait_ready,
)
from tests.codes import code_number

ADMIN = 900_001


async def setup(driver: Driver, owners: int) -> dict[int, int]:
    """Counsel and owners with open cases; returns owner -> counsel chat."""
    for i in range(owners):
        await driver.send(ADMIN, "/invite counsel", "start=inv-")
        history = (await driver.client.get(f"/_fake/chats/{ADMIN}/messages")).json()
        code = re.findall(r"start=(inv-[\w-]+)", history[-1]["plain"])[0]
        staff = 800_000 + i
        await driver.send(staff, f"/start {code}", "姓名")
        await driver.send(staff, f"律师{i}", "职务")
        await driver.send(staff, "律师", "专业方向")
        await driver.press(staff, "合同", "已选")
        await driver.press(staff, "✅ 完成", "设置完成")
    route: dict[int, int] = {}
    for n in range(owners):
        owner = 100_000 + n
        for kind, what, marker in (
            ("send", "/register", "个人信息说明"),
            ("press", "✅ 同意并继续", "企业名称"),
            ("send", f"企业{n}", "统一社会信用代码"),
            ("send", code_number(3000 + n), "所在区县"),
            ("press", "田家庵区", "所属行业"),
            ("press", "制造业", "联系人姓名"),
            ("send", "王芳", "联系电话"),
            ("send", "13812345678", "请核对"),
            ("press", "✅ 确认提交", "登记完成"),
            ("send", "/ask", "请选择问题类别"),
            ("press", "合同履行与不可抗力", "请描述"),
            ("send", f"企业{n}需要帮助", "紧急吗"),
            ("press", "一般", "请确认您的求助"),
            ("press", "✅ 提交求助", "已收到您的求助"),
        ):
            if kind == "send":
                await driver.send(owner, what, marker)
            else:
                await driver.press(owner, what, marker)
        receipt = (await driver.client.get(f"/_fake/chats/{owner}/messages")).json()[-1]["plain"]
        counsel = int(re.findall(r"律师(\d+)", receipt)[0])
        route[owner] = 800_000 + counsel
    driver.latencies.clear()
    return route


async def bench_bot(pid: int, base: str, owners: int, messages: int) -> dict[str, object]:
    driver = Driver(base)
    try:
        await wait_ready(driver, ADMIN, "/help", "/invite")
        route = await setup(driver, owners)

        async def owner_sends(owner: int) -> None:
            for k in range(messages):
                marker = f"relay-{owner}-{k}"
                await driver.relay(owner, marker, route[owner], marker)

        started, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(owner_sends(o) for o in route))
        return summary(driver.latencies, time.perf_counter() - started, cpu_seconds(pid) - cpu)
    finally:
        await driver.close()


async def bench_echo(pid: int, base: str, users: int, messages: int) -> dict[str, object]:
    driver = Driver(base)
    try:
        await wait_ready(driver, 999_998, "ready?", "ready?")

        async def user_sends(user: int) -> None:
            for k in range(messages):
                await driver.send(user, f"echo-{user}-{k}", f"echo-{user}-{k}")

        started, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(user_sends(200_000 + u) for u in range(users)))
        return summary(driver.latencies, time.perf_counter() - started, cpu_seconds(pid) - cpu)
    finally:
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=40)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fast = {
        "LEGAL_AID_ACCESS_ADMINS": str(ADMIN),
        "LEGAL_AID_OUTBOX_MESSAGES_PER_SECOND": "100000",
        "LEGAL_AID_OUTBOX_PER_CHAT_PER_SECOND": "100000",
        "LEGAL_AID_OUTBOX_CHAT_BURST": "1000",
    }
    prefix = os.environ.get("BENCH_BOT_PREFIX", "").split()
    with tempfile.TemporaryDirectory() as tmp:

        def echo() -> dict[str, object]:
            with (
                fake_api() as base,
                process([sys.executable, "bench/echo_bot.py"], bot_env(base, Path(tmp))) as child,
            ):
                return asyncio.run(bench_echo(child.pid, base, args.owners, args.messages))

        def bot() -> dict[str, object]:
            database = Path(tmp) / "bench.db"
            database.unlink(missing_ok=True)  # each round sets up its people anew
            with (
                fake_api() as base,
                process(
                    [sys.executable, *prefix, "-m", "bot", "run"],
                    bot_env(base, Path(tmp), **fast),
                ) as child,
            ):
                return asyncio.run(bench_bot(child.pid, base, args.owners, args.messages))

        echo_result, bot_result, ratios = alternate(args.rounds, echo, bot)
    extra = {"owners": args.owners, "messages_each": args.messages}
    print(report("relay_owner_to_staff", bot_result, echo_result, ratios, **extra))


if __name__ == "__main__":
    main()
