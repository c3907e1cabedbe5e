"""The app shell under AppTest: configuration errors, the login gate, lockout, role navigation."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import LoginEvent, User
from tests.factories import PASSWORD, make_world, migrate

APP = str(ROOT / "app.py")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A small migrated SQLite world; the app runs on it in demo mode without demo seeding."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        make_world(session)
    for name in ("MINQING_COOKIE_KEY", "MINQING_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _login(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at.run()


def test_login_page_shows_form_and_demo_accounts(app_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    demo = at.table[0].value
    assert list(demo.index) == [
        "admin", "secretary", "staff", "gridworker", "viewer", "jiedao", "jdstaff",
    ]  # fmt: skip
    assert not at.metric  # no data before login


def test_staff_logs_in_and_sees_home_kpis(app_db):
    at = _login(AppTest.from_file(APP, default_timeout=60).run(), "staff")
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == ["走访次数", "解决率", "帮扶人次"]
    with session_factory(app_db)() as session:
        outcomes = session.scalars(select(LoginEvent.outcome).where(LoginEvent.username == "staff"))
        assert list(outcomes) == ["success"]


def test_five_failures_lock_the_account(app_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(5):
        _login(at, "staff", "wrong-password")
    assert any("已被锁定" in e.value for e in at.error)
    # the right password no longer works while locked
    _login(at, "staff", PASSWORD)
    assert not at.metric
    with session_factory(app_db)() as session:
        user = session.scalar(select(User).where(User.username == "staff"))
        assert user is not None and user.locked_until is not None
        outcomes = list(
            session.scalars(
                select(LoginEvent.outcome)
                .where(LoginEvent.username == "staff")
                .order_by(LoginEvent.id)
            )
        )
    assert outcomes[:6] == ["failure"] * 5 + ["locked"]
    assert outcomes[-1] == "locked"


def _known_pages(at: AppTest) -> list[str]:
    """The pages registered for this session (AppTest lists them when a switch fails)."""
    with pytest.raises(ValueError, match="Known pages") as err:
        at.switch_page("pages/__init__.py")  # a real file, never a registered page
    listed = str(err.value).split("Known pages: ")[1]
    return [name.strip(" '[].") for name in listed.split(",")]


@pytest.mark.parametrize(
    ("username", "present", "absent"),
    [
        ("viewer", {"会议大屏"}, {"ledger", "intake", "case", "users", "audit", "首页"}),
        ("staff", {"ledger", "intake", "case", "todo"}, {"users", "audit"}),
        ("admin", {"ledger", "users", "audit"}, set()),
    ],
)
def test_each_role_gets_only_its_pages(app_db, username, present, absent):
    at = _login(AppTest.from_file(APP, default_timeout=60).run(), username)
    assert not at.exception
    known = set(_known_pages(at))
    assert present <= known, known
    assert not absent & known, known


def test_unknown_database_scheme_is_explained_not_a_traceback(app_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "oracle://scott@127.0.0.1/orcl")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "不支持的数据库类型" in at.error[0].value


def test_unreachable_database_is_explained(app_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "无法连接数据库" in at.error[0].value


def test_placeholder_cookie_key_refused_outside_demo_mode(app_db, monkeypatch):
    monkeypatch.setenv("MINQING_DEMO", "0")
    monkeypatch.setenv("MINQING_COOKIE_KEY", "changeme")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "MINQING_COOKIE_KEY" in at.error[0].value
    assert not at.text_input  # no login form while misconfigured
