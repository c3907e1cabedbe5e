"""User administration and login bookkeeping, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import AuditEntry, LoginEvent, User
from db.queries import users as user_queries
from db.seed import check_password
from domain.roles import Actor, Role
from services import accounts
from services.users import (
    UserError,
    change_own_password,
    create_account,
    create_first_admin,
    password_problems,
    reset_password,
    update_account,
)
from tests.factories import NOW, PASSWORD, make_world


def _admin(world) -> Actor:
    u = world.users["admin"]
    return Actor(u.id, u.username, Role.ADMIN, u.display_name)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1!", "至少 10 位"),
        ("abcdefghijkl", "至少两类"),
        ("admin12345", "太常见"),
        ("zhangsan-2026", "包含用户名"),
        ("good-pass-2026", None),
        ("minqing-demo", None),
    ],
)
def test_password_strength(password, problem):
    found = password_problems(password, username="zhangsan")
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_create_user_must_change_password_then_changes_it(session):
    world = make_world(session)
    user = create_account(
        session, actor=_admin(world), username="Li.Ming", display_name="李明", role="staff",
        password="initial-pass-1", now=NOW,
    )  # fmt: skip
    assert user.username == "li.ming" and user.must_change_password
    assert user.password_hash.startswith("$2") and "initial-pass-1" not in user.password_hash
    with pytest.raises(UserError) as err:
        change_own_password(
            session, username="li.ming", current="wrong", new="x", repeat="x", now=NOW
        )
    assert set(err.value.errors) == {"current", "new"}
    change_own_password(
        session, username="li.ming", current="initial-pass-1", new="my-own-pass-9",
        repeat="my-own-pass-9", now=NOW,
    )  # fmt: skip
    session.refresh(user)
    assert not user.must_change_password and check_password("my-own-pass-9", user.password_hash)
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["user.create", "user.change_password"]


def test_create_user_refusals_write_nothing(session):
    world = make_world(session)
    before = session.query(User).count()
    with pytest.raises(UserError) as err:
        create_account(
            session, actor=_admin(world), username="staff", display_name="", role="gridworker",
            password="short", now=NOW, grid_cell_ids=[],
        )  # fmt: skip
    assert set(err.value.errors) == {"username", "display_name", "password", "grid_cell_ids"}
    assert "已存在" in err.value.errors["username"]
    session.rollback()
    assert session.query(User).count() == before


def test_only_admin_manages_users(session):
    world = make_world(session)
    staff = world.users["staff"]
    with pytest.raises(UserError, match="只有管理员"):
        create_account(
            session, actor=Actor(staff.id, "staff", Role.STAFF), username="x1y", display_name="某",
            role="viewer", password="good-pass-2026", now=NOW,
        )  # fmt: skip


def test_disable_rerole_scope_and_reset(session):
    world = make_world(session)
    admin = _admin(world)
    staff = world.users["staff"]
    update_account(
        session, actor=admin, user_id=staff.id, role="gridworker", is_active=False,
        grid_cell_ids=[world.cells[1].id], now=NOW,
    )  # fmt: skip
    session.refresh(staff)
    assert (staff.role, staff.is_active, [c.id for c in staff.grid_cells]) == (
        "gridworker", False, [world.cells[1].id],
    )  # fmt: skip
    creds = user_queries.login_credentials(session, now=NOW)
    assert "staff" not in creds["usernames"]  # a disabled account cannot log in
    temporary = reset_password(session, actor=admin, user_id=staff.id, now=NOW)
    session.refresh(staff)
    assert check_password(temporary, staff.password_hash) and staff.must_change_password
    with pytest.raises(UserError, match="不能停用自己"):
        update_account(
            session, actor=admin, user_id=admin.user_id, role="admin", is_active=False,
            grid_cell_ids=None, now=NOW,
        )  # fmt: skip


def test_lockout_after_five_failures_and_unlock_after_fifteen_minutes(session):
    make_world(session)
    results = [accounts.record_failure(session, username="staff", now=NOW) for _ in range(5)]
    assert results[:4] == [None] * 4
    assert results[4] == NOW + dt.timedelta(minutes=15)
    creds = user_queries.login_credentials(session, now=NOW + dt.timedelta(minutes=14))
    assert creds["usernames"]["staff"]["password"] == user_queries.UNMATCHABLE_HASH
    assert not user_queries.may_stay_logged_in(session, username="staff", now=NOW)
    later = NOW + dt.timedelta(minutes=16)
    creds = user_queries.login_credentials(session, now=later)
    assert check_password(PASSWORD, creds["usernames"]["staff"]["password"])
    outcomes = session.scalars(select(LoginEvent.outcome).order_by(LoginEvent.id)).all()
    assert outcomes == ["failure"] * 5 + ["locked"]


def test_first_admin_only_once(session):
    assert user_queries.needs_first_admin(session)
    with pytest.raises(UserError) as err:
        create_first_admin(
            session,
            username="root",
            display_name="管",
            password="good-pass-2026",
            repeat="other",
            now=NOW,
        )
    assert set(err.value.errors) == {"repeat"}
    admin = create_first_admin(
        session, username="chief", display_name="王书记", password="good-pass-2026",
        repeat="good-pass-2026", now=NOW,
    )  # fmt: skip
    assert admin.role == "admin" and not admin.must_change_password
    assert not user_queries.needs_first_admin(session)
    with pytest.raises(UserError, match="不能再次初始化"):
        create_first_admin(
            session, username="second", display_name="x", password="good-pass-2026",
            repeat="good-pass-2026", now=NOW,
        )  # fmt: skip
