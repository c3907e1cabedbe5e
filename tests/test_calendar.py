"""Working days in mainland China: official holidays, 调休 make-up workdays, the data file.

Reference dates (2026, State Council notice): 国庆 10-01…10-07 off, 09-20 (Sun) and
10-10 (Sat) worked; 春节 02-15…02-23 off, 02-14 and 02-28 (Sat) worked; 清明 04-04…04-06
off (04-06 is a Monday); 劳动节 05-01…05-05 off, 05-09 (Sat) worked.
"""

from __future__ import annotations

import datetime as dt
import json

import chinese_calendar
import pytest

from domain.calendar import DATA_FILE, WorkCalendar, china_calendar, load_calendar
from domain.deadlines import compute_deadline

D = dt.date.fromisoformat
CAL = china_calendar()


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_data_file_agrees_with_chinese_calendar_for_2024_to_2026():
    days = _days(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    disagree = [d for d in days if CAL.is_workday(d) != chinese_calendar.is_workday(d)]
    assert len(days) == 1096
    assert disagree == []


def test_data_file_covers_2004_to_2027():
    assert CAL.covered_years == frozenset(range(2004, 2028))


def test_data_file_agrees_with_chinese_calendar_for_every_year_it_covers():
    days = _days(dt.date(2004, 1, 1), dt.date(2026, 12, 31))
    disagree = [d for d in days if CAL.is_workday(d) != chinese_calendar.is_workday(d)]
    assert len(days) == 8401
    assert disagree == []


@pytest.mark.parametrize(
    ("day", "workday", "name"),
    [
        ("2023-10-02", False, "国庆节"),  # a historical ledger gets the real holiday
        ("2023-10-07", True, "国庆节"),  # and the real 调休 Saturday
        ("2008-05-01", False, "劳动节"),
        ("2015-09-03", False, "抗战胜利70周年纪念日"),
    ],
)
def test_historical_years_have_real_holidays(day: str, workday: bool, name: str):
    assert CAL.is_workday(D(day)) is workday
    assert CAL.names[D(day)] == name


def test_make_up_workdays_in_the_file_are_weekends():
    payload = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for year in payload["years"].values():
        holidays = {D(d) for d in year["holidays"]}
        workdays = {D(d) for d in year["workdays"]}
        assert not holidays & workdays
        assert all(d.weekday() >= 5 for d in workdays)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2026-10-10", True),  # 调休 Saturday after 国庆
        ("2026-02-14", True),  # 调休 Saturday before 春节
        ("2026-02-28", True),  # 调休 Saturday after 春节
        ("2026-05-09", True),  # 调休 Saturday after 劳动节
        ("2026-09-20", True),  # 调休 Sunday before 国庆
        ("2026-01-04", True),  # 调休 Sunday after 元旦
        ("2026-04-06", False),  # 清明 Monday
        ("2026-05-04", False),  # 劳动节 Monday
        ("2026-10-05", False),  # 国庆 Monday
        ("2026-10-01", False),  # 国庆 Thursday
        ("2026-10-08", True),  # first working day after 国庆
        ("2026-11-20", True),  # plain Friday
        ("2026-11-21", False),  # plain Saturday
        ("2026-11-22", False),  # plain Sunday
        ("2025-01-28", False),  # 2025 除夕
        ("2025-01-26", True),  # 2025 调休 Sunday
        ("2024-02-18", True),  # 2024 调休 Sunday
    ],
)
def test_is_workday(day: str, workday: bool):
    assert CAL.is_workday(D(day)) is workday


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday():
    deadline = compute_deadline("supplement", dt.datetime(2026, 9, 30, 10, 0))
    assert deadline == dt.datetime(2026, 10, 10, 23, 59, 59)
    assert deadline.date().weekday() == 5


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-09-30", 0, "2026-09-30"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 2, "2026-10-09"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
        ("2026-02-12", 3, "2026-02-24"),  # Fri 13, 调休 Sat 14, then 春节 to 23
        ("2026-04-03", 1, "2026-04-07"),  # over 清明 and its Monday
        ("2026-04-30", 3, "2026-05-08"),
        ("2026-05-08", 1, "2026-05-09"),  # the 调休 Saturday counts
        ("2026-11-20", 3, "2026-11-25"),  # plain weekend
        ("2026-10-03", 1, "2026-10-08"),  # starting on a holiday
        ("2026-12-31", 1, "2027-01-04"),  # into the provisional 2027 table
    ],
)
def test_add_working_days(start: str, days: int, expected: str):
    assert CAL.add_working_days(D(start), days) == D(expected)


