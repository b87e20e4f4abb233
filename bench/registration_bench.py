"""Registration steps end to end: fake Bot API, our bot and the bare PTB echo bot as processes.

Each simulated owner walks the whole registration (9 updates: /register, consent, name, code,
district, industry, contact, phone, confirm); an update's latency runs from the user's message
or button press reaching the fake API until the bot's answer to it arrives there. The echo bot
gets the same number of text messages from the same number of concurrent users. Prints one
JSON line. Run: python bench/registration_bench.py [--users 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
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

STEPS: list[tuple[str, str, str]] = [
    ("send", "/register", "个人信息说明"),
    ("press", "✅ 同意并继续", "企业名称"),
    ("send", "淮南市春风机械制造有限公司{n}", "统一社会信用代码"),
    ("send", "{code}", "所在区县"),
    ("press", "田家庵区", "所属行业"),
    ("press", "制造业", "联系人姓名"),
    ("send", "王芳", "联系电话"),
    ("send", "13812345678", "请核对"),
    ("press", "✅ 确认提交", "登记完成"),
]


async def run_users(driver: Driver, users: int, concurrency: int, walk: object) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(users):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            await walk(queue.get_nowait())  # type: ignore[operator]

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def bench_bot(pid: int, base: str, users: int, concurrency: int) -> dict[str, object]:
    driver = Driver(base)
    try:
        await wait_ready(driver, 999_999, "/start", "您好")

        async def walk(n: int) -> None:
            user = 100_000 + n
            for kind, what, marker in STEPS:
                text = what.format(n=n, code=code_number(n))
                if kind == "send":
                    await driver.send(user, text, marker)
                else:
                    await driver.press(user, text, marker)

        cpu = cpu_seconds(pid)
        elapsed = await run_users(driver, users, concurrency, walk)
        return summary(driver.latencies, elapsed, cpu_seconds(pid) - cpu)
    finally:
        await driver.close()


async def bench_echo(pid: int, base: str, messages: int, concurrency: int) -> dict[str, object]:
    driver = Driver(base)
    try:
        await wait_ready(driver, 999_998, "ready?", "ready?")

        async def walk(n: int) -> None:
            await driver.send(200_000 + n % concurrency, f"echo {n}", f"echo {n}")

        cpu = cpu_seconds(pid)
        elapsed = await run_users(driver, messages, concurrency, walk)
        return summary(driver.latencies, elapsed, cpu_seconds(pid) - cpu)
    finally:
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:

        def echo() -> dict[str, object]:
            with (
                fake_api() as base,
                process([sys.executable, "bench/echo_bot.py"], bot_env(base, Path(tmp))) as child,
            ):
                return asyncio.run(
                    bench_echo(child.pid, base, args.users * len(STEPS), args.concurrency)
                )

        def bot() -> dict[str, object]:
            database = Path(tmp) / "bench.db"
            database.unlink(missing_ok=True)  # each round registers the same owners anew
            with (
                fake_api() as base,
                process([sys.executable, "-m", "bot", "run"], bot_env(base, Path(tmp))) as child,
            ):
                return asyncio.run(bench_bot(child.pid, base, args.users, args.concurrency))

        echo_result, bot_result, ratios = alternate(args.rounds, echo, bot)
    print(
        report("registration_step", bot_result, echo_result, ratios, concurrency=args.concurrency)
    )


if __name__ == "__main__":
    main()
