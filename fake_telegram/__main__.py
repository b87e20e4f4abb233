"""``python -m fake_telegram``: run the fake Bot API on a loopback port.

Point the bot at it with ``base_url=http://HOST:PORT/bot`` and
``base_file_url=http://HOST:PORT/file/bot``. ``--interactive`` opens a console where you
play a Telegram user (see :mod:`.console`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from typing import Any

from .console import Console
from .core import FakeBotAPI
from .server import server_port, start_server
from .signals import stop_on_signals


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accepted token (default: any)")
    parser.add_argument("--interactive", action="store_true", help="play a user on stdin")
    parser.add_argument("--user", type=int, default=10001, help="interactive user id")
    parser.add_argument("--name", default="Tester", help="interactive user's first name")
    parser.add_argument("--lang", default="zh-hans", help="interactive user's language code")
    parser.add_argument("--rate-limits", action="store_true", help="enforce flood limits")
    parser.add_argument("--delay", type=float, default=0.0, help="latency per call (s)")
    parser.add_argument("--bot-username", default="fake_legal_aid_bot")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Run the server until interrupted (or until the console quits)."""
    api = FakeBotAPI(args.token, bot_username=args.bot_username)
    api.rate_limits_enabled = args.rate_limits
    api.delay = args.delay
    runner = await start_server(api, args.host, args.port)
    base = f"http://{args.host}:{server_port(runner)}"
    print(f"fake Telegram Bot API on {base}/bot<TOKEN>  files: {base}/file/bot<TOKEN>", flush=True)
    stop = stop_on_signals()
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
    if args.interactive:
        tasks.append(asyncio.create_task(Console(api, args.user, args.lang, args.name).run()))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
