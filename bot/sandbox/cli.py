"""The `sandbox` subcommand's arguments (light: the emulator is imported only when it runs)."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8080
DEFAULT_LISTEN = "127.0.0.1"


def add_sandbox_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `sandbox [--port N] [--fresh] [--listen ADDR]`."""
    sandbox = sub.add_parser(
        "sandbox",
        help="try every role in a browser: the bot against a built-in Telegram emulator",
        description=(
            "Run the bot, unchanged, against the built-in Bot API emulator with its own "
            "database (data/sandbox.db), seed a programme on first start, and serve a page "
            "with a chat per person. No token, no network."
        ),
    )
    sandbox.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port of the page (default {DEFAULT_PORT})"
    )
    sandbox.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        help="address of the page (default 127.0.0.1: this machine only)",
    )
    sandbox.add_argument(
        "--fresh", action="store_true", help="forget the sandbox's chats and database, seed anew"
    )
