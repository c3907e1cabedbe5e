"""The dashboard's custom period and the reports' months reach back to the earliest case on record.

Streamlit's date input stops 10 years back by default: a 2011 ledger's period turned the field red
and the dashboard silently stayed on today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from db.queries.kpis import earliest_accepted
from db.queries.scope import Scope
from tests.factories import make_case, migrate
from tests.helpers.dashboard_worlds import NOW, T, hand_world, second_community


def _dashboard_page() -> None:
    from pages.dashboard import render

    render()


def _reports_page() -> None:
    from pages.reports import render

    render()


def _with_2011(session) -> None:  # type: ignore[no-untyped-def]
    """The hand world plus three cases of March 2011: one resolved, two still open."""
    world = hand_world(session)
    make_case(session, world, accepted_at=T("2011-03-02 09:00"), status="followed_up",
              deadline_at=T("2011-03-07 23:59:59"), finished_at=T("2011-03-04 15:00"),
              resolved_level="community", followed_up_at=T("2011-03-08 09:00"),
              satisfaction="satisfied")  # fmt: skip
    for day in ("2011-03-09 10:00", "2011-03-21 10:00"):
        make_case(session, world, accepted_at=T(day), deadline_at=T(day) + dt.timedelta(days=3))
    other = second_community(session, world)[0]
    make_case(session, world, community_id=other.community_id, grid_cell_id=other.id,
              accepted_at=T("2009-05-01 09:00"), deadline_at=T("2009-05-04 23:59:59"))  # fmt: skip


@pytest.fixture
def old_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        _with_2011(session)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    for module in ("pages.dashboard", "pages.reports"):
        monkeypatch.setattr(f"{module}.local_now", lambda: NOW)
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


def test_earliest_accepted_is_the_scopes_first_day(old_db: Engine) -> None:
    with session_factory(old_db)() as session:
        whole = earliest_accepted(session)
        first_community = earliest_accepted(session, scope=Scope(community_id=1))
        nowhere = earliest_accepted(session, scope=Scope(community_id=999))
    assert whole == dt.date(2009, 5, 1)  # the second 社区's case
    assert first_community == dt.date(2011, 3, 2)
    assert nowhere is None


def test_dashboard_custom_period_in_2011_shows_that_periods_figures(old_db: Engine) -> None:
    at = _as(_dashboard_page, "secretary")
    at.segmented_control(key="dashboard_period").set_value("自定义").run()
    assert at.date_input(key="dashboard_range").min == dt.date(2011, 1, 1)
    at.date_input(key="dashboard_range").set_value((dt.date(2011, 3, 1), dt.date(2011, 3, 31)))
    at.run()
    assert not at.exception, at.exception
    assert any("（2011-03-01 至 2011-03-31）" in c.value for c in at.caption)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["受理件数"] == "3"
    assert tiles["解决率"] == "33.3%"  # 1 resolved of 3 accepted


def test_reports_offer_every_month_back_to_the_earliest_case(old_db: Engine) -> None:
    at = _as(_reports_page, "secretary")
    assert not at.exception, at.exception
    months = at.selectbox[1].options
    assert months[0] == "2026年11月" and months[1] == "2026年10月"
    assert months[-1] == "2011年3月"  # the secretary's 社区 begins in March 2011
    assert len(months) == (2026 - 2011) * 12 + (11 - 3) + 1
