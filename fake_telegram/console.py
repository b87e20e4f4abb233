"""Interactive console: a human plays a Telegram user against a bot using the fake server."""

from __future__ import annotations

import asyncio
import shlex
import sys
import threading
from typing import TextIO

from .core import FakeBotAPI
from .models import Message
from .users import FakeUser

HELP = """\
Type a line to send it as a text message. Commands:
  :press LABEL          press an inline button (or a reply-keyboard button) by its label
  :contact PHONE [ID]   share your own contact (or user ID's card)
  :photo [CAPTION]      send a photo           :doc [NAME]   send a document
  :sticker              send a sticker         :location     send a location
  :user ID              switch to user ID      :lang CODE    set your language code
  :block / :unblock     block or unblock the bot
  :history              show this chat         :help         this text
  :quit                 leave"""


class Console:
    """Reads commands from stdin and prints the bot's messages as they arrive."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int = 10001,
        language_code: str = "zh-hans",
        first_name: str = "Tester",
        out: TextIO = sys.stdout,
    ) -> None:
        self.api = api
        self.language_code = language_code
        self.first_name = first_name
        self.out = out
        self.user = self._switch(user_id)
        api.add_listener(self._on_bot_message)

    def _switch(self, user_id: int) -> FakeUser:
        if user_id in self.api.users:
            return self.api.users[user_id]
        return self.api.user(user_id, self.first_name, language_code=self.language_code)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _on_bot_message(self, event: str, message: Message) -> None:
        label = {"new": "", "edit": " (edited)", "delete": " (deleted)"}[event]
        self._print(f"\n[bot → {message.chat_id} #{message.message_id}{label}] {describe(message)}")
        if event == "delete":
            return
        for button in message.buttons:
            target = button.get("callback_data") or button.get("url") or "?"
            self._print(f"    [{button.get('text')}]  → {target}")
        if message.reply_keyboard_labels:
            self._print("    keyboard: " + " | ".join(message.reply_keyboard_labels))

    async def run(self) -> None:
        """Read and execute lines until ``:quit`` or end of input."""
        self._print(HELP)
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def reader() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=reader, name="fake-telegram-stdin", daemon=True).start()
        while (line := await lines.get()) is not None:
            try:
                if not await self.execute(line.rstrip("\n")):
                    return
            except (AssertionError, ValueError) as err:
                self._print(f"! {err}")

    async def execute(self, line: str) -> bool:
        """Run one console line; returns False to quit."""
        if not line.strip():
            return True
        if not line.startswith(":"):
            await self.user.send(line)
            return True
        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if command == "quit":
            return False
        await self._command(command, arg)
        return True

    async def _command(self, command: str, arg: str) -> None:
        user = self.user
        if command == "press":
            await self._press(arg)
        elif command == "contact":
            parts = shlex.split(arg)
            if not parts:
                raise ValueError("usage: :contact PHONE [USER_ID]")
            owner = int(parts[1]) if len(parts) > 1 else None
            await user.share_contact(parts[0], owner)
        elif command == "photo":
            await user.send_photo(arg or None)
        elif command == "doc":
            await user.send_document(arg or "a.pdf")
        elif command == "sticker":
            await user.send_sticker()
        elif command == "location":
            await user.send_location()
        elif command == "user":
            self.user = self._switch(int(arg))
            self._print(f"* now user {self.user.id}")
        elif command == "lang":
            if arg:
                self.language_code = user.language_code = arg
            self._print(f"* language_code = {user.language_code}")
        elif command == "block":
            user.block()
        elif command == "unblock":
            user.unblock()
        elif command == "history":
            for message in self.api.history(user.id):
                who = "bot" if message.from_bot else f"user {message.sender_id}"
                self._print(f"  #{message.message_id} {who}: {describe(message)}")
        else:
            self._print(HELP)

    async def _press(self, label: str) -> None:
        """Inline button first; else a reply-keyboard button of the latest keyboard."""
        try:
            await self.user.press(label)
            return
        except AssertionError as inline_error:
            keyboards = [m for m in reversed(self.user.inbox) if m.reply_keyboard_labels]
            if not keyboards or label not in keyboards[0].reply_keyboard_labels:
                raise inline_error from None
        if _requests_contact(keyboards[0], label):
            raise ValueError("this button shares a contact: use :contact PHONE")
        await self.user.send(label)


def _requests_contact(message: Message, label: str) -> bool:
    rows = (message.reply_markup or {}).get("keyboard", [])
    return any(
        isinstance(button, dict) and button.get("text") == label and button.get("request_contact")
        for row in rows
        for button in row
    )


def describe(message: Message) -> str:
    """One-line human description of a message."""
    if message.kind == "text":
        return message.plain
    if message.kind == "contact":
        return f"<contact {message.media}>"
    caption = f" {message.plain}" if message.plain else ""
    return f"<{message.kind} {message.file_id or ''}>{caption}"
