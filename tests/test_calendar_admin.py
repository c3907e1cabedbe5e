"""工作日历: an admin's State Council notice moves the deadlines computed afterwards."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from db.models import CalendarDay, RecordChange
from db.queries.calendar import entered_days, entered_rows
from db.queries.users import actor_of
from domain.calendar import china_calendar, notice_days, use_entered_days
from domain.deadlines import compute_deadline
from domain.workflow import HandlingType
from services.calendar import CalendarError, save_days, withdraw_day
from tests.factories import NOW, make_world
from tests.helpers.page_tests import open_as, page_world, submit
from tests.helpers.screen_checks import english_words

D = dt.date.fromisoformat
FRIDAY = dt.datetime(2028, 9, 29, 10, 0)  # 2028 is not in the shipped table yet


@pytest.fixture(autouse=True)
def _shipped_calendar_again() -> Iterator[None]:
    yield
    use_entered_days({})


def test_notice_days_lists_the_holiday_and_the_make_up_workday():
    days, errors = notice_days("国庆节", D("2028-10-01"), D("2028-10-07"), [D("2028-09-30")])
    assert errors == {}
    assert len(days) == 8
    assert days[D("2028-10-02")] == (False, "国庆节")
    assert days[D("2028-09-30")] == (True, "国庆节")


@pytest.mark.parametrize(
    ("name", "first", "last", "work", "field", "message"),
    [
        ("", "2028-10-01", "2028-10-07", [], "name", "请填写节日名称（如「春节」）"),
        ("国庆节", "2028-10-07", "2028-10-01", [], "last", "放假结束日期不能早于开始日期"),
        ("国庆节", "2028-10-01", "2028-10-20", [], "last", "一次放假不能超过 10 天，请检查日期"),
        (
            "国庆节", "2028-10-01", "2028-10-07", ["2028-09-28"], "workdays",
            "调休上班日 2028-09-28 不是周末（周一至周五本来就上班）",
        ),
        (
            "国庆节", "2028-10-01", "2028-10-08", ["2028-10-07"], "workdays",
            "调休上班日 2028-10-07 在放假期间内",
        ),
    ],
)  # fmt: skip
def test_notice_days_refuses_with_a_chinese_reason(name, first, last, work, field, message):
    days, errors = notice_days(name, D(first), D(last), [D(w) for w in work])
    assert days == {}
    assert errors[field] == message


def test_an_entered_holiday_moves_a_deadline(session):
    world = make_world(session)
    actor = actor_of(session, username="admin")
    assert actor is not None
    before = compute_deadline(HandlingType.SUPPLEMENT, FRIDAY)
    assert before.date() == D("2028-10-04")  # Monday–Friday only: Mon 2, Tue 3, Wed 4
    days, _ = notice_days("国庆节", D("2028-10-01"), D("2028-10-07"), [D("2028-09-30")])
    assert save_days(session, actor=actor, days=days, now=NOW) == 8
    use_entered_days(entered_days(session))
    after = compute_deadline(HandlingType.SUPPLEMENT, FRIDAY)
    assert after.date() == D("2028-10-10")  # Sat 30 (调休) 1, Mon 9 2, Tue 10 3
    assert china_calendar().is_workday(D("2028-09-30")) is True
    rows = entered_rows(session, year=2028)
    assert [(r.day, r.is_workday) for r in rows][:2] == [
        (D("2028-09-30"), True),
        (D("2028-10-01"), False),
    ]
    assert rows[0].entered_by == "admin"
    changes = session.scalar(
        select(func.count()).select_from(RecordChange).where(RecordChange.entity == "calendar_day")
    )
    assert changes == 8
    assert world.community.id


def test_withdrawing_a_day_restores_the_shipped_table_and_is_recorded(session):
    make_world(session)
    actor = actor_of(session, username="admin")
    assert actor is not None
    save_days(session, actor=actor, days={D("2028-10-02"): (False, "国庆节")}, now=NOW)
    withdraw_day(session, actor=actor, day=D("2028-10-02"), now=NOW)
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    last = session.scalars(select(RecordChange).order_by(RecordChange.id.desc())).first()
    assert last is not None and last.action == "withdraw"
    assert json.loads(last.before or "{}") == {"is_workday": False, "name": "国庆节"}
    with pytest.raises(CalendarError, match="没有录入过"):
        withdraw_day(session, actor=actor, day=D("2028-10-02"), now=NOW)


def test_only_an_admin_enters_days(session):
    make_world(session)
    actor = actor_of(session, username="staff")
    assert actor is not None
    with pytest.raises(CalendarError, match="只有管理员可以维护工作日历"):
        save_days(session, actor=actor, days={D("2028-10-02"): (False, "国庆节")}, now=NOW)


# --- the page ------------------------------------------------------------------------------


def _calendar_page() -> None:
    from pages.calendar_admin import render

    render()


@pytest.fixture
def calendar_world(tmp_path, monkeypatch):
    yield from page_world(tmp_path, monkeypatch, modules=["pages.calendar_admin"])


def test_page_shows_the_years_holidays(calendar_world):
    at = open_as(_calendar_page, "admin")
    assert at.title[0].value == "工作日历"
    table = at.dataframe[0].value
    assert "2026-10-01" in set(table["日期"])
    assert set(table["来源"]) == {"内置"}
    # Chinese on screen (issue 16's standing check found the library's name here)
    shown = " ".join(c.value for c in at.caption) + " ".join(set(table["来源"]))
    assert english_words(shown) == set(), shown


def test_page_refuses_a_bad_notice_and_writes_nothing(calendar_world):
    engine, _ = calendar_world
    at = open_as(_calendar_page, "admin")
    at.text_input(key="cal_name").input("国庆节")
    at.date_input(key="cal_first").set_value(D("2026-10-07"))
    at.date_input(key="cal_last").set_value(D("2026-10-01"))
    at = submit(at, "保存放假安排")
    assert [e.value for e in at.error] == ["放假结束日期不能早于开始日期"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_page_saves_a_notice_for_a_new_year(calendar_world):
    engine, _ = calendar_world
    at = open_as(_calendar_page, "admin")
    at.selectbox(key="cal_year").set_value(2027).run()
    at.text_input(key="cal_name").input("国庆节")
    at.date_input(key="cal_first").set_value(D("2027-10-01"))
    at.date_input(key="cal_last").set_value(D("2027-10-07"))
    at.date_input(key="cal_work1").set_value(D("2027-09-26"))
    at = submit(at, "保存放假安排")
    assert not at.error
    assert at.success[0].value.startswith("已保存 8 天")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CalendarDay)) == 8
    assert china_calendar().is_workday(D("2027-10-04")) is False
    assert "管理员录入" in set(at.dataframe[0].value["来源"])
