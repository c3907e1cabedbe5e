"""AppTest of the 书记看板, 走访 and 帮扶 pages on a small SQLite world.

The dashboard's tiles are checked literally against the hand-computed fixture of
``test_dashboard_queries``; both forms refuse bad input with the Chinese message at the field,
keep what was typed and write nothing, then save good input.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from db.models import Assistance, Case, Visit
from domain.kpis import KPI_DEFINITIONS
from tests.factories import make_world, migrate
from tests.helpers.comparison_world import at_subdistrict
from tests.helpers.dashboard_worlds import (
    HAND_TILES_TO_DATE,
    NOW,
    hand_world,
    reception_world,
)


def _dashboard_page() -> None:
    from pages.dashboard import render

    render()


def _visits_page() -> None:
    from pages.visits import render

    render()


def _assistance_page() -> None:
    from pages.assistance import render

    render()


def _database(tmp_path, monkeypatch, build) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        build(session)
    for name in ("MINQING_COOKIE_KEY", "MINQING_REFRESH_SECONDS", "MINQING_RANK_MIN_CASES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    monkeypatch.setenv("MINQING_RANK_MIN_CASES", "2")
    for module in ("pages.dashboard", "pages.visits", "pages.assistance"):
        monkeypatch.setattr(f"{module}.local_now", lambda: NOW)
    st.cache_resource.clear()
    clear_dashboard_cache()
    yield engine
    st.cache_resource.clear()
    clear_dashboard_cache()
    engine.dispose()


@pytest.fixture
def hand_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """The hand-computed dashboard fixture."""
    yield from _database(tmp_path, monkeypatch, hand_world)


@pytest.fixture
def reception_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """The hand-computed 接待日 fixture."""
    yield from _database(tmp_path, monkeypatch, reception_world)


@pytest.fixture
def world_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """A small world with no records."""
    yield from _database(tmp_path, monkeypatch, make_world)


def _as(script, username: str) -> AppTest:
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    return at.run()


def _table(at: AppTest, *columns: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page with all of ``columns`` (AppTest drops dataframe keys)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _tiles(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in at.metric}


def test_dashboard_tiles_show_hand_computed_figures(hand_db):
    at = _as(_dashboard_page, "secretary")
    assert not at.exception, at.exception
    tiles = _tiles(at)
    for label, (value, detail, delta) in HAND_TILES_TO_DATE.items():
        assert tiles[label] == (value, delta), label
        assert any(c.value == detail for c in at.caption), detail
    assert list(tiles)[:13] == list(HAND_TILES_TO_DATE)
    helps = {m.label: m.proto.help for m in at.metric}
    assert all(helps[k.label] == k.definition for k in KPI_DEFINITIONS)  # one table of texts
    ranking = _table(at, "排名")
    assert list(ranking["网格"]) == ["第1网格"]  # 第2网格 has 1 case, under the minimum of 2
    assert list(ranking["解决率"]) == ["66.7%"] and list(ranking["已解决/基数"]) == ["2/3"]
    overdue = _table(at, "逾期天数")
    assert list(overdue["逾期天数"]) == [28, 10]
    # Key figures first; 案件编号 is text (a link column opens a new tab): the ticked row
    # gets a same-tab link below the table.
    assert list(overdue.columns)[:4] == ["案件编号", "逾期天数", "办结期限", "网格"]
    assert not any(str(v).startswith("/case?id=") for v in overdue["案件编号"])
    assert "勾选表格左侧的方框，表格下方即出现打开该案件的链接。" in [c.value for c in at.caption]


def test_dashboard_cell_panel_and_scope(hand_db):
    at = _as(_dashboard_page, "secretary")
    at = at.selectbox(key="dashboard_cell").set_value(_cell_ids(hand_db)[0]).run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("网格详情：测试社区 · 第1网格") for s in at.subheader)
    texts = [m.value for m in at.markdown]
    assert "片长：王片长（社区副书记）" in texts
    assert "民情搜集义务人：赵党员" in texts
    panel = _table(at, "诉求摘要")
    assert list(panel["状态"]) == ["已受理", "办理中"]
    assert list(panel.columns)[:4] == ["案件编号", "状态", "办结期限", "逾期天数"]
    # Narrow the scope to the second cell: its one case, no ranking.
    at.segmented_control(key="dashboard_level").set_value("网格").run()
    at.selectbox(key="dashboard_scope_cell").set_value(_cell_ids(hand_db)[1]).run()
    assert not at.exception, at.exception
    assert _tiles(at)["受理件数"][0] == "1"
    assert _tiles(at)["逾期件数"][0] == "0"


def test_dashboard_shows_reception_days_and_their_outcomes(reception_db):
    at_subdistrict(reception_db, "subdistrict_leader")  # both 社区's 接待日: the 街道's view
    at = _as(_dashboard_page, "subdistrict_leader")
    assert not at.exception, at.exception
    assert "接待日（本期已举行）" in [s.value for s in at.subheader]
    tiles = _tiles(at)
    assert tiles["接待日场次"] == ("3", None)
    assert tiles["接待日登记诉求"] == ("8", None)
    assert tiles["接待日已解决"] == ("4", None)
    assert tiles["接待日解决率"] == ("66.7%", None)
    captions = [c.value for c in at.caption]
    assert "4 / 6 件" in captions and "仍在办理 2 件" in captions
    sessions = _table(at, "接待时间", "诉求件数")
    assert list(sessions["社区"]) == ["测试社区", "第二社区", "测试社区"]
    assert list(sessions["诉求件数"]) == [3, 2, 3]
    assert list(sessions["已解决/基数"]) == ["1/2", "1/2", "2/2"]
    assert list(sessions["解决率"]) == ["50.0%", "50.0%", "100.0%"]


def test_dashboard_without_reception_days_says_so(hand_db):
    at = _as(_dashboard_page, "secretary")
    assert _tiles(at)["接待日场次"] == ("0", None)
    assert _tiles(at)["接待日解决率"] == ("—", None)
    assert "本期没有举行接待日。" in [i.value for i in at.info]


def _cell_ids(engine: Engine) -> list[int]:
    from db.models import GridCell

    with session_factory(engine)() as session:
        return list(session.scalars(select(GridCell.id).order_by(GridCell.id)))


def test_grid_worker_cannot_open_dashboard(hand_db):
    at = _as(_dashboard_page, "gridworker")
    assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
    assert not at.metric


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        return (
            session.scalar(select(func.count()).select_from(Visit)),
            session.scalar(select(func.count()).select_from(Case)),
            session.scalar(select(func.count()).select_from(Assistance)),
        )


def _submit(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_visit_form_refuses_bad_input_then_saves_with_a_concern(world_db):
    cells = _cell_ids(world_db)
    at = _as(_visits_page, "staff")
    assert not at.exception, at.exception
    at.selectbox(key="vi_cell").set_value(cells[0]).run()
    at.text_input(key="vi_visitors").input("")
    at.number_input(key="vi_people").set_value(0)
    at.text_area(key="vi_notes").input("老人说楼道灯坏了")
    at.text_area(key="vi_c0_description").input("短")
    at = _submit(at, "保存走访")
    assert not at.exception, at.exception
    messages = {e.value for e in at.error}
    assert {
        "请选择走访的住户，或填写楼栋",
        "请填写走访人",
        "见面人数应在 1 到 100 之间",
        "请选择类别",
        "请选择五件制办理类型",
        "诉求内容太短，请至少写 5 个字",
    } <= messages
    assert _counts(world_db) == (0, 0, 0)
    assert at.text_area(key="vi_notes").value == "老人说楼道灯坏了"  # typed values kept

    at.selectbox(key="vi_household").set_value(_households(world_db, cells[0])[0])
    at.text_input(key="vi_visitors").input("王片长")
    at.number_input(key="vi_people").set_value(2)
    at.selectbox(key="vi_c0_category").set_value(_category_id(world_db))
    at.selectbox(key="vi_c0_type").set_value("immediate")
    at.text_area(key="vi_c0_description").input("楼道灯坏了一个多月，晚上不安全")
    at.text_input(key="vi_c0_name").input("李奶奶")
    at.text_input(key="vi_c0_phone").input("13912345678")
    at = _submit(at, "保存走访")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("走访已保存" in s.value for s in at.success)
    assert _counts(world_db) == (1, 1, 0)
    with session_factory(world_db)() as session:
        case = session.scalar(select(Case))
        visit = session.scalar(select(Visit))
        assert case is not None and visit is not None
        assert (case.visit_id, case.channel, visit.people_met) == (visit.id, "home_visit", 2)
        case_no = case.case_no
    assert at.text_area(key="vi_notes.1").value == ""  # a saved form starts a new, empty round
    # The new case opens in the same tab (a page link), not through a Markdown link.
    assert [link.proto.label for link in at.get("page_link")] == [f"打开案件 {case_no}"]
    assert not any("](" in m.value for m in at.markdown)


def _households(engine: Engine, cell_id: int) -> list[int]:
    from db.models import Household

    with session_factory(engine)() as session:
        return list(
            session.scalars(select(Household.id).where(Household.grid_cell_id == cell_id).order_by(Household.id))
        )  # fmt: skip


def _category_id(engine: Engine) -> int:
    from db.models import Category

    with session_factory(engine)() as session:
        return int(session.scalar(select(Category.id).order_by(Category.sort_order)))


def test_assistance_form_refuses_bad_input_then_saves(world_db):
    cells = _cell_ids(world_db)
    at = _as(_assistance_page, "staff")
    assert not at.exception, at.exception
    at.selectbox(key="as_cell").set_value(cells[0]).run()
    at.text_input(key="as_beneficiary").input("李奶奶")
    at.number_input(key="as_persons").set_value(0)
    at.text_input(key="as_helpers").input("党员志愿服务队")
    at = _submit(at, "保存帮扶")
    assert not at.exception, at.exception
    assert {e.value for e in at.error} >= {
        "请选择帮扶对象类别",
        "请选择帮扶方式",
        "受助人数应在 1 到 10,000 之间",
    }
    assert _counts(world_db) == (0, 0, 0)
    assert at.text_input(key="as_beneficiary").value == "李奶奶"
    at.selectbox(key="as_group").set_value("elderly_alone")
    at.selectbox(key="as_kind").set_value("charity_meals")
    at.number_input(key="as_persons").set_value(13)
    at.number_input(key="as_value").set_value(390.0)
    at = _submit(at, "保存帮扶")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _counts(world_db) == (0, 0, 1)
    kinds = _table(at, "帮扶方式", "次数")
    assert list(kinds["帮扶方式"]) == ["爱心盒饭"] and list(kinds["帮扶人次"]) == [13]
    groups = _table(at, "对象类别", "次数")
    assert list(groups["对象类别"]) == ["三无/空巢老人（橙卡）"]


def test_grid_worker_records_only_in_own_cell(world_db):
    at = _as(_visits_page, "gridworker")
    assert not at.exception, at.exception
    assert at.selectbox(key="vi_cell").options == ["测试社区 · 第1网格"]
