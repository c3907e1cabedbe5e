"""审计日志 names people as they know them: 「姓名（用户名）」, not the bare username (issue 16)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import LoginEvent
from db.queries.audit import audit_log
from services.audit import add_entry
from tests.factories import NOW, make_world
from tests.helpers.cases import subdistrict_actor


def test_audit_rows_show_display_name_and_username(session: Session) -> None:
    world = make_world(session)
    staff = world.users["staff"]
    session.add(LoginEvent(username="staff", at=NOW, outcome="failure"))
    session.add(LoginEvent(username="nobody", at=NOW, outcome="failure"))
    add_entry(session, username="admin", action="export", target="台账", detail="", now=NOW)
    session.commit()
    leader = subdistrict_actor(world)  # the 街道 sees every 社区's entries
    rows = audit_log(
        session, start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=1), actor=leader
    )
    shown = {(r.username, r.action) for r in rows}
    assert shown == {
        (f"{staff.display_name}（staff）", "登录失败"),
        ("nobody", "登录失败"),  # an unknown name stays as typed
        (f"{world.users['admin'].display_name}（admin）", "导出"),
    }
    # The page's 用户名 filter still takes the username.
    only = audit_log(
        session,
        start=NOW - dt.timedelta(days=1),
        end=NOW + dt.timedelta(days=1),
        username="staff",
        actor=leader,
    )
    assert [r.username for r in only] == ["社区工作人员甲（staff）"]
