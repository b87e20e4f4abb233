"""Shared benchmark plumbing: processes on loopback, the fake API's control routes, statistics."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456789:BENCH-token-for-the-fake-bot-api-000000"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child process for the duration of the block; terminate it afterwards."""
    keep = os.environ.get("BENCH_LOG")  # a path: keep the child's output there
    with open(keep, "ab") if keep else tempfile.TemporaryFile() as log:
        child = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
            if child.returncode not in (0, -15):
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-3000:])


@contextmanager
def fake_api() -> Iterator[str]:
    """Start the fake Bot API as its own process; yield its base address."""
    port = free_port()
    with process([sys.executable, "-m", "fake_telegram", "--port", str(port)]):
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/_fake/chats/0/messages", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base


def bot_env(base: str, tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for a bot process pointed at the fake API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGAL_AID_")}
    env.update(
        LEGAL_AID_BOT_TOKEN=TOKEN,
        LEGAL_AID_TELEGRAM_BASE_URL=f"{base}/bot",
        LEGAL_AID_TELEGRAM_BASE_FILE_URL=f"{base}/file/bot",
        LEGAL_AID_TELEGRAM_POLL_TIMEOUT="1",
        LEGAL_AID_TELEGRAM_MAX_MESSAGES_PER_SECOND="0",  # rate limits off: measure the bot
        LEGAL_AID_STORAGE_DATABASE=str(tmp / "bench.db"),
        LEGAL_AID_LOGGING_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


class Driver:
    """Plays users through the fake API's control routes and times each answer."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=200)
        )
        self.latencies: list[float] = []
        self._last: dict[int, int] = {}

    async def close(self) -> None:
        await self.client.aclose()

    async def _until(self, user: int, after: int, marker: str, started: float) -> None:
        while True:
            response = await self.client.get(
                f"/_fake/chats/{user}/wait", params={"after": after, "timeout": 20}
            )
            response.raise_for_status()
            message = response.json()["message"]
            after = message["message_id"]
            if marker in (message.get("plain") or ""):
                self._last[user] = after
                self.latencies.append(time.perf_counter() - started)
                return

    async def relay(self, user: int, text: str, chat: int, marker: str) -> None:
        """Send text as the user; wait until a bot message containing marker reaches chat."""
        started = time.perf_counter()
        response = await self.client.post(f"/_fake/users/{user}/send", json={"text": text})
        response.raise_for_status()
        await self._until(chat, self._last.get(chat, 0), marker, started)

    async def send(self, user: int, text: str, marker: str) -> None:
        """Send text as the user; wait for the bot message containing marker."""
        started = time.perf_counter()
        response = await self.client.post(f"/_fake/users/{user}/send", json={"text": text})
        response.raise_for_status()
        await self._until(user, response.json()["message"]["message_id"], marker, started)

    async def press(self, user: int, label: str, marker: str) -> None:
        """Press a button as the user; wait for the bot message containing marker."""
        started = time.perf_counter()
        response = await self.client.post(f"/_fake/users/{user}/press", json={"label": label})
        response.raise_for_status()
        await self._until(user, self._last.get(user, 0), marker, started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(latencies: list[float], elapsed: float, cpu: float) -> dict[str, Any]:
    """Throughput, latency percentiles (ms), and the bot process's CPU per update (ms).

    CPU per update is the steadiest figure on a shared 2-core machine: throughput and latency
    also measure the fake API and the driver competing for the same cores.
    """
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "updates": len(ordered),
        "updates_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "cpu_ms_per_update": round(cpu * 1000 / len(ordered), 3),
    }


async def wait_ready(driver: Driver, user: int, text: str, marker: str) -> None:
    """Block until the bot answers (its process has started and is polling)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await driver.send(user, text, marker)
            driver.latencies.clear()
            return
        except httpx.HTTPStatusError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def alternate(
    rounds: int,
    run_echo: Callable[[], dict[str, Any]],
    run_bot: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any], list[float]]:
    """Run echo and bot in alternating order for some rounds (the machine's load drifts).

    Returns the median of each figure for both, and each round's throughput ratio.
    """
    echoes, bots, ratios = [], [], []
    for n in range(rounds):
        if n % 2:
            bot, echo = run_bot(), run_echo()
        else:
            echo, bot = run_echo(), run_bot()
        echoes.append(echo)
        bots.append(bot)
        ratios.append(round(bot["updates_per_s"] / echo["updates_per_s"], 3))
    return _median(echoes), _median(bots), ratios


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: round(statistics.median(r[key] for r in results), 2) for key in results[0]}


def report(
    name: str, bot: dict[str, Any], echo: dict[str, Any], ratios: list[float], **extra: Any
) -> str:
    """The benchmark's one JSON line: medians of both, their ratios, each round's ratio."""
    return json.dumps(
        {
            "bench": name,
            **extra,
            "rounds": len(ratios),
            "bot": bot,
            "echo": echo,
            "throughput_ratio": round(bot["updates_per_s"] / echo["updates_per_s"], 3),
            "p50_ratio": round(bot["p50_ms"] / echo["p50_ms"], 2),
            "cpu_ratio": round(bot["cpu_ms_per_update"] / echo["cpu_ms_per_update"], 2),
            "round_ratios": ratios,
        }
    )
