"""The app shell under AppTest: configuration errors, the login gate, lockout, role navigation."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import AuditEntry, LoginEvent, User
from db.queries.access import REFUSED
from domain.roles import Role, can_open
from tests.factories import PASSWORD, make_world, migrate
from ui.navigation import PAGES

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


class MenuSpy:
    """Wraps ``st.navigation``: the titles shown in the menu and the hidden URL paths."""

    def __init__(self) -> None:
        self.shown: set[str] = set()
        self.hidden: set[str] = set()
        self._real = st.navigation

    def __call__(self, pages, **kwargs):  # type: ignore[no-untyped-def]
        flat = [p for group in pages.values() for p in group] if isinstance(pages, dict) else pages
        in_menu = kwargs.get("position") != "hidden"
        self.shown = {p.title for p in flat if in_menu and p.visibility == "visible"}
        self.hidden = {p.url_path for p in flat if not in_menu or p.visibility == "hidden"}
        self.paths = {p.url_path for p in flat}
        return self._real(pages, **kwargs)


@pytest.mark.parametrize(
    ("username", "in_menu", "refused"),
    [
        ("viewer", set(), {"ledger", "intake", "case", "users", "audit"}),
        ("staff", {"民情台账", "民情受理", "我的待办"}, {"users", "audit"}),
        ("admin", {"民情台账", "用户管理", "审计日志"}, set()),
    ],
)
def test_each_role_gets_only_its_pages(app_db, monkeypatch, username, in_menu, refused):
    spy = MenuSpy()
    monkeypatch.setattr(st, "navigation", spy)
    at = _login(AppTest.from_file(APP, default_timeout=60).run(), username)
    assert not at.exception
    role = Role(username)
    # the menu lists exactly the allowed pages (the viewer's deck has no menu at all)
    assert in_menu <= spy.shown
    if role is not Role.VIEWER:
        assert spy.shown == {s.title for s in PAGES if can_open(role, s.key)}
    titles = {s.key.value: s.title for s in PAGES}
    assert not {titles[p] for p in refused} & spy.shown
    # a page it may not use is still a route (hidden), which draws the refusal, not the page
    assert refused <= spy.hidden, refused - spy.hidden
    assert refused <= set(_known_pages(at))
    assert {s.key.value for s in PAGES if not can_open(role, s.key)} <= spy.hidden
    # every page URL, also a module's file name (/case_detail), is a route: no 「Page not found」
    urls = {s.key.value for s in PAGES} | {s.module.split(".")[-1] for s in PAGES}
    assert urls <= spy.paths, urls - spy.paths


def _refusal_of_users_page() -> None:
    from domain.roles import PageKey
    from ui.navigation import PAGES
    from ui.refusal import show_refusal

    show_refusal(next(s for s in PAGES if s.key is PageKey.USERS), None)


def test_refused_page_says_so_in_chinese_and_is_audited_once_per_visit(app_db):
    at = AppTest.from_function(_refusal_of_users_page, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["您的角色无权使用「用户管理」页面。"]
    assert at.title[0].value == "无权访问"
    at.run()  # a rerun of the same visit is not a second attempt
    with session_factory(app_db)() as session:
        entries = session.execute(
            select(AuditEntry.username, AuditEntry.action, AuditEntry.target)
        ).all()
    assert [tuple(e) for e in entries] == [("staff", REFUSED, "users")]


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
