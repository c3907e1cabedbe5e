"""AppTest of the 更正 expanders of 走访记录 and 帮扶记录: bad input → message, nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import session_factory
from db.models import Assistance, GridCell, Household, RecordChange, Visit
from tests.factories import NOW
from tests.helpers.page_tests import open_as, page_world, submit

PAGES = ("pages.visits", "pages.assistance")


def _visits_page() -> None:
    from pages.visits import render

    render()


def _assistance_page() -> None:
    from pages.assistance import render

    render()


def _records(session: Session) -> None:
    cell_id = session.scalar(select(GridCell.id).order_by(GridCell.id))
    household_id = session.scalar(
        select(Household.id).where(Household.grid_cell_id == cell_id).order_by(Household.id)
    )
    at = NOW.replace(hour=9, minute=0, second=0, microsecond=0)
    session.add(
        Visit(grid_cell_id=cell_id, household_id=household_id, visited_at=at, visitors="王片长", people_met=3)
    )  # fmt: skip
    session.add(
        Assistance(grid_cell_id=cell_id, beneficiary="李奶奶", target_group="elderly_alone",
                   kind="charity_meals", given_at=at, persons_helped=13, helpers="党员志愿服务队")
    )  # fmt: skip


@pytest.fixture
def db(tmp_path, monkeypatch) -> Iterator[Engine]:
    for engine, _world in page_world(tmp_path, monkeypatch, modules=PAGES, extra=_records):
        yield engine


def _stored(engine: Engine, column) -> list[object]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(column)))


def _changes(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(RecordChange)))


def test_visit_correction_refuses_bad_input_then_saves(db):
    visit_id = _stored(db, Visit.id)[0]
    at = open_as(_visits_page, "staff")
    assert not at.exception, at.exception
    at.selectbox(key="vc_pick").set_value(visit_id)
    at = at.run()
    assert at.number_input(key=f"vc_{visit_id}_people").value == 3  # starts from the stored visit
    at.number_input(key=f"vc_{visit_id}_people").set_value(0)
    at.text_input(key=f"vc_{visit_id}_visitors").input(" ")
    at = submit(at, "保存更正")
    assert not at.exception, at.exception
    assert {e.value for e in at.error} >= {"见面人数应在 1 到 100 之间", "请填写走访人"}
    assert _stored(db, Visit.people_met) == [3]
    assert _changes(db) == 0
    at.number_input(key=f"vc_{visit_id}_people").set_value(5)
    at.text_input(key=f"vc_{visit_id}_visitors").input("王片长、赵党员")
    at = submit(at, "保存更正")
    assert not at.error, [e.value for e in at.error]
    assert "已更正 2 项，修改已记入历史。" in [s.value for s in at.success]
    assert _stored(db, Visit.people_met) == [5]
    assert _stored(db, Visit.visitors) == ["王片长、赵党员"]
    assert _changes(db) == 1


def test_assistance_correction_refuses_bad_input_then_saves(db):
    record_id = _stored(db, Assistance.id)[0]
    at = open_as(_assistance_page, "staff")
    assert not at.exception, at.exception
    at.selectbox(key="ac_pick").set_value(record_id)
    at = at.run()
    assert at.text_input(key=f"ac_{record_id}_beneficiary").value == "李奶奶"
    at.selectbox(key=f"ac_{record_id}_kind").set_value(None)
    at.number_input(key=f"ac_{record_id}_persons").set_value(0)
    at = submit(at, "保存更正")
    assert not at.exception, at.exception
    assert {e.value for e in at.error} >= {"请选择帮扶方式", "受助人数应在 1 到 10,000 之间"}
    assert _stored(db, Assistance.persons_helped) == [13]
    assert _changes(db) == 0
    at.selectbox(key=f"ac_{record_id}_kind").set_value("charity_meals")
    at.number_input(key=f"ac_{record_id}_persons").set_value(15)
    at = submit(at, "保存更正")
    assert not at.error, [e.value for e in at.error]
    assert "已更正 1 项，修改已记入历史。" in [s.value for s in at.success]
    assert _stored(db, Assistance.persons_helped) == [15]
    assert _changes(db) == 1
    assert _stored(db, Assistance.given_at) == [
        dt.datetime.combine(NOW.date(), dt.time(9, 0))
    ]  # the same day keeps the stored time
