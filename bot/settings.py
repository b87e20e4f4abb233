"""Settings: the only reader of config/ and the environment. Frozen, typed, validated."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.calendar import Basis, DayKind, DayRule, WorkCalendar, parse_hours
from bot.domain.chinese import to_traditional
from bot.domain.figures import parse_report_time
from bot.domain.models import Category, Choice, Language

ENV_PREFIX = "LEGAL_AID_"
TOKEN_ENV = "LEGAL_AID_BOT_TOKEN"
CONFIG_DIR_ENV = "LEGAL_AID_CONFIG_DIR"
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A bad settings file or value; str() is the one line shown to the operator."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source, self.key, self.problem = source, key, problem


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout: int = 30
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    concurrent_updates: int = 64
    max_messages_per_second: int = 30
    bot_username: str = ""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str = ""
    listen: str = "0.0.0.0"
    port: int = 8443
    secret_token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class StorageSettings:
    database: str = "data/legal-aid.db"
    busy_timeout_ms: int = 5000


@dataclass(frozen=True, slots=True)
class LocaleSettings:
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh-hans"


@dataclass(frozen=True, slots=True)
class AccessSettings:
    admins: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SlaSettings:
    normal_hours: int = 24
    urgent_hours: int = 2
    normal_basis: str = "working"
    urgent_basis: str = "calendar"


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    owner_followup_days: int = 3
    autoclose_days: int = 7
    daily_report_at: str = "08:00"


@dataclass(frozen=True, slots=True)
class WorkingHoursSettings:
    monday: str = "09:00-12:00,13:30-17:30"
    tuesday: str = "09:00-12:00,13:30-17:30"
    wednesday: str = "09:00-12:00,13:30-17:30"
    thursday: str = "09:00-12:00,13:30-17:30"
    friday: str = "09:00-12:00,13:30-17:30"
    saturday: str = ""
    sunday: str = ""
    makeup: str = "09:00-12:00,13:30-17:30"


@dataclass(frozen=True, slots=True)
class CasesSettings:
    number_prefix: str = "HN"
    invite_hours: int = 72
    description_min_chars: int = 5
    join_request_days: int = 7
    album_wait_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    messages_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    max_attempts: int = 25


@dataclass(frozen=True, slots=True)
class InboxSettings:
    max_attempts: int = 3
    retry_seconds: float = 2.0
    retention_days: int = 7


@dataclass(frozen=True, slots=True)
class BroadcastSettings:
    batch_size: int = 500
    progress_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class DataSettings:
    districts: str = "districts.toml"
    industries: str = "industries.toml"
    categories: str = "categories.toml"
    calendar: str = "calendar.toml"
    notices: str = "notices.toml"


@dataclass(frozen=True, slots=True)
class FaqSettings:
    review_max_age_days: int = 180
    show_expired_measures: bool = True


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = "INFO"


_SECTIONS: dict[str, type] = {
    "telegram": TelegramSettings,
    "webhook": WebhookSettings,
    "storage": StorageSettings,
    "locale": LocaleSettings,
    "access": AccessSettings,
    "sla": SlaSettings,
    "schedule": ScheduleSettings,
    "working_hours": WorkingHoursSettings,
    "cases": CasesSettings,
    "outbox": OutboxSettings,
    "inbox": InboxSettings,
    "broadcast": BroadcastSettings,
    "data": DataSettings,
    "faq": FaqSettings,
    "logging": LoggingSettings,
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with, loaded once at start."""

    config_dir: Path
    token: str = field(repr=False)
    telegram: TelegramSettings
    webhook: WebhookSettings
    storage: StorageSettings
    locale: LocaleSettings
    access: AccessSettings
    sla: SlaSettings
    schedule: ScheduleSettings
    working_hours: WorkingHoursSettings
    cases: CasesSettings
    outbox: OutboxSettings
    inbox: InboxSettings
    broadcast: BroadcastSettings
    data: DataSettings
    faq: FaqSettings
    logging: LoggingSettings
    districts: tuple[Choice, ...]
    industries: tuple[Choice, ...]
    categories: tuple[Category, ...]
    calendar_days: tuple[DayRule, ...] = ()

    def work_calendar(self) -> WorkCalendar:
        """The working-time calendar: official schedule, calendar.toml, working hours."""
        hours = self.working_hours
        weekdays = [getattr(hours, day) for day in _WEEKDAYS]
        return WorkCalendar.build(
            self.locale.timezone,
            [parse_hours(h) for h in weekdays],
            parse_hours(hours.makeup),
            self.calendar_days,
        )

    @property
    def default_language(self) -> Language:
        """The fallback language as an enum."""
        return Language(self.locale.default_language)

    @property
    def database_path(self) -> Path:
        """The database file; a relative path is taken from the working directory."""
        return Path(self.storage.database)


