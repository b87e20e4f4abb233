"""The Jinja2 environment, built once: autoescaped HTML for Telegram, StrictUndefined.

Templates live in templates/<lang>/<name>.html. Traditional Chinese templates that are not
written by hand are converted from the Simplified ones when first loaded, so the three
languages never drift apart in content. The conversion writes Traditional Chinese as Taiwan
does (OpenCC s2twp: its characters and its vocabulary), corrected by the phrase table
templates/zh-hant/phrases.toml where s2twp is wrong for these texts (docs/languages.md).
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import opencc

from bot.domain.models import Choice, Language

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def default_templates_dir() -> Path:
    """The templates/ folder beside the package (a checkout or an editable install)."""
    return _PACKAGE_ROOT / "templates"


PHRASES_FILE = "phrases.toml"


class TraditionalConverter:
    """Simplified to Traditional Chinese as written in Taiwan, with hand-written phrases.

    A phrase of the table is replaced as written; the text between phrases goes through
    OpenCC's s2twp (Taiwan characters and Taiwan vocabulary: 訊息, 聯絡, 設定, 連結).
    """

    def __init__(self, phrases: Mapping[str, str] | None = None) -> None:
        self.phrases = dict(phrases or {})
        self._opencc = opencc.OpenCC("s2twp")
        # Longest first, so that 法律信息 wins over 信息.
        keys = sorted(self.phrases, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    @classmethod
    def from_file(cls, path: Path) -> TraditionalConverter:
        """The converter with the [phrases] table of a TOML file (none if it is missing)."""
        if not path.exists():
            return cls()
        with path.open("rb") as file:
            table = tomllib.load(file).get("phrases", {})
        if not isinstance(table, dict) or not all(
            isinstance(v, str) and k and v for k, v in table.items()
        ):
            raise ValueError(f"{path}: [phrases] must map Simplified to Traditional text")
        return cls(table)

    def convert(self, text: str) -> str:
        """Convert Simplified Chinese text; other text passes unchanged."""
        if self._pattern is None:
            return str(self._opencc.convert(text))
        parts: list[str] = []
        start = 0
        for match in self._pattern.finditer(text):
            parts.append(str(self._opencc.convert(text[start : match.start()])))
            parts.append(self.phrases[match.group()])
            start = match.end()
        parts.append(str(self._opencc.convert(text[start:])))
        return "".join(parts)


class _HantLoader(jinja2.FileSystemLoader):
    """Serve zh-hant/<name> from its own file, else converted from zh-hans/<name>."""

    def __init__(self, searchpath: Path, converter: TraditionalConverter) -> None:
        super().__init__(searchpath)
        self.converter = converter

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            prefix = Language.ZH_HANT.value + "/"
            if not template.startswith(prefix):
                raise
            source, filename, uptodate = super().get_source(
                environment, Language.ZH_HANS.value + "/" + template[len(prefix) :]
            )
            return self.converter.convert(source), filename, uptodate

    def list_templates(self) -> list[str]:
        names = set(super().list_templates())
        hans = Language.ZH_HANS.value + "/"
        names |= {
            Language.ZH_HANT.value + "/" + n[len(hans) :] for n in names if n.startswith(hans)
        }
        return sorted(names)


class Renderer:
    """Renders message templates and button labels in a given language."""

    def __init__(
        self,
        templates_dir: Path | None = None,
        choices: Mapping[str, Sequence[Choice]] | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.templates_dir = templates_dir or default_templates_dir()
        self._choices = {kind: {c.id: c for c in items} for kind, items in (choices or {}).items()}
        self._zone = ZoneInfo(timezone)
        self.traditional = TraditionalConverter.from_file(
            self.templates_dir / Language.ZH_HANT.value / PHRASES_FILE
        )
        self.env = jinja2.Environment(
            loader=_HantLoader(self.templates_dir, self.traditional),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.globals["choice"] = self._choice_label
        self.env.filters["local_time"] = self._local_time

    @jinja2.pass_context
    def _choice_label(self, context: jinja2.runtime.Context, kind: str, ident: str) -> str:
        """A configured district, industry or category label in the template's language."""
        return self.choice(kind, ident, Language(context["lang"]))

    def choice(self, kind: str, ident: str, lang: Language) -> str:
        """A configured district, industry or category label in a language (else the id)."""
        found = self._choices.get(kind, {}).get(ident)
        return found.label(lang) if found else ident

    def _local_time(self, value: str | datetime) -> str:
        """An ISO timestamp shown in the deployment's timezone."""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(self._zone).strftime("%Y-%m-%d %H:%M")

    def render(self, name: str, lang: Language, /, **context: Any) -> str:
        """Render templates/<lang>/<name>.html as Telegram HTML."""
        template = self.env.get_template(f"{lang.value}/{name}.html")
        return template.render(lang=lang.value, **context).strip()

    def label(self, lang: Language, name: str, *args: Any) -> str:
        """Render a button label (a macro of buttons.html) as plain text."""
        module = self.env.get_template(f"{lang.value}/buttons.html").module
        macro = getattr(module, name, None)
        if macro is None:
            raise KeyError(f"no button label {name!r}")
        return html.unescape(str(macro(*args))).strip()

    def message_names(self) -> list[str]:
        """Every message template name (without language and extension), for checks."""
        prefix = Language.ZH_HANS.value + "/"
        return [
            n[len(prefix) : -len(".html")]
            for n in self.env.list_templates(extensions=["html"])
            if n.startswith(prefix)
            and not n.rsplit("/", 1)[-1].startswith("_")
            and n != prefix + "buttons.html"
        ]
