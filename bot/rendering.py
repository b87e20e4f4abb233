"""The Jinja2 environment, built once: autoescaped HTML for Telegram, StrictUndefined.

Templates live in templates/<lang>/<name>.html. Traditional Chinese templates that are not
written by hand are converted from the Simplified ones when first loaded (OpenCC), so the
three languages never drift apart in content.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from bot.domain.chinese import to_traditional
from bot.domain.models import Choice, Language

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def default_templates_dir() -> Path:
    """The templates/ folder beside the package (a checkout or an editable install)."""
    return _PACKAGE_ROOT / "templates"


class _HantLoader(jinja2.FileSystemLoader):
    """Serve zh-hant/<name> from its own file, else converted from zh-hans/<name>."""

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
            return to_traditional(source), filename, uptodate

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
        self.env = jinja2.Environment(
            loader=_HantLoader(self.templates_dir),
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
