"""AppTest of the 党员联户, 接待日 and 三议 pages on a small SQLite world.

Each form refuses bad input with the Chinese message at the field and writes nothing, then
saves good input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from db.models import (
    Case,
    CaseEvent,
    Deliberation,
    LiaisonLink,
    Person,
    ReceptionConcern,
    ReceptionSession,
)
from tests.factories import NOW, make_case, make_world, migrate

PAGES = ("pages.liaison", "pages.reception", "pages.deliberation")


def _liaison_page() -> None:
    from pages.liaison import render

    render()


def _reception_page() -> None:
    from pages.reception import render

    render()


def _deliberation_page() -> None:
    from pages.deliberation import render

    render()


def _world(session) -> None:
    world = make_world(session)
    session.add_all(
        [
            Person(name="孙代表", kind="deputy", title="人大代表"),
            Person(
                name="赵党员",
                kind="party_member",
                is_party_member=True,
                party_branch="第一党支部",
                service_post="aid",
            ),
        ]
    )
    session.commit()
    make_case(session, world)


@pytest.fixture
def db(tmp_path, monkeypatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'people.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        _world(session)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    for module in PAGES:
        monkeypatch.setattr(f"{module}.local_now", lambda: NOW)
    st.cache_resource.clear()
    clear_dashboard_cache()
    yield engine
    st.cache_resource.clear()
    clear_dashboard_cache()
    engine.dispose()


def _as(script, username: str) -> AppTest:
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    return at.run()


def _submit(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _count(engine: Engine, model) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def _id(engine: Engine, model, **where) -> int:
    with session_factory(engine)() as session:
        stmt = select(model.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(session.scalar(stmt.order_by(model.id)))


def test_reception_schedule_refuses_bad_input_then_saves(db):
    at = _as(_reception_page, "staff")
    assert not at.exception, at.exception
    at.text_input(key="rs_place").input(" ")
    at = _submit(at, "安排接待日")
    assert not at.exception, at.exception
    assert {e.value for e in at.error} >= {
        "请选择社区",
        "请填写接待地点",
        "请至少选择一名接待的代表委员",
    }
    assert _count(db, ReceptionSession) == 0
    from db.models import Community

    at.selectbox(key="rs_community").set_value(_id(db, Community))
    at.text_input(key="rs_place").input("社区党群服务中心")
    at.multiselect(key="rs_deputies").set_value([_id(db, Person, kind="deputy")])
    at = _submit(at, "安排接待日")
    assert not at.error, [e.value for e in at.error]
    assert any("接待日已安排" in s.value for s in at.success)
    assert _count(db, ReceptionSession) == 1


def test_reception_concern_refuses_bad_input_then_becomes_a_case(db):
    from db.models import Category, Community, GridCell
    from domain.roles import Actor, Role
    from services.reception import ReceptionDraft, schedule_session

    with session_factory(db)() as session:
        staff = Actor(1, "staff", Role.STAFF, community_id=session.scalar(select(Community.id)))
        schedule_session(
            session,
            draft=ReceptionDraft(
                community_id=session.scalar(select(Community.id)),
                held_at=NOW.replace(hour=9),
                place="社区党群服务中心",
                deputy_ids=[session.scalar(select(Person.id).where(Person.kind == "deputy"))],
            ),
            actor=staff,
            now=NOW,
        )
    at = _as(_reception_page, "staff")
    at.text_area(key="rc_description").input("短")
    at = _submit(at, "登记诉求")
    assert not at.exception, at.exception
    assert {e.value for e in at.error} >= {
        "请选择接待日",
    }
    at.selectbox(key="rc_session").set_value(_id(db, ReceptionSession))
    at = _submit(at, "登记诉求")
    assert {e.value for e in at.error} >= {
        "请选择所属网格",
        "请选择类别",
        "请选择五件制办理类型",
        "诉求内容太短，请至少写 5 个字",
    }
    assert at.text_area(key="rc_description").value == "短"  # typed values kept
    assert _count(db, Case) == 1  # the fixture's case only

    at.selectbox(key="rc_cell").set_value(_id(db, GridCell))
    at.selectbox(key="rc_category").set_value(_id(db, Category))
    at.selectbox(key="rc_type").set_value("immediate")
    at.text_area(key="rc_description").input("小区东门路灯不亮，晚上出行不安全")
    at.text_input(key="rc_name").input("周阿姨")
    at.text_input(key="rc_phone").input("13912345678")
    at = _submit(at, "登记诉求")
    assert not at.error, [e.value for e in at.error]
    assert any("诉求已受理为案件" in s.value for s in at.success)
    with session_factory(db)() as session:
        case = session.scalar(select(Case).where(Case.channel == "reception_day"))
        assert case is not None
        assert session.get(ReceptionConcern, case.id) is not None


def test_viewer_cannot_open_reception(db):
    at = _as(_reception_page, "viewer")
    assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]


def test_liaison_link_form_refuses_bad_input_then_saves(db):
    from db.models import GridCell, Household

    at = _as(_liaison_page, "staff")
    assert not at.exception, at.exception
    at = _submit(at, "保存联户关系")
    assert {e.value for e in at.error} >= {
        "请选择联户的党员或网格员",
        "请选择网格",
        "请选择联系的住户，或填写居民小组",
    }
    assert _count(db, LiaisonLink) == 0
    cell = _id(db, GridCell)
    at.selectbox(key="li_cell").set_value(cell).run()
    at.selectbox(key="li_person").set_value(_id(db, Person, kind="party_member"))
    at.selectbox(key="li_household").set_value(_id(db, Household, grid_cell_id=cell))
    at = _submit(at, "保存联户关系")
    assert not at.error, [e.value for e in at.error]
    assert _count(db, LiaisonLink) == 1
    coverage = next(d.value for d in at.dataframe if "联户覆盖率" in d.value.columns)
    assert list(coverage["联户覆盖率"]) == ["33.3%", "0.0%"]


def test_grid_worker_sees_only_own_cell_coverage(db):
    at = _as(_liaison_page, "gridworker")
    assert not at.exception, at.exception
    coverage = next(d.value for d in at.dataframe if "联户覆盖率" in d.value.columns)
    assert list(coverage["网格"]) == ["第1网格"]
    # The key figures before the long name lists (issue 16 item 6).
    assert list(coverage.columns)[:5] == ["网格", "户数", "联户覆盖率", "无人联系", "本年未走访"]


def test_deliberation_form_refuses_bad_input_then_records_the_meeting(db):
    case_id = _id(db, Case)
    at = AppTest.from_function(_deliberation_page, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.query_params["id"] = str(case_id)
    at = at.run()
    assert not at.exception, at.exception
    at = _submit(at, "记录党小组会")
    assert {e.value for e in at.error} >= {
        "请填写会议日期",
        "到会人数应在 1 到 10000 之间",
        "请填写会议纪要",
    }
    assert _count(db, Deliberation) == 0 and _count(db, CaseEvent) == 0
    at.date_input(key="dl_date").set_value(dt.date(2026, 11, 18))
    at.number_input(key="dl_attendees").set_value(9)
    at.text_area(key="dl_minutes").input("讨论东门道路硬化方案")
    at = _submit(at, "记录党小组会")
    assert not at.error, [e.value for e in at.error]
    assert _count(db, Deliberation) == 1 and _count(db, CaseEvent) == 1
    assert any(b.label == "记录支委会" for b in at.button)