def test_add_working_days_refuses_negative_days():
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2026-11-20"), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-09-30", "2026-10-10", 3),
        ("2026-09-30", "2026-10-07", 0),
        ("2026-10-10", "2026-09-30", 0),
        ("2026-11-20", "2026-11-20", 0),
        ("2026-11-20", "2026-11-23", 1),
        ("2026-11-16", "2026-11-27", 9),
        ("2026-02-13", "2026-02-28", 6),  # 调休 Sat 14, 春节 15–23 off, Tue 24–Fri 27, 调休 Sat 28
        ("2026-12-31", "2027-01-04", 1),
    ],
)
def test_working_days_between(start: str, end: str, expected: int):
    assert CAL.working_days_between(D(start), D(end)) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-01", "2026-10-08"),
        ("2026-10-10", "2026-10-10"),
        ("2026-11-21", "2026-11-23"),
        ("2026-11-20", "2026-11-20"),
    ],
)
def test_next_workday_on_or_after(day: str, expected: str):
    assert CAL.next_workday_on_or_after(D(day)) == D(expected)


@pytest.mark.parametrize(
    "day",
    [
        "2027-01-01",  # 元旦
        "2027-02-05",  # 除夕
        "2027-02-06",  # 春节 初一
        "2027-02-07",
        "2027-02-08",  # 初三, a Monday
        "2027-04-05",  # 清明
        "2027-05-01",  # 劳动节
        "2027-05-02",
        "2027-06-09",  # 端午, a Wednesday
        "2027-09-15",  # 中秋, a Wednesday
        "2027-10-01",  # 国庆
        "2027-10-02",
        "2027-10-03",
    ],
)
def test_2027_statutory_days_are_holidays(day: str):
    assert CAL.is_workday(D(day)) is False
    assert D(day) in CAL.holidays


def test_2027_ordinary_days_follow_the_week():
    assert CAL.is_workday(D("2027-03-01")) is True  # Monday
    assert CAL.is_workday(D("2027-03-06")) is False  # Saturday


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2030-10-01", True),  # a Tuesday; no holiday data for 2030
        ("2030-10-05", False),  # Saturday
        ("2003-10-02", True),  # a holiday in reality, but 2003 is not in the table
        ("2003-10-04", False),  # a Saturday
    ],
)
def test_years_outside_the_table_fall_back_to_monday_to_friday(day: str, workday: bool):
    assert D(day).year not in CAL.covered_years
    assert CAL.is_workday(D(day)) is workday


def test_an_empty_calendar_is_monday_to_friday():
    plain = WorkCalendar()
    assert plain.add_working_days(D("2026-09-30"), 3) == D("2026-10-05")


def test_load_calendar_reads_a_table(tmp_path):
    table = tmp_path / "holidays.json"
    table.write_text(
        json.dumps(
            {
                "years": {
                    "2031": {"holidays": ["2031-03-03"], "workdays": ["2031-03-08"]},
                }
            }
        ),
        encoding="utf-8",
    )
    cal = load_calendar(table)
    assert cal.covered_years == frozenset({2031})
    assert cal.is_workday(D("2031-03-03")) is False  # a Monday made a holiday
    assert cal.is_workday(D("2031-03-08")) is True  # a Saturday made a workday
    assert cal.add_working_days(D("2031-02-28"), 1) == D("2031-03-04")
