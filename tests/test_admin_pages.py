"""Admin screens: 用户管理, 审计日志, 类别管理 (AppTest) and the category service on every backend."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import ROOT, local_now
from db.engine import make_engine, session_factory
from db.models import Category, LoginEvent, User
from db.queries.categories import list_categories
from domain.roles import Actor, Role
from services.categories import CategoryError, add_category, update_category
from tests.factories import NOW, make_world, migrate

APPS = ROOT / "tests" / "apps"


@pytest.fixture
def admin_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        make_world(session)
        session.add(LoginEvent(username="staff", at=local_now(), outcome="failure"))
        session.add(LoginEvent(username="admin", at=local_now(), outcome="success"))
        session.commit()
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def open_page(name: str, username: str = "admin") -> AppTest:
    at = AppTest.from_file(str(APPS / f"{name}_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    return at.run()


def _users(engine) -> dict[str, User]:
    with session_factory(engine)() as session:
        return {u.username: u for u in session.scalars(select(User))}


def test_users_page_creates_a_user_and_keeps_input_on_error(admin_db):
    at = open_page("users")
    assert not at.exception
    assert set(at.dataframe[0].value["用户名"]) == {
        "admin",
        "secretary",
        "staff",
        "gridworker",
        "viewer",
        "subdistrict_leader",
        "subdistrict_staff",
    }
    at.text_input(key="nu_username").input("li.ming")
    at.text_input(key="nu_name").input("李明")
    at.selectbox(key="nu_role").set_value("staff")
    at.text_input(key="nu_password").input("short")
    at.button(key="FormSubmitter:new_user_form-创建").click().run()
    assert any("至少 10 位" in e.value for e in at.error)
    assert at.text_input(key="nu_username").value == "li.ming"
    assert "li.ming" not in _users(admin_db)
    at.text_input(key="nu_password").input("initial-pass-2026")
    at.button(key="FormSubmitter:new_user_form-创建").click().run()
    assert not at.exception
    created = _users(admin_db)["li.ming"]
    assert created.role == "staff" and created.must_change_password


def test_users_page_is_refused_to_a_secretary(admin_db):
    at = open_page("users", username="secretary")
    assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
    assert not at.dataframe


def test_audit_page_lists_and_filters(admin_db):
    at = open_page("audit", username="secretary")
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(zip(frame["用户"], frame["操作"], strict=True)) >= {
        ("社区工作人员甲（staff）", "登录失败"),
        ("管理员甲（admin）", "登录成功"),
    }
    at.text_input(key="audit_user").input("staff").run()
    frame = at.dataframe[0].value
    assert set(frame["用户"]) == {"社区工作人员甲（staff）"}
    assert len(at.get("download_button")) == 1


def test_categories_page_adds_and_refuses_duplicates(admin_db):
    at = open_page("categories")
    assert not at.exception
    at.text_input(key="cat_new_name").input("物业管理")
    at.button(key="FormSubmitter:add_category_form-新增").click().run()
    assert not at.exception
    at.text_input(key="cat_new_name").input("环境卫生")
    at.button(key="FormSubmitter:add_category_form-新增").click().run()
    assert [e.value for e in at.error] == ["类别「环境卫生」已存在"]
    with session_factory(admin_db)() as session:
        names = [c.name for c in list_categories(session)]
    assert names[-1] == "物业管理" and names.count("环境卫生") == 1


def test_category_service(session):
    world = make_world(session)
    admin = Actor(world.users["admin"].id, "admin", Role.ADMIN)
    added = add_category(session, actor=admin, name=" 物业管理 ", now=NOW)
    assert added.name == "物业管理" and added.is_active
    update_category(
        session, actor=admin, category_id=added.id, name="物业服务", is_active=False, now=NOW
    )
    session.refresh(added)
    assert (added.name, added.is_active) == ("物业服务", False)
    with pytest.raises(CategoryError, match="已存在"):
        update_category(
            session, actor=admin, category_id=added.id, name="环境卫生", is_active=True, now=NOW
        )
    with pytest.raises(CategoryError, match="只有管理员"):
        add_category(session, actor=Actor(1, "staff", Role.STAFF), name="新类别", now=NOW)
    assert session.scalar(select(func.count()).select_from(Category)) == 7
