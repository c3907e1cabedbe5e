"""The meeting period rule (domain/meeting.py): this month once it is old enough, else last month."""

from __future__ import annotations

import datetime as dt

import pytest

from config import ConfigError, load_settings
from domain.kpis import Period
from domain.meeting import (
    PeriodChoice,
    default_choice,
    meeting_period,
    period_label,
    picked_period,
    recent_months,
)


def days(start: str, end: str) -> Period:
    """[start, end) from ISO dates."""
    return Period(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))


@pytest.mark.parametrize(
    ("today", "min_days", "start", "end", "label"),
    [
        ("2026-12-01", 7, "2026-11-01", "2026-12-01", "2026年11月（上月完整月）"),
        ("2026-12-06", 7, "2026-11-01", "2026-12-01", "2026年11月（上月完整月）"),
        ("2026-12-07", 7, "2026-12-01", "2026-12-08", "2026年12月（本月截至12月7日）"),
        ("2026-12-31", 7, "2026-12-01", "2027-01-01", "2026年12月（本月截至12月31日）"),
        ("2027-01-03", 7, "2026-12-01", "2027-01-01", "2026年12月（上月完整月）"),
        ("2026-03-01", 1, "2026-03-01", "2026-03-02", "2026年3月（本月截至3月1日）"),
        ("2026-03-01", 0, "2026-03-01", "2026-03-02", "2026年3月（本月截至3月1日）"),
        ("2026-03-27", 28, "2026-02-01", "2026-03-01", "2026年2月（上月完整月）"),
    ],
)
def test_meeting_period(today: str, min_days: int, start: str, end: str, label: str) -> None:
    shown = meeting_period(dt.date.fromisoformat(today), min_days)
    assert shown.period == days(start, end)
    assert shown.label == label
    expected = PeriodChoice.THIS_MONTH if start[:7] == today[:7] else PeriodChoice.LAST_MONTH
    assert default_choice(dt.date.fromisoformat(today), min_days) is expected


TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    ("choice", "month", "start", "end", "label"),
    [
        (PeriodChoice.THIS_MONTH, None, "2026-12-01", "2026-12-04", "2026年12月（本月截至12月3日）"),
        (PeriodChoice.LAST_MONTH, None, "2026-11-01", "2026-12-01", "2026年11月（上月完整月）"),
        (PeriodChoice.MONTH, "2026-09-01", "2026-09-01", "2026-10-01", "2026年9月"),
        (PeriodChoice.MONTH, "2026-11-01", "2026-11-01", "2026-12-01", "2026年11月（上月完整月）"),
        (PeriodChoice.MONTH, "2026-12-01", "2026-12-01", "2026-12-04", "2026年12月（本月截至12月3日）"),
        (PeriodChoice.MONTH, None, "2026-11-01", "2026-12-01", "2026年11月（上月完整月）"),
    ],
)  # fmt: skip
def test_picked_period(
    choice: PeriodChoice, month: str | None, start: str, end: str, label: str
) -> None:
    picked = picked_period(choice, TODAY, dt.date.fromisoformat(month) if month else None)
    assert picked.period == days(start, end)
    assert picked.label == label


def test_a_past_whole_month_has_no_remark() -> None:
    assert period_label(days("2025-12-01", "2026-01-01"), TODAY) == "2025年12月"


def test_recent_months_run_back_over_the_new_year() -> None:
    assert recent_months(dt.date(2026, 2, 14), 4) == [
        dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2025, 12, 1), dt.date(2025, 11, 1),
    ]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), [(None, 7), ("0", 0), ("1", 1), ("28", 28)])
def test_meeting_min_days_setting(value: str | None, expected: int) -> None:
    env = {} if value is None else {"MINQING_MEETING_MIN_DAYS": value}
    assert load_settings(env=env).meeting_min_days == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("29", "MINQING_MEETING_MIN_DAYS 不能大于 28"), ("-1", "不能小于 0"), ("一周", "应为整数")],
)
def test_bad_meeting_min_days_is_explained(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env={"MINQING_MEETING_MIN_DAYS": value})
