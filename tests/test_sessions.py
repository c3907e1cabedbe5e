"""Server-side sessions: every ending event revokes every session of the user, on each backend;
the idle timeout with a pinned clock; the login gate refuses a revoked session (AppTest)."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import ROOT, local_now
from db.engine import make_engine, session_factory
from db.models import AuditEntry, LoginEvent, User, UserSession
from db.queries.sessions import live_session_counts
from domain.roles import Actor, Role
from services import sessions as svc
from services.sessions import EndReason
from services.users import change_own_password, reset_password, update_account
from tests.factories import NOW, PASSWORD, make_world, migrate
from tests.helpers.cases import actor_of

IDLE = 480
MINUTE = dt.timedelta(minutes=1)


def _login(session, username: str, token: str, at: dt.datetime = NOW) -> str:
    session_id = svc.session_id_of(token)
    assert svc.start_session(session, session_id=session_id, username=username, now=at)
    return session_id


def _check(session, session_id: str, username: str, at: dt.datetime, idle: int = IDLE):
    session.expire_all()
    return svc.check_session(
        session, session_id=session_id, username=username, now=at, idle_minutes=idle
    )


def _two_logins_each(session) -> dict[str, list[str]]:
    """Two sessions of staff (two browsers) and one of gridworker (the bystander)."""
    return {
        "staff": [_login(session, "staff", "cookie-a"), _login(session, "staff", "cookie-b")],
        "gridworker": [_login(session, "gridworker", "cookie-c")],
    }


def _ended(session, ids: dict[str, list[str]], at: dt.datetime) -> dict[str, list[object]]:
    return {user: [_check(session, i, user, at) for i in sids] for user, sids in ids.items()}


def test_a_live_session_passes_and_is_touched_at_most_once_a_minute(session):
    make_world(session)
    sid = _login(session, "staff", "cookie-a")
    assert sid == svc.session_id_of("cookie-a") and len(sid) == 64
    assert _check(session, sid, "staff", NOW + 30 * dt.timedelta(seconds=1)) is None
    assert session.get(UserSession, sid).last_seen_at == NOW  # under a minute: not written
    assert _check(session, sid, "staff", NOW + 2 * MINUTE) is None
    assert session.get(UserSession, sid).last_seen_at == NOW + 2 * MINUTE
    # a cookie of another user, or an id never issued, is no session
    assert _check(session, sid, "gridworker", NOW + 3 * MINUTE) is EndReason.UNKNOWN
    assert _check(session, svc.session_id_of("forged"), "staff", NOW) is EndReason.UNKNOWN


def test_logout_ends_every_session_of_the_user_only(session):
    make_world(session)
    ids = _two_logins_each(session)
    assert svc.logout(session, username="staff", now=NOW + MINUTE) == 2
    assert _ended(session, ids, NOW + 2 * MINUTE) == {
        "staff": [EndReason.LOGOUT, EndReason.LOGOUT],
        "gridworker": [None],
    }
    outcomes = session.scalars(select(LoginEvent.outcome).where(LoginEvent.username == "staff"))
    assert list(outcomes) == ["logout"]


def test_password_change_ends_the_other_sessions(session):
    world = make_world(session)
    ids = _two_logins_each(session)
    change_own_password(
        session, username="staff", current=PASSWORD, new="new-pass-2026!", repeat="new-pass-2026!",
        now=NOW + MINUTE, keep_session=ids["staff"][0],
    )  # fmt: skip
    assert _ended(session, ids, NOW + 2 * MINUTE) == {
        "staff": [None, EndReason.PASSWORD],
        "gridworker": [None],
    }
    reset_password(session, actor=actor_of(world, "admin"), user_id=world.users["staff"].id,
                   now=NOW + 3 * MINUTE)  # fmt: skip
    assert _check(session, ids["staff"][0], "staff", NOW + 4 * MINUTE) is EndReason.RESET


def test_disabling_a_user_ends_their_sessions(session):
    world = make_world(session)
    ids = _two_logins_each(session)
    staff = world.users["staff"]
    update_account(
        session, actor=actor_of(world, "admin"), user_id=staff.id, role="staff",
        is_active=False, grid_cell_ids=None, now=NOW + MINUTE,
    )  # fmt: skip
    assert _ended(session, ids, NOW + 2 * MINUTE) == {
        "staff": [EndReason.DISABLED, EndReason.DISABLED],
        "gridworker": [None],
    }


def test_force_logout_by_the_admin_only_and_audited(session):
    world = make_world(session)
    ids = _two_logins_each(session)
    staff_id = world.users["staff"].id
    with pytest.raises(PermissionError):
        svc.force_logout(session, actor=actor_of(world, "staff"), user_id=staff_id, now=NOW)
    assert live_session_counts(session, now=NOW, idle_minutes=IDLE)[staff_id] == 2
    admin = actor_of(world, "admin")
    assert svc.force_logout(session, actor=admin, user_id=staff_id, now=NOW + MINUTE) == 2
    assert _ended(session, ids, NOW + 2 * MINUTE) == {
        "staff": [EndReason.FORCED, EndReason.FORCED],
        "gridworker": [None],
    }
    assert staff_id not in live_session_counts(session, now=NOW + 2 * MINUTE, idle_minutes=IDLE)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.force_logout"))
    assert [(e.username, e.target) for e in entry] == [("admin", "staff")]
    # a new login after 强制下线 is a new, live session
    fresh = _login(session, "staff", "cookie-d", NOW + 3 * MINUTE)
    assert _check(session, fresh, "staff", NOW + 4 * MINUTE) is None


def test_idle_timeout_with_a_pinned_clock(session):
    make_world(session)
    sid = _login(session, "staff", "cookie-a")
    other = _login(session, "staff", "cookie-b")
    # used every 7 hours 59 minutes: never idle
    at = NOW
    for _ in range(3):
        at += dt.timedelta(minutes=IDLE - 1)
        assert _check(session, sid, "staff", at) is None
    # the other one, unused since NOW, idled out
    assert _check(session, other, "staff", at) is EndReason.IDLE
    assert _check(session, other, "staff", at + MINUTE) is EndReason.IDLE  # and stays ended
    # 0 turns the idle timeout off
    late = _login(session, "staff", "cookie-c")
    assert _check(session, late, "staff", NOW + dt.timedelta(days=30), idle=0) is None


# ---------------------------------------------------------------------------------------------
# The login gate (app.py under AppTest)

APP = str(ROOT / "app.py")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        make_world(session)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _form_login(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    at = at.button[0].click().run()
    assert not at.exception, at.exception
    return at.run()


def test_a_revoked_session_gets_the_login_form_at_its_next_run(app_db):
    at = _form_login("staff")
    assert [t.label for t in at.text_input] != ["用户名", "密码"]  # logged in
    with session_factory(app_db)() as session:
        stored = list(session.scalars(select(UserSession)))
        assert [(s.revoked_at, s.reason) for s in stored] == [(None, None)]
        admin = session.scalar(select(User).where(User.username == "admin"))
        staff = session.scalar(select(User).where(User.username == "staff"))
        assert admin is not None and staff is not None
        svc.force_logout(
            session, actor=Actor(admin.id, "admin", Role.ADMIN, admin.display_name),
            user_id=staff.id, now=local_now(),
        )  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert any("管理员已强制下线" in w.value for w in at.warning)
