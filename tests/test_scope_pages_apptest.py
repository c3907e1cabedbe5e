"""Pages as a 社区 A user (issue 14): none of 社区 B's records on the ledger, home, dashboard or
会议大屏; B's case opened by URL id is refused in Chinese and recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from db.models import AuditEntry, Case
from db.queries.access import OUT_OF_UNIT, REFUSED
from db.queries.users import actor_of
from domain.kpis import Period
from tests.factories import NOW, migrate
from tests.helpers.comparison_world import at_subdistrict
from tests.helpers.two_communities import B_CASE_NO, B_MARKERS, make_two_communities

APPS = Path(__file__).parent / "apps"
A_CASE_NO = "MQ-T-000001"


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> Iterator[tuple[Engine, int]]:  # type: ignore[no-untyped-def]
    """社区 A and B (``make_two_communities``) in a SQLite file; the pages' clock at ``NOW``."""
    url = f"sqlite:///{tmp_path / 'scope.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        two = make_two_communities(session)
        b_case = two.case_b.id
    at_subdistrict(engine, "subdistrict_leader")
    for name in ("MINQING_COOKIE_KEY", "MINQING_REFRESH_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    for page in ("home", "dashboard", "present", "ledger", "case_detail"):
        monkeypatch.setattr(f"pages.{page}.local_now", lambda: NOW)
    st.cache_resource.clear()
    clear_dashboard_cache()
    yield engine, b_case
    st.cache_resource.clear()
    clear_dashboard_cache()
    engine.dispose()


def _home() -> None:
    from pages.home import render

    render()


def _dashboard() -> None:
    from pages.dashboard import render

    render()


def _present() -> None:
    from pages.present import render

    render()


def _run(at: AppTest, username: str, **params: str) -> AppTest:
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _as(script, username: str) -> AppTest:  # type: ignore[no-untyped-def]
    return _run(AppTest.from_function(script, default_timeout=60), username)


def _page(name: str, username: str, **params: str) -> AppTest:
    return _run(
        AppTest.from_file(str(APPS / f"{name}_page.py"), default_timeout=60), username, **params
    )


def _text(at: AppTest) -> str:
    parts: list[object] = [
        e.value
        for kind in ("markdown", "caption", "subheader", "title", "header", "info", "error")
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [o for box in at.selectbox for o in box.options]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [t.value.to_csv() for t in at.table]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("username", ["secretary", "staff"])
def test_ledger_lists_none_of_b(app_db: tuple[Engine, int], username: str) -> None:
    at = _page("ledger", username)
    text = _text(at)
    assert A_CASE_NO in text
    assert [m for m in B_MARKERS if m in text] == []


def test_ledger_lists_b_for_the_subdistrict(app_db: tuple[Engine, int]) -> None:
    text = _text(_page("ledger", "subdistrict_leader"))
    assert A_CASE_NO in text and B_CASE_NO in text


def test_case_of_b_by_url_id_is_refused_and_recorded(app_db: tuple[Engine, int]) -> None:
    engine, b_case = app_db
    at = _page("case_detail", "secretary", id=str(b_case))
    assert [e.value for e in at.error] == [OUT_OF_UNIT]
    assert [m for m in B_MARKERS if m in _text(at)] == []
    with session_factory(engine)() as session:
        refused = session.execute(
            select(AuditEntry.username, AuditEntry.target).where(AuditEntry.action == REFUSED)
        ).all()
    assert refused == [("secretary", B_CASE_NO)]


def test_home_shows_the_community_figures(app_db: tuple[Engine, int]) -> None:
    own = _as(_home, "secretary")
    whole = _as(_home, "subdistrict_leader")
    visits = [{m.label: m.value for m in at.metric}["走访次数"] for at in (own, whole)]
    assert visits == ["1", "2"]  # one visit in each 社区
    assert "测试社区数据" in _text(own) and "全街道数据" in _text(whole)


def test_dashboard_shows_no_b_name_or_count(app_db: tuple[Engine, int]) -> None:
    own = _as(_dashboard, "secretary")
    text = _text(own)
    assert "测试社区" in text
    assert "乙社区" not in text and "乙第1网格" not in text
    assert [m for m in B_MARKERS if m in text] == []
    tiles = {m.label: m.value for m in own.metric}
    assert (tiles["受理件数"], tiles["逾期件数"]) == ("1", "0")  # B's overdue case is not counted
    whole = {m.label: m.value for m in _as(_dashboard, "subdistrict_leader").metric}
    assert (whole["受理件数"], whole["逾期件数"]) == ("2", "1")


def test_present_deck_of_a_community_viewer(app_db: tuple[Engine, int]) -> None:
    own = _as(_present, "viewer")
    assert "测试社区民情工作汇报" in _text(own)
    assert [m for m in B_MARKERS if m in _text(own)] == []


def test_dashboard_cell_panel_of_b_is_none_for_a(app_db: tuple[Engine, int]) -> None:
    from pages.dashboard import DatabaseSource

    engine, b_case = app_db
    with session_factory(engine)() as session:
        cell_b = session.scalars(select(Case.grid_cell_id).where(Case.id == b_case)).one()
        secretary = actor_of(session, username="secretary")
        leader = actor_of(session, username="subdistrict_leader")
    assert secretary is not None and leader is not None
    period = Period.month_of(NOW.date())
    assert DatabaseSource(secretary).panel(cell_b, period, NOW) is None
    panel = DatabaseSource(leader).panel(cell_b, period, NOW)
    assert panel is not None and panel.name == "乙第1网格"
