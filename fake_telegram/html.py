"""Strict validator/parser of Telegram's HTML parse mode.

Modelled on tdlib's ``parse_html`` (the code behind the Bot API), with two deliberate
tightenings: a bare ``&`` that does not start a valid entity, and any ``<`` that does not
start a supported tag, are errors (Telegram tolerates some of these; a bot should not rely
on that). The result is the plain text plus Bot API ``MessageEntity`` dicts whose offsets and
lengths are counted in UTF-16 code units, as Telegram does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HtmlParseError", "ParsedText", "parse_html", "utf16_len"]

# tag name -> entity type (None: decided by attributes)
_TAG_ENTITY: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": None,
    "code": "code",
    "pre": "pre",
    "blockquote": None,
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")
_SPACE = " \t\n\r\f\v"


class HtmlParseError(ValueError):
    """Invalid HTML; ``str(err)`` is Telegram's ``<reason> at byte offset N`` text."""

    def __init__(self, reason: str, byte_offset: int) -> None:
        self.reason = reason
        self.byte_offset = byte_offset
        super().__init__(f"{reason} at byte offset {byte_offset}")


@dataclass
class ParsedText:
    """Plain text (tags removed, entities decoded) and its Bot API entities."""

    plain: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    byte_offset: int
    start: int  # UTF-16 offset in the plain text
    attrs: dict[str, str]


class _Parser:
    """Single-pass parser; ``pos`` indexes characters, offsets are reported in UTF-8 bytes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode("utf-8"))

    def fail(self, reason: str, pos: int) -> HtmlParseError:
        return HtmlParseError(reason, self.byte_offset(pos))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def run(self) -> ParsedText:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self.entity()
            elif char == "<":
                if text.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                nxt = _next_special(text, self.pos)
                self.emit(text[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            tag = self.stack[-1]
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{tag.name}"', tag.byte_offset
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    # -- character entities -------------------------------------------------------------
    def entity(self) -> None:
        match = _ENTITY_RE.match(self.text, self.pos)
        if match is None:
            raise self.fail('Unescaped "&" (use "&amp;")', self.pos)
        dec, hexa, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                raise self.fail(f'Unsupported HTML entity "&{name};"', self.pos)
            self.emit(_NAMED_ENTITIES[name])
        else:
            code = int(dec, 10) if dec is not None else int(hexa, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.fail(f'Invalid character reference "{match.group(0)}"', self.pos)
            self.emit(chr(code))
        self.pos = match.end()

    # -- tags -----------------------------------------------------------------------------
    def start_tag(self) -> None:
        text, begin = self.text, self.pos
        i = begin + 1
        while i < len(text) and text[i] not in _SPACE and text[i] != ">":
            i += 1
        name = text[begin + 1 : i].lower()
        if name not in _TAG_ENTITY:
            raise self.fail(f'Unsupported start tag "{name}"', begin)
        if i >= len(text):
            raise self.fail("Unclosed start tag", begin)
        attrs, i = self.attributes(name, begin, i)
        self.pos = i + 1  # skip '>'
        _check_tag_attributes(name, attrs, self.byte_offset(begin))
        self.stack.append(_OpenTag(name, self.byte_offset(begin), self.utf16, attrs))

    def attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        """Parse ``name="value"`` pairs up to ``>``; returns them and the index of ``>``."""
        text = self.text
        attrs: dict[str, str] = {}
        while True:
            while i < len(text) and text[i] in _SPACE:
                i += 1
            if i >= len(text):
                raise self.fail("Unclosed start tag", begin)
            if text[i] == ">":
                return attrs, i
            name_start = i
            while i < len(text) and text[i] not in _SPACE and text[i] not in "=>":
                i += 1
            attr = text[name_start:i].lower()
            if not attr:
                raise self.fail(f'Empty attribute name in the tag "{tag}"', begin)
            while i < len(text) and text[i] in _SPACE:
                i += 1
            if i < len(text) and text[i] != "=":
                if tag == "blockquote" and attr == "expandable":
                    attrs[attr] = ""
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            i += 1
            while i < len(text) and text[i] in _SPACE:
                i += 1
            value, i = self.attribute_value(begin, i)
            attrs[attr] = value

    def attribute_value(self, begin: int, i: int) -> tuple[str, int]:
        text = self.text
        if i >= len(text):
            raise self.fail("Unclosed start tag", begin)
        if text[i] not in "'\"":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            return text[start:i], i
        quote = text[i]
        end = text.find(quote, i + 1)
        if end < 0:
            raise self.fail("Unclosed start tag", begin)
        return _decode_attribute(text[i + 1 : end]), end + 1

    def end_tag(self) -> None:
        text, begin = self.text, self.pos
        close = text.find(">", begin)
        if close < 0:
            raise self.fail("Unclosed end tag", begin)
        name = text[begin + 2 : close].strip(_SPACE).lower()
        if not self.stack:
            raise self.fail("Unexpected end tag", begin)
        tag = self.stack[-1]
        if name and name != tag.name:
            raise self.fail(
                f'Unmatched end tag, expected "</{tag.name}>", found "</{name}>"', begin
            )
        self.stack.pop()
        self.pos = close + 1
        self.close_entity(tag)

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.start
        language = tag.attrs.get("class", "")
        inside_pre = bool(self.stack) and self.stack[-1].name == "pre"
        if tag.name == "code" and inside_pre and language.startswith("language-"):
            self.stack[-1].attrs["language"] = language.removeprefix("language-")
            return
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.start, "length": length}
        if tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return
            entity.update(type="text_link", url=href)
        elif tag.name == "blockquote":
            expandable = "expandable" in tag.attrs
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        elif tag.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
        else:
            entity["type"] = _TAG_ENTITY[tag.name]
            if tag.name == "pre" and tag.attrs.get("language"):
                entity["language"] = tag.attrs["language"]
        self.entities.append(entity)


def _next_special(text: str, pos: int) -> int:
    """Index of the next ``<`` or ``&`` at or after ``pos`` (or ``len(text)``)."""
    candidates = [i for i in (text.find("<", pos), text.find("&", pos)) if i >= 0]
    return min(candidates, default=len(text))


def _decode_attribute(raw: str) -> str:
    """Decode entities inside a quoted attribute value (lenient, as Telegram is)."""

    def repl(match: re.Match[str]) -> str:
        dec, hexa, name = match.groups()
        if name is not None:
            return _NAMED_ENTITIES.get(name, match.group(0))
        code = int(dec, 10) if dec is not None else int(hexa, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""

    return _ENTITY_RE.sub(repl, raw)


def _check_tag_attributes(name: str, attrs: dict[str, str], byte_offset: int) -> None:
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError('Tag "span" must have class "tg-spoiler"', byte_offset)
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlParseError('Tag "tg-emoji" must have a numeric "emoji-id"', byte_offset)


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML; raise :class:`HtmlParseError` like Telegram would."""
    return _Parser(text).run()
