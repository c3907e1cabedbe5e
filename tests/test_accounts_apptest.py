"""The account screens under AppTest: first administrator and forced password change."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import User
from db.seed import check_password
from domain.roles import Actor, Role
from services.users import create_account
from tests.factories import NOW, PASSWORD, make_world, migrate

APP = str(ROOT / "app.py")
KEY = "x" * 40


@pytest.fixture
def production_db(tmp_path, monkeypatch):
    """An empty migrated SQLite database run outside demo mode with a real cookie key."""
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    engine = make_engine(url)
    migrate(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "0")
    monkeypatch.setenv("MINQING_COOKIE_KEY", KEY)
    for name in ("MINQING_SEED_DEMO", "MINQING_ADMIN_USERNAME", "MINQING_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _users(engine) -> list[User]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(User)).all())


def test_empty_production_database_asks_for_the_first_admin(production_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "民情流水线 · 初始化"
    assert "minqing-demo" not in " ".join(m.value for m in at.markdown)
    at.text_input(key="fa_username").input("chief")
    at.text_input(key="fa_name").input("王书记")
    at.text_input(key="fa_password").input("weak")
    at.text_input(key="fa_repeat").input("weak")
    at.button[0].click().run()
    assert any("至少 10 位" in e.value for e in at.error)
    assert at.text_input(key="fa_username").value == "chief"  # what was typed stays
    assert _users(production_db) == []
    at.text_input(key="fa_password").input("strong-pass-2026")
    at.text_input(key="fa_repeat").input("strong-pass-2026")
    at.button[0].click().run()
    assert not at.exception
    users = _users(production_db)
    assert [(u.username, u.role) for u in users] == [("chief", "admin")]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]  # now the login form
    assert not at.table  # no demo accounts listed outside demo mode


def test_first_admin_from_the_environment(production_db, monkeypatch):
    monkeypatch.setenv("MINQING_ADMIN_USERNAME", "boss")
    monkeypatch.setenv("MINQING_ADMIN_PASSWORD", "env-pass-2026!")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    users = _users(production_db)
    assert [u.username for u in users] == ["boss"]
    assert check_password("env-pass-2026!", users[0].password_hash)


def test_new_user_must_change_password_before_anything_else(production_db):
    with session_factory(production_db)() as session:
        world = make_world(session)
        admin = world.users["admin"]
        create_account(
            session, actor=Actor(admin.id, "admin", Role.ADMIN), username="newbie",
            display_name="新人", role="staff", password="first-pass-2026", now=NOW,
        )  # fmt: skip
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input("newbie")
    at.text_input[1].input("first-pass-2026")
    at.button[0].click().run()
    at.run()
    assert not at.exception
    assert at.title[0].value == "请修改初始密码"
    assert not at.metric
    at.text_input(key="cp_current").input("first-pass-2026")
    at.text_input(key="cp_new").input("second-pass-2026")
    at.text_input(key="cp_repeat").input("second-pass-2026")
    at.button(key="FormSubmitter:change_password_form-保存新密码").click().run()
    assert not at.exception
    with session_factory(production_db)() as session:
        user = session.scalar(select(User).where(User.username == "newbie"))
        assert user is not None and not user.must_change_password
        assert check_password("second-pass-2026", user.password_hash)
    assert PASSWORD  # the factory's password is untouched for the other accounts
