"""Recurring notices (PRODUCT §6): config/notices.toml read and checked, cron by APScheduler.

`check_notices(settings)` validates the file without starting anything (for `legal-aid-bot
schedule check`); `load_notices(settings)` returns the notices the NoticeWork sends. A bad
entry raises the settings' ConfigError: one line naming the file, the entry and the problem.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.domain.bulk import Audience
from bot.domain.models import Language
from bot.domain.notices import Notice
from bot.rendering import default_templates_dir
from bot.settings import ConfigError, Settings

_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_KEYS = {"id", "cron", "template", "audience", "urgent"}


class CronRecurrence:
    """A cron expression in a timezone: the occurrence after a moment."""

    def __init__(self, expression: str, timezone: str) -> None:
        self.expression = expression
        self._trigger = CronTrigger.from_crontab(expression, timezone=zoneinfo.ZoneInfo(timezone))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after moment (aware), if any."""
        # APScheduler counts `now` itself as due: a microsecond later makes it strictly after.
        found = self._trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        return found.astimezone(moment.tzinfo) if found is not None else None


def notices_file(settings: Settings) -> Path:
    """Where the notices are configured ([data] notices, relative to the config folder)."""
    return settings.config_dir / settings.data.notices


def check_notices(settings: Settings, templates: Path | None = None) -> None:
    """Validate config/notices.toml; raise ConfigError (one line) for the first bad entry."""
    load_notices(settings, templates)


def load_notices(settings: Settings, templates: Path | None = None) -> tuple[Notice, ...]:
    """Every configured notice, checked: cron, template in every language, audience ids."""
    path = notices_file(settings)
    source = str(path)
    if not path.is_file():
        return ()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "-", f"not valid TOML ({exc})") from None
    unknown = set(raw) - {"notice"}
    if unknown:
        raise ConfigError(source, sorted(unknown)[0], "unknown key (entries are [[notice]])")
    entries = raw.get("notice", [])
    if not isinstance(entries, list):
        raise ConfigError(source, "notice", "must be [[notice]] entries")
    folder = templates or default_templates_dir()
    known = {
        "districts": {c.id for c in settings.districts},
        "industries": {c.id for c in settings.industries},
    }
    notices: list[Notice] = []
    for number, entry in enumerate(entries, 1):
        notice = _notice(entry, number, source, settings, folder, known)
        if any(n.id == notice.id for n in notices):
            raise ConfigError(source, f"notice {notice.id!r}", "duplicate id")
        notices.append(notice)
    return tuple(notices)


def _notice(
    entry: Any,
    number: int,
    source: str,
    settings: Settings,
    templates: Path,
    known: dict[str, set[str]],
) -> Notice:
    if not isinstance(entry, dict):
        raise ConfigError(source, f"notice #{number}", "must be a table")
    ident = entry.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise ConfigError(source, f"notice #{number}.id", "letters, digits, - and _ (1-40)")
    key = f"notice {ident!r}"
    extra = set(entry) - _KEYS
    if extra:
        raise ConfigError(source, f"{key}.{sorted(extra)[0]}", "unknown key")
    cron = entry.get("cron")
    if not isinstance(cron, str):
        raise ConfigError(source, f"{key}.cron", 'missing (e.g. cron = "0 9 * * mon")')
    try:
        recurrence = CronRecurrence(cron, settings.locale.timezone)
    except ValueError as exc:
        raise ConfigError(source, f"{key}.cron", f"malformed cron {cron!r} ({exc})") from None
    template = entry.get("template")
    if not isinstance(template, str) or not _ID.match(template):
        raise ConfigError(source, f"{key}.template", "missing or not a template name")
    for lang in (Language.ZH_HANS, Language.EN):
        if not (templates / lang.value / "notices" / f"{template}.html").is_file():
            raise ConfigError(
                source,
                f"{key}.template",
                f"unknown template: templates/{lang.value}/notices/{template}.html is missing",
            )
    urgent = entry.get("urgent", False)
    if not isinstance(urgent, bool):
        raise ConfigError(source, f"{key}.urgent", "must be true or false")
    audience = _audience(entry.get("audience"), f"{key}.audience", source, known)
    return Notice(ident, recurrence, f"notices/{template}", audience, urgent)


def _audience(raw: Any, key: str, source: str, known: dict[str, set[str]]) -> Audience:
    if raw == "all":
        return Audience()
    if not isinstance(raw, dict):
        raise ConfigError(
            source, key, 'unknown audience: "all", or a table of districts, industries, open_cases'
        )
    extra = set(raw) - {"districts", "industries", "open_cases"}
    if extra:
        raise ConfigError(source, f"{key}.{sorted(extra)[0]}", "unknown audience filter")
    for kind in ("districts", "industries"):
        values = raw.get(kind, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(source, f"{key}.{kind}", "must be a list of ids")
        for value in values:
            if value not in known[kind]:
                singular = {"districts": "district", "industries": "industry"}[kind]
                raise ConfigError(source, f"{key}.{kind}", f"unknown {singular} {value!r}")
    if not isinstance(raw.get("open_cases", False), bool):
        raise ConfigError(source, f"{key}.open_cases", "must be true or false")
    audience = Audience.from_dict(raw)
    if audience.everyone:
        raise ConfigError(source, key, 'no filter given: write audience = "all" for every owner')
    return audience
