"""AppTest of the 街道 view: the 社区对比 for the 街道 leader and the admin, none for a 社区
secretary (who sees no other 社区 at all), and the 街道 月报 offered on 报表 to the same people.

Figures are those worked out by hand in ``tests/test_comparison.py`` (本月 = 1–20 November).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from tests.factories import migrate
from tests.helpers.comparison_world import at_subdistrict, comparison_world
from tests.helpers.dashboard_worlds import NOW


def _dashboard_page() -> None:
    from pages.dashboard import render

    render()


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        comparison_world(session)
    at_subdistrict(engine, "subdistrict_leader", "subdistrict_staff", "admin")
    for name in ("MINQING_COOKIE_KEY", "MINQING_REFRESH_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    monkeypatch.setenv("MINQING_RANK_MIN_CASES", "2")
    monkeypatch.setattr("pages.dashboard.local_now", lambda: NOW)
    monkeypatch.setattr("pages.reports.local_now", lambda: NOW)
    st.cache_resource.clear()
    clear_dashboard_cache()
    yield engine
    st.cache_resource.clear()
    clear_dashboard_cache()
    engine.dispose()


def _as(script, username: str) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    return at.run()


def _frame(at: AppTest, first_column: str, *columns: str):  # type: ignore[no-untyped-def]
    return next(
        d.value
        for d in at.dataframe
        if list(d.value.columns)[:1] == [first_column] and set(columns) <= set(d.value.columns)
    )


def _page_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "subheader", "title", "info")
        for e in getattr(at, kind)
    ]
    parts += [str(o) for box in at.selectbox for o in box.options]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("username", ["subdistrict_leader", "admin"])
def test_subdistrict_sees_the_community_comparison(app_db, username):
    at = _as(_dashboard_page, username)
    assert not at.exception, at.exception
    assert "社区对比（按解决率排名）" in [s.value for s in at.subheader]
    ranked = _frame(at, "排名", "按期办结率")
    assert list(ranked["排名"]) == ["1", "2", "—"]
    assert list(ranked["社区"]) == ["第二社区", "测试社区", "街道合计"]
    assert list(ranked["受理件数"]) == [4, 5, 10]
    assert list(ranked["解决率"]) == ["75.0%", "50.0%", "55.6%"]
    assert list(ranked["解决率（件）"]) == ["3/4", "2/4", "5/9"]
    assert list(ranked["按期办结率"]) == ["66.7%", "33.3%", "50.0%"]
    assert list(ranked["满意率"]) == ["50.0%", "100.0%", "75.0%"]
    assert list(ranked["逾期件数"]) == [2, 2, 5]
    assert list(ranked["走访覆盖率（户）"]) == ["2/8", "2/6", "4/16"]
    assert list(ranked["帮扶人次"]) == [7, 18, 25]
    too_few = _frame(at, "社区", "按期办结率")
    assert list(too_few["社区"]) == ["第三社区"]
    assert list(too_few["受理件数"]) == [1] and list(too_few["逾期件数"]) == [1]
    assert any("样本不足" in m.value for m in at.markdown)
    drill = at.selectbox(key="dashboard_map_community")
    # 全街道 is chosen, and not as None: Streamlit draws a None choice as its English
    # placeholder 「Choose an option」 (found by issue 16's standing check)
    assert drill.index == 0 and drill.value is not None
    assert drill.options == ["全街道（按社区着色）", "测试社区", "第二社区", "第三社区"]


def test_community_secretary_sees_no_other_community(app_db):
    at = _as(_dashboard_page, "secretary")
    assert not at.exception, at.exception
    assert "社区对比（按解决率排名）" not in [s.value for s in at.subheader]
    assert at.segmented_control(key="dashboard_level").options == ["社区", "网格"]
    text = _page_text(at)
    assert "测试社区" in text
    assert "第二社区" not in text and "第三社区" not in text
    tiles = {m.label: m.value for m in at.metric}
    assert (
        tiles["受理件数"] == "5" and tiles["逾期件数"] == "2"
    )  # 社区 A alone, not the 街道's 10, 5


def test_drilling_into_a_community_shows_its_cells(app_db):
    at = _as(_dashboard_page, "subdistrict_leader")
    at = at.selectbox(key="dashboard_map_community").select_index(2).run()  # 第二社区
    assert not at.exception, at.exception
    cells = at.selectbox(key="dashboard_cell")
    assert cells.options == [
        "第二社区 · 二社区第1网格",
        "第二社区 · 二社区第2网格",
    ]
    assert at.selectbox(key="dashboard_measure").value == "open_cases"  # the cell map's measures


def _reports_page() -> None:
    from pages.reports import render

    render()


@pytest.mark.parametrize(
    ("username", "offered"),
    [("subdistrict_leader", True), ("admin", True), ("secretary", False), ("staff", False)],
)
def test_reports_page_offers_the_subdistrict_report_to_the_subdistrict(app_db, username, offered):
    at = _as(_reports_page, username)
    assert not at.exception, at.exception
    assert ("街道月报" in [t.label for t in at.tabs]) is offered
    assert any(b.label == "生成街道月报" for b in at.button) is offered


def test_subdistrict_report_downloads_from_the_page(app_db):
    at = _as(_reports_page, "subdistrict_leader")
    assert at.selectbox[1].options[0] == "2026年11月"  # offered, but 20 November is too early:
    assert at.selectbox[1].value == dt.date(2026, 10, 1)  # the default: the last complete month
    at = next(b for b in at.button if b.label == "生成街道月报").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    kept = at.session_state["reports_subdistrict_xlsx"]
    assert kept[1] == "测试街道_各社区月报_202610.xlsx" and kept[0][:2] == b"PK"
    assert at.session_state["reports_subdistrict_pdf"][0][:4] == b"%PDF"
