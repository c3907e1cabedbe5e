"""接待日 opens a case in the same tab, like the ledger: the session's case table has no link
column (a LinkColumn opens a new tab); the ticked (or only) case gets a page link below it,
and the banner after a concern is recorded links the new case the same way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.engine import session_factory
from db.models import Person, ReceptionSession
from db.queries.users import actor_of
from domain.deadlines import ClockRules
from domain.validation import CaseDraft
from services.reception import ReceptionDraft, record_concern, schedule_session
from tests.factories import NOW
from tests.helpers.page_tests import open_as, page_world, submit


def _deputy(session: Session) -> None:
    session.add(Person(name="孙代表", kind="deputy", title="人大代表"))


@pytest.fixture
def db(tmp_path, monkeypatch) -> Iterator[Engine]:
    for engine, _world in page_world(
        tmp_path, monkeypatch, modules=("pages.reception",), extra=_deputy
    ):
        yield engine


def _reception_page() -> None:
    from pages.reception import render

    render()


def _links(at: AppTest) -> list[tuple[str, str, str]]:
    return [(e.proto.label, e.proto.page, e.proto.query_string) for e in at.get("page_link")]


def _session_with_concern(engine: Engine) -> tuple[int, int, str]:
    """A reception session in the staff's 社区 with one concern: (session id, case id, 编号)."""
    with session_factory(engine)() as session:
        staff = actor_of(session, username="staff")
        assert staff is not None and staff.community_id is not None
        deputy = session.scalar(select(Person.id).where(Person.kind == "deputy"))
        assert deputy is not None
        held = schedule_session(
            session,
            draft=ReceptionDraft(
                community_id=staff.community_id,
                held_at=NOW.replace(hour=9),
                place="社区党群服务中心",
                deputy_ids=[deputy],
            ),
            actor=staff,
            now=NOW,
        )
        draft = CaseDraft(
            grid_cell_id=_any_cell(session),
            category_id=_any_category(session),
            handling_type="immediate",
            description="小区东门路灯不亮，晚上出行不安全",
            reporter_name="周阿姨",
            reporter_phone="13912345678",
        )
        case = record_concern(
            session, session_id=held.id, concern=draft, actor=staff, now=NOW, rules=ClockRules()
        )
        return held.id, case.id, case.case_no


def _any_cell(session: Session) -> int:
    from db.models import GridCell

    return int(session.scalar(select(GridCell.id).order_by(GridCell.id)) or 0)


def _any_category(session: Session) -> int:
    from db.models import Category

    return int(session.scalar(select(Category.id).order_by(Category.id)) or 0)


def test_session_cases_open_in_the_same_tab(db):
    session_id, case_id, case_no = _session_with_concern(db)
    at = open_as(_reception_page)
    at.selectbox(key="rs_view").set_value(session_id)
    at = at.run()
    assert not at.exception, at.exception
    table = next(d for d in at.dataframe if "类别" in d.value.columns)  # the session's cases
    assert "link" not in table.proto.columns.lower()  # no LinkColumn (it opens a new tab)
    assert case_no in table.value.to_string()  # the 编号 is shown as text
    assert (f"打开案件 {case_no}", "case", f"id={case_id}") in _links(at)


def test_recorded_concern_banner_links_the_case_in_the_same_tab(db):
    session_id, _case_id, _case_no = _session_with_concern(db)
    at = open_as(_reception_page)
    at.selectbox(key="rc_session").set_value(session_id)
    with session_factory(db)() as session:
        cell, category = _any_cell(session), _any_category(session)
        assert session.get(ReceptionSession, session_id) is not None
    at.selectbox(key="rc_cell").set_value(cell)
    at.selectbox(key="rc_category").set_value(category)
    at.selectbox(key="rc_type").set_value("immediate")
    at.text_area(key="rc_description").input("楼道灯坏了一周，老人上下楼不方便")
    at.checkbox(key="rc_anonymous").check()
    at = submit(at, "登记诉求")
    assert any("诉求已受理为案件" in s.value for s in at.success), [e.value for e in at.error]
    saved = at.session_state["reception_concern_saved"]
    assert (f"打开案件 {saved[1]}", "case", f"id={saved[0]}") in _links(at)
    assert not [m for m in at.markdown if "/case?id=" in m.value]  # no markdown (new-tab) link
