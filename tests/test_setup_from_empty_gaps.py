"""Gaps the browser test of a 街道 set up from an empty database (issue 13) ran into, each pinned
by a cheap test: the default categories on a fresh production database, the 网格管理 tabs kept
across a write, the 基础数据 upload cleared after an import.
"""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import Category, GridCell, Household
from db.seed import DEFAULT_CATEGORIES, create_user
from tests.factories import NOW, migrate, password_hash
from tests.helpers.page_tests import open_as, page_world

APP = str(ROOT / "app.py")


@pytest.fixture
def production_db(tmp_path, monkeypatch):
    """An empty migrated SQLite database outside demo mode, the first admin from the env."""
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    engine = make_engine(url)
    migrate(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "0")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    monkeypatch.setenv("MINQING_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("MINQING_ADMIN_USERNAME", "boss")
    monkeypatch.setenv("MINQING_ADMIN_PASSWORD", "env-pass-2026!")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def test_a_fresh_production_database_offers_the_default_categories(production_db):
    """Before: nothing outside demo mode created them, and intake offered no 类别 at all."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    with session_factory(production_db)() as session:
        names = list(session.scalars(select(Category.name).order_by(Category.sort_order)))
    assert names == list(DEFAULT_CATEGORIES)
    st.cache_resource.clear()  # a restart adds nothing: the admin's own list is kept
    AppTest.from_file(APP, default_timeout=60).run()
    with session_factory(production_db)() as session:
        assert session.scalar(select(Category.id).order_by(Category.id.desc())) == len(names)


@pytest.fixture
def admin_db(tmp_path, monkeypatch):
    """An empty migrated database with one admin (demo mode off the seed), for page AppTests."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        create_user(session, username="admin", display_name="管理员", role="admin",
                    password_hash=password_hash(), now=NOW)  # fmt: skip
        session.commit()
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _open(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "tests" / "apps" / f"{name}_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    return at.run()


def test_territory_tabs_stay_on_the_tab_in_use_when_the_first_cell_appears(admin_db):
    """Before: the cell table appearing above the tabs after the first write remounted them on
    「街道与社区」, and the result of a boundary file (「已写入 …」) sat hidden in its own tab."""
    at = _open("territory")
    assert at.session_state["ter_tab"] == "街道与社区"
    at.text_input(key="ter_sub_name").input("芙蓉街道")
    at.button(key="FormSubmitter:subdistrict_form-保存街道名称").click().run()
    at.text_input(key="ter_comm_name").input("文盛社区")
    at.text_input(key="ter_comm_code").input("WS")
    at.button(key="FormSubmitter:community_form-新增社区").click().run()
    at.session_state["ter_tab"] = "网格与人员"
    at.run()
    assert not at.dataframe  # no cell yet: no table above the tabs
    at.text_input(key="ter_cell_code").input("WS-01")
    at.text_input(key="ter_cell_name").input("第一网格")
    at.button(key="FormSubmitter:new_cell_form-新增网格").click().run()
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value["网格"]) == ["第一网格"]
    assert at.session_state["ter_tab"] == "网格与人员"


def _rosters_page() -> None:
    from pages.rosters import render

    render()


@pytest.fixture
def rosters_world(tmp_path, monkeypatch):
    yield from page_world(tmp_path, monkeypatch, modules=["pages.rosters"])


def test_rosters_clear_the_upload_after_an_import(rosters_world):
    """Before: the file and its preview stayed under the result with the same 「确认导入 1 行」."""
    engine, _world = rosters_world
    at = open_as(_rosters_page, "admin")
    community_id = at.selectbox(key="ros_community").value
    with session_factory(engine)() as session:
        cell = session.scalar(
            select(GridCell.name).where(GridCell.community_id == community_id).limit(1)
        )
    data = f"户主,地址,所属网格\n张三丰,文盛小区1栋101,{cell}\n,文盛小区1栋102,{cell}\n".encode()
    for added, skipped in ((1, 0), (0, 1)):  # the second time adds nothing
        at.file_uploader[0].set_value(("住户.csv", data, "text/csv")).run()
        assert any("可导入 1 行，拒绝 1 行" in i.value for i in at.info)
        at = next(b for b in at.button if b.label == "确认导入 1 行").click().run()
        assert not at.exception
        assert [s.value for s in at.success] == [
            f"住户台账：已导入 {added} 行，跳过已有 {skipped} 行；1 行被拒绝，未导入"
        ]
        assert not [b for b in at.button if b.label.startswith("确认导入")]
        assert not at.info  # no preview of the file just imported
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).where(Household.head_name == "张三丰")) == 1
