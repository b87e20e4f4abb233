"""The working-time calendar: hours, China's holidays and make-up days, overrides, DST."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import Basis, DayKind, DayRule, WorkCalendar, parse_hours
from bot.settings import ConfigError, load_settings
from tests.conftest import CONFIG_DIR, TOKEN

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = parse_hours("09:00-12:00,13:30-17:30")  # 7 hours


def calendar(zone: str = "Asia/Shanghai", overrides: tuple[DayRule, ...] = ()) -> WorkCalendar:
    return WorkCalendar.build(zone, [OFFICE] * 5 + [(), ()], OFFICE, overrides)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_working_hours_skip_the_night_a_sunday_a_local_holiday_and_count_a_makeup_saturday() -> (
    None
):
    cal = calendar(overrides=(DayRule(date(2026, 5, 11), DayKind.HOLIDAY, "local"),))
    start = local(SHANGHAI, 2026, 5, 8, 16, 30)  # Friday; Saturday 9 May is a 调休 working day
    assert cal.add(start, 24, Basis.WORKING) == local(SHANGHAI, 2026, 5, 14, 11, 0)
    assert cal.add(start, 48, Basis.WORKING) == local(SHANGHAI, 2026, 5, 19, 15, 30)
    assert cal.add(start, 24, Basis.CALENDAR) == local(SHANGHAI, 2026, 5, 9, 16, 30)


def test_the_official_schedule_takes_the_spring_festival_off() -> None:
    cal = calendar()
    start = local(SHANGHAI, 2026, 2, 13, 17, 0)  # Friday before; Saturday 14 Feb is worked
    assert cal.add(start, 1, Basis.WORKING) == local(SHANGHAI, 2026, 2, 14, 9, 30)
    # 2026-02-15 .. 02-23 are the holiday; the next working day is Tuesday 24 February.
    assert cal.add(start, 8, Basis.WORKING) == local(SHANGHAI, 2026, 2, 24, 9, 30)


def test_time_outside_working_hours_starts_counting_at_the_next_opening() -> None:
    cal = calendar()
    assert cal.add(local(SHANGHAI, 2026, 3, 3, 12, 30), 1, Basis.WORKING) == local(
        SHANGHAI, 2026, 3, 3, 14, 30
    )
    assert cal.add(local(SHANGHAI, 2026, 3, 3, 7, 0), 3, Basis.WORKING) == local(
        SHANGHAI, 2026, 3, 3, 12, 0
    )


def test_a_year_no_source_covers_counts_weekends_only_and_is_reported() -> None:
    cal = calendar()
    assert cal.covers(2026)
    assert not cal.covers(2031)
    start = local(SHANGHAI, 2031, 1, 31, 17, 0)  # a Friday
    due = cal.add(start, 2, Basis.WORKING)
    assert due == local(SHANGHAI, 2031, 2, 3, 10, 30)  # Monday, though it may be a holiday
    assert cal.uncovered_years([start, due, local(SHANGHAI, 2026, 1, 5)]) == [2031]
    covered = calendar(overrides=(DayRule(date(2031, 1, 1), DayKind.HOLIDAY),))
    assert covered.covers(2031)


def test_working_hours_across_daylight_saving_changes() -> None:
    cal = calendar("Europe/Berlin")
    # Clocks go forward on Sunday 29 March 2026: Friday 16:30 + 2 working hours is Monday
    # 10:00 Berlin time, 08:00 UTC (Friday's 16:30 was 15:30 UTC: CET, then CEST).
    start = local(BERLIN, 2026, 3, 27, 16, 30)
    due = cal.add(start, 2, Basis.WORKING)
    assert due == local(BERLIN, 2026, 3, 30, 10, 0)
    assert due.astimezone(UTC).time() == time(8, 0)
    # Clocks go back on Sunday 25 October 2026.
    back = cal.add(local(BERLIN, 2026, 10, 23, 17, 0), 1, Basis.WORKING)
    assert back == local(BERLIN, 2026, 10, 26, 9, 30)
    assert back.astimezone(UTC).time() == time(8, 30)
    # Calendar hours are hours that pass: 24 h after Saturday noon is Sunday 13:00 local.
    assert cal.add(local(BERLIN, 2026, 3, 28, 12, 0), 24, Basis.CALENDAR) == local(
        BERLIN, 2026, 3, 29, 13, 0
    )
    # Days are local days: 3 days after Friday 10:00 is Monday 10:00, 71 hours later.
    friday = local(BERLIN, 2026, 3, 27, 10, 0)
    assert cal.add_days(friday, 3) == local(BERLIN, 2026, 3, 30, 10, 0)
    assert (cal.add_days(friday, 3) - friday).total_seconds() == 71 * 3600


def test_shanghai_deadlines_are_stored_in_utc() -> None:
    cal = calendar()
    due = cal.add(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 8, Basis.WORKING)  # Monday 09:00
    assert due == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("9-17", "not a range"),
        ("17:00-09:00", "ends before"),
        ("09:00-12:00,11:00-13:00", "overlaps"),
    ],
)
def test_bad_hours_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_hours(text)


def config_with(tmp_path: Path, calendar_toml: str) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / "calendar.toml").write_text(calendar_toml, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        ("[[day]]\ndate = 2026-02-30\nkind = 'holiday'\n", None),  # TOML itself refuses it
        ("[[day]]\ndate = '2026-13-01'\nkind = 'holiday'\n", "day 1.date: not a date"),
        ("[[day]]\ndate = 2026-05-04\nkind = 'party'\n", "day 1 (2026-05-04).kind: must be"),
        (
            "[[day]]\ndate = 2026-05-04\nkind = 'holiday'\n[[day]]\ndate = 2026-05-04\n"
            "kind = 'workday'\n",
            "day 2 (2026-05-04): 2026-05-04 is set twice",
        ),
        ("[[day]]\ndate = 2026-05-04\nuntil = 2026-05-01\nkind = 'holiday'\n", "is before date"),
    ],
)
def test_a_bad_calendar_file_stops_start_up_with_one_line(
    tmp_path: Path, toml: str, line: str | None
) -> None:
    folder = config_with(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, {"LEGAL_AID_BOT_TOKEN": TOKEN})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(folder / "calendar.toml"))
    if line is not None:
        assert line in message


def test_calendar_days_and_bases_reach_the_settings(tmp_path: Path) -> None:
    folder = config_with(
        tmp_path, "[[day]]\ndate = 2026-05-11\nuntil = 2026-05-12\nkind = 'holiday'\n"
    )
    settings = load_settings(folder, {"LEGAL_AID_BOT_TOKEN": TOKEN})
    cal = settings.work_calendar()
    assert cal.hours_on(date(2026, 5, 11)) == cal.hours_on(date(2026, 5, 12)) == ()
    assert cal.hours_on(date(2026, 5, 9)) == OFFICE  # the official make-up Saturday
    crime = next(c for c in settings.categories if c.id == "report-crime")
    public = next(c for c in settings.categories if c.id == "public-order")
    assert crime.sla_basis == {"normal": Basis.CALENDAR, "urgent": Basis.CALENDAR}
    assert public.sla_basis == {"normal": Basis.WORKING, "urgent": Basis.CALENDAR}


def test_an_unknown_basis_stops_start_up_with_one_line(tmp_path: Path) -> None:
    folder = config_with(tmp_path, "")
    path = folder / "categories.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('sla_basis = "calendar"', 'sla_basis = "lunar"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, {"LEGAL_AID_BOT_TOKEN": TOKEN})
    assert str(caught.value) == (
        f"{path}: category 'report-crime'.sla_basis: unknown basis 'lunar' "
        "(must be calendar or working)"
    )
    with pytest.raises(ConfigError, match=r"sla\.urgent_basis: unknown basis"):
        load_settings(folder, {"LEGAL_AID_BOT_TOKEN": TOKEN, "LEGAL_AID_SLA_URGENT_BASIS": "x"})
    with pytest.raises(ConfigError, match=r"working_hours\.monday: '9-5' is not a range"):
        load_settings(
            folder, {"LEGAL_AID_BOT_TOKEN": TOKEN, "LEGAL_AID_WORKING_HOURS_MONDAY": "9-5"}
        )
