"""Fake Telegram users: they write to the bot, press buttons and share contacts."""

from __future__ import annotations

import re
import struct
import zlib
from typing import TYPE_CHECKING, Any

from .html import utf16_len
from .models import FakeChat, Message

if TYPE_CHECKING:
    from .state import FakeState

__all__ = ["TINY_PNG", "FakeUser", "command_entities"]

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def _tiny_png() -> bytes:
    """A valid 1x1 white PNG, so "photos" from users are real images."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        body = tag + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


TINY_PNG = _tiny_png()


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram attaches to a text starting with ``/command``."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


class FakeUser:
    """A Telegram user of the fake; its async methods deliver real Update JSON to the bot."""

    def __init__(
        self,
        api: FakeState,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        # The latest bot message a test step already handed out (0: none), so that waiting
        # for "the next message saying X" never returns the same message twice.
        self.seen_message_id = 0

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    def to_json(self) -> dict[str, Any]:
        """Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @property
    def chat(self) -> FakeChat:
        """The private chat with the bot."""
        return self.api.chats[self.id]

    # -- sending ------------------------------------------------------------------------------
    async def _post(self, kind: str, chat_id: int | None = None, **fields: Any) -> Message:
        message = self.api.record_user_message(self, kind=kind, chat_id=chat_id, **fields)
        await self.api.deliver_message(message)
        return message

    async def send(
        self, text: str, *, chat_id: int | None = None, reply_to_message_id: int | None = None
    ) -> Message:
        """Send a text (``/cmd ...`` gets its ``bot_command`` entity), replying to a message
        of the chat if ``reply_to_message_id`` is given."""
        return await self._post(
            "text",
            chat_id,
            text=text,
            plain=text,
            entities=command_entities(text),
            reply_to_message_id=reply_to_message_id,
        )

    async def reply(self, to_message: Message, text: str) -> Message:
        """Send a text replying to ``to_message``."""
        return await self._post(
            "text",
            to_message.chat_id,
            text=text,
            plain=text,
            entities=command_entities(text),
            reply_to_message_id=to_message.message_id,
        )

    async def share_contact(
        self,
        phone_number: str,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        anonymous: bool = False,
    ) -> Message:
        """Share a contact card: one's own by default, or someone else's (``user_id``).

        ``anonymous=True`` omits ``user_id`` (a phone-book entry without Telegram account).
        Note: real clients often send the number without the leading ``+``.
        """
        owner = self.id if user_id is None else user_id
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or (self.first_name if owner == self.id else "Contact"),
        }
        if last_name is not None or (owner == self.id and self.last_name is not None):
            contact["last_name"] = last_name if last_name is not None else self.last_name
        if not anonymous:
            contact["user_id"] = owner
        return await self._post("contact", media=contact)

    async def send_photo(
        self,
        caption: str | None = None,
        content: bytes | None = None,
        *,
        mime_type: str = "image/png",
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """Send a photo (a tiny real PNG unless ``content`` is given)."""
        ext = "jpg" if mime_type == "image/jpeg" else mime_type.rpartition("/")[2] or "png"
        stored = self.api.store_file("photo", content or TINY_PNG, mime_type=mime_type, ext=ext)
        return await self._post(
            "photo",
            caption=caption,
            plain=caption or "",
            file_id=stored.file_id,
            media=self.api.photo_sizes(stored),
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
        )

    async def send_document(
        self,
        file_name: str = "a.pdf",
        caption: str | None = None,
        content: bytes | None = None,
        mime_type: str | None = None,
        *,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """Send a document (synthetic bytes unless ``content`` is given)."""
        ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else "bin"
        if mime_type is None:
            mime_type = "application/pdf" if ext == "pdf" else "application/octet-stream"
        data = content if content is not None else _fake_document(file_name)
        return await self._send_file(
            "document",
            data,
            ext,
            {"file_name": file_name, "mime_type": mime_type},
            caption,
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
        )

    async def send_voice(
        self,
        duration: int = 42,
        caption: str | None = None,
        *,
        size: int = 0,
        reply_to_message_id: int | None = None,
    ) -> Message:
        """Send a voice note of ``duration`` seconds (``size``: claimed bytes, for limits)."""
        return await self._send_file(
            "voice",
            b"OggS\x00fake-voice",
            "oga",
            {"duration": duration, "mime_type": "audio/ogg"},
            caption,
            size=size,
            reply_to_message_id=reply_to_message_id,
        )

    async def send_audio(
        self,
        duration: int = 180,
        caption: str | None = None,
        *,
        title: str = "录音",
        file_name: str = "recording.mp3",
        size: int = 0,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """Send an audio file."""
        return await self._send_file(
            "audio",
            b"ID3fake-audio",
            "mp3",
            {
                "duration": duration,
                "title": title,
                "file_name": file_name,
                "mime_type": "audio/mpeg",
            },
            caption,
            size=size,
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
        )

    async def send_video(
        self,
        duration: int = 15,
        caption: str | None = None,
        *,
        size: int = 0,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """Send a video (``size`` may claim more than 20 MB: Telegram's download limit)."""
        return await self._send_file(
            "video",
            b"\x00\x00\x00\x18ftypmp42fake-video",
            "mp4",
            {"duration": duration, "width": 1280, "height": 720, "mime_type": "video/mp4"},
            caption,
            size=size,
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
        )

    async def send_video_note(
        self, duration: int = 8, *, reply_to_message_id: int | None = None
    ) -> Message:
        """Send a round video message (it cannot carry a caption)."""
        return await self._send_file(
            "video_note",
            b"\x00\x00\x00\x18ftypmp42fake-round",
            "mp4",
            {"duration": duration, "length": 384},
            None,
            reply_to_message_id=reply_to_message_id,
        )

    async def send_animation(
        self, caption: str | None = None, *, reply_to_message_id: int | None = None
    ) -> Message:
        """Send an animation (a GIF, sent by Telegram as a soundless MP4)."""
        return await self._send_file(
            "animation",
            b"\x00\x00\x00\x18ftypmp42fake-gif",
            "mp4",
            {
                "duration": 3,
                "width": 320,
                "height": 240,
                "file_name": "animation.mp4",
                "mime_type": "video/mp4",
            },
            caption,
            reply_to_message_id=reply_to_message_id,
        )

    async def send_album(
        self, count: int = 3, kind: str = "photo", caption: str | None = None
    ) -> list[Message]:
        """Send ``count`` photos (or documents, videos) at once: one update each, as Telegram
        delivers an album, sharing a ``media_group_id``; the caption is on the first."""
        group = self.api.new_media_group_id()
        sent = []
        for index in range(count):
            text = caption if index == 0 else None
            if kind == "photo":
                sent.append(await self.send_photo(text, media_group_id=group))
            elif kind == "video":
                sent.append(await self.send_video(caption=text, media_group_id=group))
            else:
                name = f"page-{index + 1}.pdf"
                sent.append(await self.send_document(name, text, media_group_id=group))
        return sent

    async def _send_file(
        self,
        kind: str,
        data: bytes,
        ext: str,
        extra: dict[str, Any],
        caption: str | None,
        *,
        size: int = 0,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        stored = self.api.store_file(
            kind,
            data,
            file_name=extra.get("file_name"),
            mime_type=extra.get("mime_type"),
            ext=ext,
        )
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            **extra,
            "file_size": size or stored.file_size,
        }
        return await self._post(
            kind,
            caption=caption,
            plain=caption or "",
            file_id=stored.file_id,
            media=media,
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
        )

    async def send_sticker(self, emoji: str = "👍") -> Message:
        """Send a (static) sticker."""
        stored = self.api.store_file("sticker", b"RIFF\x00\x00\x00\x00WEBPfake", ext="webp")
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return await self._post("sticker", file_id=stored.file_id, media=media)

    async def send_location(
        self,
        latitude: float = 31.2304,
        longitude: float = 121.4737,
        *,
        reply_to_message_id: int | None = None,
    ) -> Message:
        """Send a location (Shanghai by default)."""
        return await self._post(
            "location",
            media={"latitude": latitude, "longitude": longitude},
            reply_to_message_id=reply_to_message_id,
        )

    async def send_venue(
        self,
        title: str = "淮南市公安局田家庵分局",
        address: str = "安徽省淮南市田家庵区洞山中路",
        latitude: float = 32.6264,
        longitude: float = 116.9998,
    ) -> Message:
        """Send a venue (a named place with an address)."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._post(
            "venue", media={"location": location, "title": title, "address": address}
        )

    async def send_poll(self, question: str = "哪天方便?") -> Message:
        """Send a poll (a kind the bot does not relay)."""
        media = {
            "id": str(self.api.next_update_id()),
            "question": question,
            "options": [
                {"text": "周一", "voter_count": 0, "persistent_id": "1"},
                {"text": "周二", "voter_count": 0, "persistent_id": "2"},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return await self._post("poll", media=media)

    # -- buttons ------------------------------------------------------------------------------
    def find_button(self, label: str, message: Message | None = None) -> tuple[Message, str]:
        """The message and callback_data of the inline button labelled ``label``."""
        if message is not None:
            candidates = [message]
        else:
            sent = self.api.sent_to(self.id)
            candidates = [m for m in reversed(sent) if m.buttons]
        for candidate in candidates:
            for button in candidate.buttons:
                if button.get("text") != label:
                    continue
                if button.get("callback_data") is None:
                    kinds = [k for k in button if k != "text"]
                    raise AssertionError(f"button {label!r} is not a callback button: {kinds}")
                return candidate, str(button["callback_data"])
        available = "; ".join(f"#{m.message_id}: {m.button_labels}" for m in candidates[:3])
        raise AssertionError(
            f"no inline button {label!r} in chat {self.id}; available: {available or 'none'}"
        )

    async def press(self, label: str, message: Message | None = None) -> str:
        """Press an inline button by its exact text; returns the callback query id.

        Looks on ``message`` if given, else on the latest bot message bearing the label.
        """
        target, data = self.find_button(label, message)
        return await self.api.deliver_callback(self, target, data)

    async def press_data(self, message: Message, data: str | None) -> str:
        """Send a callback query with arbitrary (possibly forged) data for ``message``."""
        return await self.api.deliver_callback(self, message, data)

    # -- inspection and state -----------------------------------------------------------------
    @property
    def inbox(self) -> list[Message]:
        """Bot messages to this user, in order."""
        return self.api.sent_to(self.id)

    @property
    def last(self) -> Message | None:
        """The latest bot message to this user."""
        return self.api.last_bot_message(self.id)

    @property
    def blocked(self) -> bool:
        return self.id in self.api.blocked

    def block(self) -> None:
        """Block the bot: sending to this user answers 403 until unblocked (or the user writes)."""
        self.api.blocked.add(self.id)

    def unblock(self) -> None:
        """Unblock the bot."""
        self.api.blocked.discard(self.id)


def _fake_document(file_name: str) -> bytes:
    if file_name.lower().endswith(".pdf"):
        return f"%PDF-1.4\n% fake document {file_name}\n%%EOF\n".encode()
    return f"fake document {file_name}\n".encode()
