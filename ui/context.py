"""Per-process resources (settings, engine) and per-run context (the logged-in actor).

Pages call ``require_page(PageKey.X)`` first: it returns the ``Actor`` or stops the run with
the login prompt or a refusal. Nothing on a page runs before that guard.
"""

from __future__ import annotations

import os

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import ConfigError, Settings, load_settings, local_now
from db.engine import open_database, session_factory
from db.migrate import upgrade_to_head
from db.queries.access import UNIT_MISSING
from db.queries.users import actor_of
from domain.roles import Actor, PageKey, Role, can_open


def _secrets() -> dict[str, object]:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml is the normal case
        return {}


@st.cache_resource(show_spinner=False)
def _settings_cached() -> Settings:
    settings = load_settings(secrets=_secrets())
    settings.validate()
    return settings


def get_settings() -> Settings:
    """The validated settings (raises ``ConfigError`` with a Chinese message)."""
    return _settings_cached()


@st.cache_resource(show_spinner="正在准备数据库…")
def _engine_cached(url: str, seed_demo: bool) -> Engine:
    engine = open_database(url)
    upgrade_to_head(engine)
    _default_categories(engine)
    _first_admin_from_env(engine)
    if seed_demo:
        from db.demo import DEMO_ACCOUNTS, ensure_demo_data

        if ensure_demo_data(engine):
            print("民情流水线：已生成演示数据。演示账号（密码均为 minqing-demo）：", flush=True)
            for username, role, name in DEMO_ACCOUNTS:
                print(f"  {username:<12} {Role(role).label}（{name}）", flush=True)
    return engine


def _default_categories(engine: Engine) -> None:
    """Every database starts with the six default categories (DOMAIN.md §4, editable on 类别管理):
    outside demo mode nothing created them, and intake had no 类别 to offer."""
    from services.categories import ensure_default_categories

    with session_factory(engine)() as session:
        ensure_default_categories(session)


def _first_admin_from_env(engine: Engine) -> None:
    """Outside the UI, ``MINQING_ADMIN_USERNAME``/``MINQING_ADMIN_PASSWORD`` create the first admin."""
    username = os.environ.get("MINQING_ADMIN_USERNAME")
    password = os.environ.get("MINQING_ADMIN_PASSWORD")
    if not username or not password:
        return
    from db.queries.users import needs_first_admin
    from services.users import create_first_admin

    with session_factory(engine)() as session:
        if needs_first_admin(session):
            create_first_admin(
                session, username=username, display_name="管理员", password=password,
                repeat=password, now=local_now(),
            )  # fmt: skip


def get_engine() -> Engine:
    """One migrated (and in demo mode, seeded) engine per process."""
    settings = get_settings()
    return _engine_cached(settings.database_url, settings.seed_demo)


def get_sessions() -> sessionmaker[Session]:
    """A session factory; open one session per script run with ``with get_sessions()() as s``."""
    return session_factory(get_engine())


def current_actor() -> Actor | None:
    """The logged-in user as an ``Actor`` (read fresh from the database), or None."""
    if st.session_state.get("authentication_status") is not True:
        return None
    username = st.session_state.get("username")
    if not username:
        return None
    with get_sessions()() as session:
        return actor_of(session, username=str(username))


def require_page(page: PageKey) -> Actor:
    """The guard at the top of every page: the actor if allowed, else stop the run here."""
    try:
        actor = current_actor()
    except ConfigError as exc:
        st.error(str(exc))
        st.stop()
    if actor is None:
        st.warning("请先登录。")
        st.stop()
    if not can_open(actor.role, page):
        st.error("您的角色无权访问此页面。")
        st.stop()
    if actor.lacks_unit and page is not PageKey.HOME:
        st.error(UNIT_MISSING)
        st.stop()
    return actor
