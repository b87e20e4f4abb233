"""The figures' arithmetic, against the standard library and hand-worked cases."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.figures import (
    PeriodKind,
    daily_series,
    group_questions,
    median,
    parse_report_time,
    percentile,
    period_of,
)


def test_median_and_percentiles_agree_with_the_standard_library() -> None:
    rng = random.Random(3)
    for size in (2, 3, 10, 101):
        values = [rng.expovariate(1 / 3600) for _ in range(size)]
        assert median(values) == pytest.approx(statistics.median(values))
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        assert percentile(values, 90) == pytest.approx(deciles[8])
        assert percentile(values, 10) == pytest.approx(deciles[0])
    assert median([]) is None
    assert percentile([5.0], 90) == 5.0


def test_questions_that_read_the_same_are_grouped_most_asked_first() -> None:
    groups = group_questions(
        ["能退租金吗", "停工 工资？", "ＡＢＣ 怎么办", "停工工资", "abc怎么办!", "停工工资。", "？"]
    )
    assert [(g.text, g.count) for g in groups] == [
        ("停工 工资？", 3),
        ("ＡＢＣ 怎么办", 2),
        ("能退租金吗", 1),
    ]


def test_periods_are_local_days_also_across_daylight_saving_time() -> None:
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 11:00 EDT on Monday 9 March
    assert period_of(PeriodKind.TODAY, now, zone).start == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    # Seven local days back starts on 3 March, still EST (UTC-5).
    assert period_of(PeriodKind.WEEK, now, zone).start == datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    late = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai
    assert period_of(PeriodKind.TODAY, late, shanghai).start == datetime(
        2026, 3, 1, 16, 0, tzinfo=UTC
    )


def test_cases_per_day_are_binned_by_local_day() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    opened = [
        (datetime(2026, 3, 1, 15, 59, tzinfo=UTC), "labour"),  # 1 March, 23:59 local
        (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), "labour"),  # 2 March, 00:00 local
        (datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "contracts"),
        (datetime(2026, 2, 1, 0, 0, tzinfo=UTC), "labour"),  # outside the days
    ]
    series = daily_series(opened, date(2026, 3, 2), 3, zone)
    assert series.days == (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2))
    assert series.by_category == {"contracts": (0, 0, 1), "labour": (0, 1, 1)}


@pytest.mark.parametrize("bad", ["8", "8:5", "24:00", "08:60", "eight", "8am"])
def test_report_times_are_hh_mm(bad: str) -> None:
    assert parse_report_time("08:00") is not None
    assert parse_report_time("  ") is None
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the caller's to word
        parse_report_time(bad)