def default_config_dir() -> Path:
    """Find config/: $LEGAL_AID_CONFIG_DIR, ./config, or the one beside the package."""
    if env := os.environ.get(CONFIG_DIR_ENV):
        return Path(env)
    local = Path.cwd() / "config"
    return local if (local / "settings.toml").is_file() else _PACKAGE_ROOT / "config"


def load_settings(
    config_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    require_token: bool = True,
) -> Settings:
    """Read settings.toml and the data files, apply LEGAL_AID_* overrides, validate everything."""
    env = os.environ if environ is None else environ
    config_dir = config_dir or default_config_dir()
    settings_file = config_dir / "settings.toml"
    raw = _read_toml(settings_file)
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = raw.pop(name, {})
        if not isinstance(table, dict):
            raise ConfigError(str(settings_file), name, "must be a table")
        sections[name] = _build_section(name, cls, table, env, str(settings_file))
    if raw:
        raise ConfigError(str(settings_file), next(iter(raw)), "unknown section")
    _check_unknown_env(env)
    token = env.get(TOKEN_ENV, "").strip()
    if require_token:
        _check_token(token)
    _validate(sections, str(settings_file))
    data: DataSettings = sections["data"]
    return Settings(
        config_dir=config_dir,
        token=token,
        districts=_load_choices(config_dir / data.districts, "district"),
        industries=_load_choices(config_dir / data.industries, "industry"),
        categories=_load_categories(config_dir / data.categories, sections["sla"]),
        calendar_days=load_calendar_days(config_dir / data.calendar),
        **sections,
    )


class MissingTokenError(ConfigError):
    """No bot token in the environment."""


def _check_token(token: str) -> None:
    if not token:
        raise MissingTokenError(
            TOKEN_ENV,
            "missing",
            "no bot token. Create a bot with @BotFather in Telegram (/newbot), then "
            f"`export {TOKEN_ENV}=<the token it gives>` and start again",
        )
    head, _, tail = token.partition(":")
    if not head.isdigit() or len(tail) < 20:
        raise ConfigError(
            TOKEN_ENV, "format", "does not look like a bot token (expected <digits>:<35 chars>)"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"not valid TOML ({exc})") from None


