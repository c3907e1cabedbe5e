"""网格管理 and 初始化向导 on an empty database (AppTest): bad input → Chinese message, nothing written."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import Community, GridCell, RecordChange, Subdistrict
from db.seed import create_user
from tests.factories import NOW, migrate, password_hash

APPS = ROOT / "tests" / "apps"


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
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


def open_page(name: str) -> AppTest:
    at = AppTest.from_file(str(APPS / f"{name}_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    return at.run()


def count(engine, model) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_setup_page_lists_every_step_with_what_is_missing(empty_db):
    at = open_page("setup")
    assert not at.exception
    captions = [c.value for c in at.caption]
    for missing in ("尚未填写街道名称", "尚未添加网格", "尚未导入人员", "尚未导入住户",
                    "尚未导入服务阵地", "除管理员外尚无用户"):  # fmt: skip
        assert missing in captions
    assert "第 1 步：街道与社区" in at.markdown[0].value


def test_territory_page_sets_up_a_community_and_a_cell_refusing_bad_input(empty_db):
    at = open_page("territory")
    assert not at.exception
    at.button(key="FormSubmitter:community_form-新增社区").click().run()
    assert [e.value for e in at.error] == ["请先填写街道名称"]
    assert count(empty_db, Community) == 0
    at.text_input(key="ter_sub_name").input("芙蓉街道")
    at.button(key="FormSubmitter:subdistrict_form-保存街道名称").click().run()
    at.text_input(key="ter_comm_name").input("文盛社区")
    at.button(key="FormSubmitter:community_form-新增社区").click().run()
    assert [e.value for e in at.error] == ["请填写社区编码"]
    assert at.text_input(key="ter_comm_name").value == "文盛社区"
    assert count(empty_db, Community) == 0
    at.text_input(key="ter_comm_code").input("WS")
    at.button(key="FormSubmitter:community_form-新增社区").click().run()
    assert not at.exception and not at.error
    # The saved form is empty again: a new round of widgets (the browser keeps a removed key's text).
    assert (
        at.text_input(key="ter_comm_name.1").value,
        at.text_input(key="ter_comm_code.1").value,
    ) == ("", "")
    at.text_input(key="ter_cell_code").input("WS-01")
    at.button(key="FormSubmitter:new_cell_form-新增网格").click().run()
    assert [e.value for e in at.error] == ["请填写网格名称"]
    assert count(empty_db, GridCell) == 0
    at.text_input(key="ter_cell_name").input("第一网格")
    at.button(key="FormSubmitter:new_cell_form-新增网格").click().run()
    assert not at.exception and not at.error
    frame = at.dataframe[0].value
    assert list(zip(frame["网格"], frame["边界"], frame["状态"], strict=True)) == [
        ("第一网格", "示意图", "在用")
    ]
    with session_factory(empty_db)() as session:
        assert session.scalar(select(Subdistrict.name)) == "芙蓉街道"
        assert sorted(session.scalars(select(RecordChange.entity))) == [
            "community", "grid_cell", "subdistrict",
        ]  # fmt: skip
    at.button(key="FormSubmitter:retire_form-停用").click().run()
    assert [e.value for e in at.error] == ["请勾选「确认停用」"]
    with session_factory(empty_db)() as session:
        assert session.scalar(select(GridCell.retired_at)) is None


def test_home_leads_the_first_admin_to_the_setup_wizard(empty_db):
    """An empty production database: the admin's home page links to 初始化向导, until a 社区 exists."""
    at = open_page("home")
    assert not at.exception
    assert any("还没有社区和网格" in i.value for i in at.info)
    assert [link.proto.label for link in at.get("page_link")] == ["开始初始化向导"]
    with session_factory(empty_db)() as session:
        sub = Subdistrict(name="芙蓉街道")
        session.add(Community(subdistrict=sub, name="文盛社区", code="WS"))
        session.commit()
    at = open_page("home")
    assert not at.exception
    assert not any("还没有社区和网格" in i.value for i in at.info)