def _build_section(
    section: str, cls: type, table: dict[str, Any], env: Mapping[str, str], source: str
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(source, f"{section}.{key}", "unknown setting")
        values[key] = _coerce(value, hints[key], source, f"{section}.{key}")
    for key in fields:
        env_name = f"{ENV_PREFIX}{section}_{key}".upper()
        if env_name in env:
            values[key] = _coerce_env(env[env_name], hints[key], env_name)
    return cls(**values)


def _coerce(value: Any, hint: Any, source: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(source, key, f"must be a list, got {value!r}")
        return tuple(_coerce(v, item_type, source, key) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float) and isinstance(value, bool):
        raise ConfigError(source, key, f"must be a number, got {value!r}")
    if not isinstance(value, hint):
        raise ConfigError(source, key, f"must be {hint.__name__}, got {value!r}")
    return value


def _coerce_env(raw: str, hint: Any, name: str) -> Any:
    if typing.get_origin(hint) is tuple:
        item_type = typing.get_args(hint)[0]
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return tuple(_coerce_env(p, item_type, name) for p in parts)
    if isinstance(hint, types.UnionType):  # pragma: no cover - no optional settings yet
        hint = typing.get_args(hint)[0]
    if hint is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError("environment", name, f"must be true or false, got {raw!r}")
    try:
        return hint(raw.strip()) if hint is not str else raw
    except ValueError:
        raise ConfigError("environment", name, f"must be {hint.__name__}, got {raw!r}") from None


def _check_unknown_env(env: Mapping[str, str]) -> None:
    known = {TOKEN_ENV, CONFIG_DIR_ENV}
    for section, cls in _SECTIONS.items():
        known |= {f"{ENV_PREFIX}{section}_{f.name}".upper() for f in dataclasses.fields(cls)}
    for name in env:
        if name.startswith(ENV_PREFIX) and name not in known:
            raise ConfigError("environment", name, "unknown setting (check the spelling)")


def _validate(sections: dict[str, Any], source: str) -> None:
    tg: TelegramSettings = sections["telegram"]
    for key in ("base_url", "base_file_url"):
        if not getattr(tg, key).startswith(("http://", "https://")):
            raise ConfigError(source, f"telegram.{key}", "must start with http:// or https://")
    if tg.poll_timeout < 0 or tg.connect_timeout <= 0 or tg.read_timeout <= 0:
        raise ConfigError(source, "telegram", "timeouts must be positive")
    if tg.max_messages_per_second < 0:
        raise ConfigError(source, "telegram.max_messages_per_second", "must be 0 (off) or more")
    if tg.concurrent_updates < 1:
        raise ConfigError(source, "telegram.concurrent_updates", "must be at least 1")
    locale: LocaleSettings = sections["locale"]
    try:
        zoneinfo.ZoneInfo(locale.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            source, "locale.timezone", f"unknown timezone {locale.timezone!r}"
        ) from None
    if locale.default_language not in {lang.value for lang in Language}:
        choices = ", ".join(lang.value for lang in Language)
        raise ConfigError(source, "locale.default_language", f"must be one of {choices}")
    level = sections["logging"].level
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(source, "logging.level", f"unknown level {level!r}")
    sla: SlaSettings = sections["sla"]
    if sla.normal_hours <= 0 or sla.urgent_hours <= 0:
        raise ConfigError(source, "sla", "hours must be positive")
    for urgency in ("normal", "urgent"):
        _basis(getattr(sla, f"{urgency}_basis"), source, f"sla.{urgency}_basis")
    schedule: ScheduleSettings = sections["schedule"]
    if schedule.owner_followup_days < 1 or schedule.autoclose_days < 1:
        raise ConfigError(
            source, "schedule", "owner_followup_days and autoclose_days must be at least 1"
        )
    hours: WorkingHoursSettings = sections["working_hours"]
    for key in (*_WEEKDAYS, "makeup"):
        try:
            parse_hours(getattr(hours, key))
        except ValueError as exc:
            raise ConfigError(source, f"working_hours.{key}", str(exc)) from None
    if not any(parse_hours(getattr(hours, day)) for day in _WEEKDAYS):
        raise ConfigError(source, "working_hours", "no weekday has working hours")
    cases: CasesSettings = sections["cases"]
    if not cases.number_prefix.isalnum() or not cases.number_prefix.isascii():
        raise ConfigError(source, "cases.number_prefix", "letters and digits only (e.g. HN)")
    if cases.invite_hours <= 0 or cases.description_min_chars < 1 or cases.join_request_days < 1:
        raise ConfigError(
            source,
            "cases",
            "invite_hours, description_min_chars and join_request_days must be positive",
        )
    if not 0 < cases.album_wait_seconds <= 60:
        raise ConfigError(source, "cases.album_wait_seconds", "must be more than 0, at most 60")
    outbox: OutboxSettings = sections["outbox"]
    if min(outbox.messages_per_second, outbox.per_chat_per_second, outbox.retry_base_seconds) <= 0:
        raise ConfigError(source, "outbox", "rates and retry_base_seconds must be positive")
    if outbox.max_attempts < 1 or outbox.chat_burst < 1 or outbox.group_per_minute < 1:
        raise ConfigError(source, "outbox", "max_attempts, chat_burst, group_per_minute >= 1")
    inbox: InboxSettings = sections["inbox"]
    if inbox.max_attempts < 1 or inbox.retention_days < 1 or inbox.retry_seconds <= 0:
        raise ConfigError(
            source, "inbox", "max_attempts and retention_days >= 1, retry_seconds positive"
        )
    broadcast: BroadcastSettings = sections["broadcast"]
    if broadcast.batch_size < 1 or broadcast.progress_seconds < 1:
        raise ConfigError(source, "broadcast", "batch_size and progress_seconds must be >= 1")
    if sections["faq"].review_max_age_days < 1:
        raise ConfigError(source, "faq.review_max_age_days", "must be at least 1")
    try:
        parse_report_time(sections["schedule"].daily_report_at)
    except ValueError:
        raise ConfigError(
            source, "schedule.daily_report_at", "must be HH:MM (24 h) or empty (no report)"
        ) from None
    if not 1 <= sections["webhook"].port <= 65535:
        raise ConfigError(source, "webhook.port", "must be 1-65535")


def _choice(entry: dict[str, Any], path: Path, key: str) -> Choice:
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident:
        raise ConfigError(str(path), f"{key}.id", "missing or empty")
    labels: dict[str, str] = {}
    for lang in (Language.ZH_HANS, Language.EN):
        label = entry.get(lang.value)
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(str(path), f"{key} {ident!r}", f"missing label {lang.value!r}")
        labels[lang.value] = label
    hant = entry.get(Language.ZH_HANT.value)
    labels[Language.ZH_HANT.value] = (
        hant if isinstance(hant, str) else to_traditional(labels[Language.ZH_HANS.value])
    )
    return Choice(ident, labels)


def _load_choices(path: Path, key: str) -> tuple[Choice, ...]:
    entries = _read_toml(path).get(key)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(str(path), key, f"needs at least one [[{key}]] entry")
    choices = tuple(_choice(e, path, key) for e in entries)
    seen: set[str] = set()
    for c in choices:
        if c.id in seen:
            raise ConfigError(str(path), f"{key} {c.id!r}", "duplicate id")
        seen.add(c.id)
    return choices


def _load_categories(path: Path, sla: SlaSettings) -> tuple[Category, ...]:
    entries = _read_toml(path).get("category")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(str(path), "category", "needs at least one [[category]] entry")
    result = []
    for entry in entries:
        choice = _choice(entry, path, "category")
        route = entry.get("route")
        specialty = entry.get("specialty")
        if route not in ("liaison", "counsel"):
            raise ConfigError(
                str(path), f"category {choice.id!r}.route", "must be liaison or counsel"
            )
        if route == "counsel" and not isinstance(specialty, str):
            raise ConfigError(str(path), f"category {choice.id!r}.specialty", "counsel needs one")
        sla_basis = _category_basis(entry.get("sla_basis"), sla, path, choice.id)
        hours = entry.get("sla_hours", {})
        sla_hours = {"normal": sla.normal_hours, "urgent": sla.urgent_hours}
        for urgency, value in hours.items():
            if urgency not in sla_hours or not isinstance(value, int) or value <= 0:
                raise ConfigError(
                    str(path), f"category {choice.id!r}.sla_hours.{urgency}", "positive hours"
                )
            sla_hours[urgency] = value
        result.append(
            Category(
                choice,
                route,
                specialty,
                types.MappingProxyType(sla_hours),
                types.MappingProxyType(sla_basis),
            )
        )
    return tuple(result)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_URGENCIES = ("normal", "urgent")


def _basis(value: object, source: str, key: str) -> Basis:
    choices = " or ".join(b.value for b in Basis)
    if not isinstance(value, str) or value not in {b.value for b in Basis}:
        raise ConfigError(source, key, f"unknown basis {value!r} (must be {choices})")
    return Basis(value)


def _category_basis(raw: object, sla: SlaSettings, path: Path, ident: str) -> dict[str, Basis]:
    """A category's sla_basis: one word for both urgencies, or a table by urgency."""
    key = f"category {ident!r}.sla_basis"
    basis = {u: Basis(getattr(sla, f"{u}_basis")) for u in _URGENCIES}
    if raw is None:
        return basis
    if isinstance(raw, str):
        one = _basis(raw, str(path), key)
        return dict.fromkeys(_URGENCIES, one)
    if not isinstance(raw, dict):
        raise ConfigError(str(path), key, "must be calendar, working, or a table by urgency")
    for urgency, value in raw.items():
        if urgency not in basis:
            raise ConfigError(str(path), f"{key}.{urgency}", "unknown urgency (normal, urgent)")
        basis[urgency] = _basis(value, str(path), f"{key}.{urgency}")
    return basis


def load_calendar_days(path: Path) -> tuple[DayRule, ...]:
    """calendar.toml's [[day]] entries (a missing file adds nothing); one line per problem."""
    if not path.is_file():
        return ()
    raw = _read_toml(path)
    unknown = set(raw) - {"day"}
    if unknown:
        raise ConfigError(str(path), sorted(unknown)[0], "unknown key (only [[day]] entries)")
    entries = raw.get("day", [])
    if not isinstance(entries, list):
        raise ConfigError(str(path), "day", "must be [[day]] entries")
    rules: dict[date, DayRule] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"day {number}"
        if not isinstance(entry, dict):
            raise ConfigError(str(path), where, "must be a table")
        extra = set(entry) - {"date", "until", "kind", "name"}
        if extra:
            raise ConfigError(str(path), f"{where}.{sorted(extra)[0]}", "unknown key")
        first = _toml_date(entry.get("date"), path, f"{where}.date")
        where = f"day {number} ({first.isoformat()})"
        last = _toml_date(entry.get("until", first), path, f"{where}.until")
        if last < first:
            raise ConfigError(str(path), f"{where}.until", "is before date")
        kind = entry.get("kind")
        if kind not in {k.value for k in DayKind}:
            raise ConfigError(
                str(path), f"{where}.kind", f"must be holiday or workday, got {kind!r}"
            )
        name = entry.get("name", "")
        if not isinstance(name, str):
            raise ConfigError(str(path), f"{where}.name", "must be text")
        day = first
        while day <= last:
            if day in rules:
                raise ConfigError(str(path), where, f"{day.isoformat()} is set twice")
            rules[day] = DayRule(day, DayKind(kind), name)
            day += timedelta(days=1)
    return tuple(rules.values())


def _toml_date(value: object, path: Path, key: str) -> date:
    """A TOML date (2026-05-04) or a string of one; anything else is one clear line."""
    if isinstance(value, datetime):
        raise ConfigError(str(path), key, f"must be a date without a time, got {value}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(str(path), key, f"not a date (YYYY-MM-DD): {value!r}")
