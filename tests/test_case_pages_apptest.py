"""Case detail, ledger and to-do pages under AppTest, on a small SQLite world."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import local_now
from db.engine import make_engine, session_factory
from db.models import AuditEntry, Case, CaseEvent
from domain.deadlines import ClockRules
from domain.workflow import Action
from services.cases import apply_action
from tests.factories import make_case, make_world, migrate
from tests.helpers.cases import actor_of
from ui.text import escape_markdown

APPS = Path(__file__).parent / "apps"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A small SQLite world with three cases relative to the real clock (pages use local_now)."""
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    now = local_now()
    with session_factory(engine)() as session:
        world = make_world(session)
        cases = [
            make_case(
                session, world, case_no="MQ-2026-000001", status="in_progress",
                accepted_at=now - dt.timedelta(days=6), deadline_at=now - dt.timedelta(days=1),
                description="路灯不亮，晚上出行不便",
            ),
            make_case(
                session, world, case_no="MQ-2026-000002", grid_cell_id=world.cells[1].id,
                accepted_at=now - dt.timedelta(days=2), deadline_at=now + dt.timedelta(days=10),
                description="楼道堆放杂物，影响通行", reporter_phone="13900001111",
            ),
            make_case(
                session, world, case_no="MQ-2026-000003", status="notified",
                accepted_at=now - dt.timedelta(days=1), deadline_at=now + dt.timedelta(days=2),
                description="垃圾桶不够用",
            ),
        ]  # fmt: skip
        ids = [c.id for c in cases]
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine, world, ids
    st.cache_resource.clear()
    engine.dispose()


def open_page(name: str, username: str = "staff", case_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(APPS / f"{name}_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    if case_id is not None:
        at.query_params["id"] = str(case_id)
    at.run()
    assert not at.exception, at.exception
    return at


def timeline(at: AppTest) -> list[str]:
    return list(at.table[-1].value["操作"])


def test_case_detail_runs_an_action_and_shows_it_in_the_timeline(app_db):
    _engine, _world, ids = app_db
    at = open_page("case_detail", case_id=ids[1])
    assert at.subheader[0].value == "MQ-2026-000002 · 已受理"
    fields = at.table[0].value
    # st.table cells are Markdown-escaped (ui.text.plain_frame): compare with the escaped text
    assert fields.loc["联系电话", "内容"] == escape_markdown("139****1111")  # masked until asked
    at.toggle(key=f"reveal_{ids[1]}").set_value(True).run()
    assert at.table[0].value.loc["联系电话", "内容"] == escape_markdown("13900001111")
    with session_factory(_engine)() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["personal_data.view"]
    at.selectbox(key=f"act_choice_{ids[1]}").set_value("start").run()
    at.text_area(key=f"act_{ids[1]}_start_note").input("已电话联系居民")
    at.button(key=f"FormSubmitter:act_form_{ids[1]}_start-确认开始办理").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["已完成「开始办理」。"]
    assert at.subheader[0].value == "MQ-2026-000002 · 办理中"
    rows = at.table[-1].value
    assert list(rows["操作"]) == ["开始办理"]
    assert list(rows["操作人"]) == ["社区工作人员甲"]
    assert list(rows["说明"]) == ["已电话联系居民"]


def test_case_detail_missing_input_keeps_form(app_db):
    _, _, ids = app_db
    at = open_page("case_detail", case_id=ids[0])
    at.selectbox(key=f"act_choice_{ids[0]}").set_value("finish_resolved").run()
    at.selectbox(key=f"act_{ids[0]}_finish_resolved_level").set_value("subdistrict")
    at.button(key=f"FormSubmitter:act_form_{ids[0]}_finish_resolved-确认办结").click().run()
    assert "请填写办理结果" in [e.value for e in at.error]
    assert at.selectbox(key=f"act_{ids[0]}_finish_resolved_level").value == "subdistrict"
    assert at.subheader[0].value == "MQ-2026-000001 · 办理中"


def _escalate(engine, world, case_id: int, level: str) -> None:
    """上报 ``case_id`` (in progress, version 1) to ``level`` and record the answer."""
    staff, now = actor_of(world, "staff"), local_now()
    expected = now.date() + dt.timedelta(days=7)
    with session_factory(engine)() as session:
        for version, action, fields in (
            (1, Action.ESCALATE, {"level": level, "expected_date": expected}),
            (2, Action.ESCALATION_ANSWERED, {"answer": "区里已安排"}),
        ):
            apply_action(
                session, case_id=case_id, expected_version=version, action=action, actor=staff,
                now=now, rules=ClockRules(), **fields,
            )  # fmt: skip


def test_finish_form_defaults_to_the_escalation_level_and_asks_otherwise(app_db):
    engine, world, ids = app_db
    _escalate(engine, world, ids[0], "district")
    at = open_page("case_detail", case_id=ids[0])
    at.selectbox(key=f"act_choice_{ids[0]}").set_value("finish_resolved").run()
    assert at.selectbox(key=f"act_{ids[0]}_finish_resolved_level").value == "district"
    at.text_area(key=f"act_{ids[0]}_finish_resolved_result").input("区住建局已修复路灯")
    at.button(key=f"FormSubmitter:act_form_{ids[0]}_finish_resolved-确认办结").click().run()
    assert [s.value for s in at.success] == ["已完成「办结」。"]
    with session_factory(engine)() as session:
        assert session.get(Case, ids[0]).resolved_level == "district"
    # Never escalated: no level is preselected, and finishing without one is refused.
    other = open_page("case_detail", case_id=ids[1])
    other.selectbox(key=f"act_choice_{ids[1]}").set_value("finish_resolved").run()
    assert other.selectbox(key=f"act_{ids[1]}_finish_resolved_level").value is None
    other.text_area(key=f"act_{ids[1]}_finish_resolved_result").input("已清理楼道")
    other.button(key=f"FormSubmitter:act_form_{ids[1]}_finish_resolved-确认办结").click().run()
    assert "请选择化解层级（社区、街道、区或上级部门）" in [e.value for e in other.error]
    with session_factory(engine)() as session:
        assert session.get(Case, ids[1]).resolved_level is None


def test_case_detail_reports_a_concurrent_change_and_shows_fresh_state(app_db):
    engine, world, ids = app_db
    at = open_page("case_detail", case_id=ids[1])
    at.selectbox(key=f"act_choice_{ids[1]}").set_value("note").run()
    at.text_area(key=f"act_{ids[1]}_note_note").input("居民白天不在家")
    # Meanwhile the secretary starts handling the same case.
    with session_factory(engine)() as session:
        apply_action(
            session,
            case_id=ids[1],
            expected_version=1,
            action=Action.START,
            actor=actor_of(world, "secretary"),
            now=local_now(),
            rules=ClockRules(),
        )
    at.button(key=f"FormSubmitter:act_form_{ids[1]}_note-确认备注").click().run()
    assert not at.exception, at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("该案件刚被 社区书记/主任甲 于 ")
    assert warning.endswith("更新，已为您载入最新状态，请确认后重试")
    assert at.subheader[0].value == "MQ-2026-000002 · 办理中"
    assert timeline(at) == ["开始办理"]
    assert at.text_area(key=f"act_{ids[1]}_note_note").value == "居民白天不在家"
    with session_factory(engine)() as session:
        actions = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == ids[1]))
        assert list(actions) == ["start"]
        assert session.get(Case, ids[1]).version == 2


def test_grid_worker_cannot_open_a_case_outside_their_cells(app_db):
    _, _, ids = app_db
    at = open_page("case_detail", username="gridworker", case_id=ids[1])
    assert [e.value for e in at.error] == ["该案件不在您负责的网格内，不能查看或办理"]
    assert not at.table


def test_ledger_lists_highlights_and_searches(app_db):
    _, _, _ids = app_db
    at = open_page("ledger")
    frame = at.dataframe[0].value
    assert list(frame["案件编号"]) == ["MQ-2026-000003", "MQ-2026-000002", "MQ-2026-000001"]
    assert list(frame["提示"]) == ["", "", "逾期"]
    assert at.caption[0].value.startswith("共 3 件，第 1 / 1 页")
    at.text_input(key="lg_text").input("杂物").run()
    frame = at.dataframe[0].value
    assert list(frame["案件编号"]) == ["MQ-2026-000002"]
    assert [d.label for d in at.get("download_button")] == ["导出 Excel", "导出 CSV"]
    worker = open_page("ledger", username="gridworker")
    assert list(worker.dataframe[0].value["案件编号"]) == ["MQ-2026-000003", "MQ-2026-000001"]


def test_ledger_filters_the_subdistrict_statuses_and_shows_the_order_number(app_db):
    engine, _world, ids = app_db
    with session_factory(engine)() as session:
        session.get(Case, ids[1]).status = "at_subdistrict"
        session.get(Case, ids[2]).external_no = "12345-20261120-0007"
        session.commit()
    at = open_page("ledger")
    status = at.multiselect(key="lg_status")
    assert {"待街道签收", "街道办理中", "已上报"} <= set(status.options)
    frame = at.dataframe[0].value
    assert list(frame["上级工单号"]) == ["12345-20261120-0007", "", ""]
    status.select("at_subdistrict").run()
    frame = at.dataframe[0].value
    assert (list(frame["案件编号"]), list(frame["状态"])) == (["MQ-2026-000002"], ["街道办理中"])


def test_todo_page_and_badge_counts(app_db):
    at = open_page("todo")
    # The counts are the tabs' labels: no tiles push the list off a phone's first screen.
    assert [t.label for t in at.tabs] == ["在办（2）", "临期（0）", "逾期（1）", "待回访（1）"]
    assert not at.metric
    badge = AppTest.from_string(
        "from ui.todo_badge import todo_badge\n"
        "from ui.context import current_actor\n"
        "todo_badge(current_actor())\n",
        default_timeout=60,
    )
    badge.session_state["authentication_status"] = True
    badge.session_state["username"] = "staff"
    badge.run()
    assert [c.value for c in badge.caption] == ["我的待办：在办 2 · 临期 0 · 逾期 1 · 待回访 1"]


def _page_links(at: AppTest) -> list[tuple[str, str, str]]:
    return [(e.proto.label, e.proto.page, e.proto.query_string) for e in at.get("page_link")]


def test_case_detail_links_to_the_cases_deliberation_for_roles_that_may_open_it(app_db):
    _, _, ids = app_db
    for username in ("staff", "secretary", "admin"):
        at = open_page("case_detail", username=username, case_id=ids[0])
        links = [link for link in _page_links(at) if link[0].startswith("三议")]
        assert len(links) == 1, username
        _label, page, query = links[0]
        assert (page, query) == ("deliberation", f"id={ids[0]}")
    worker = open_page("case_detail", username="gridworker", case_id=ids[0])
    assert worker.subheader[0].value == "MQ-2026-000001 · 办理中"
    assert not [link for link in _page_links(worker) if link[0].startswith("三议")]


def test_lists_put_the_key_columns_first_and_clip_the_description(app_db):
    """A phone shows about four columns: 编号, 提示, 状态 and 办结期限 (the day) come first, then
    诉求内容 (issue 16; tests/browser/test_phone.py measures them on a 390 px screen)."""
    _engine, _world, _ids = app_db
    for name in ("ledger", "todo"):
        frame = open_page(name).dataframe[0].value
        assert list(frame.columns[:5]) == ["案件编号", "提示", "状态", "办结期限", "诉求内容"], name
        assert all(len(day) in (0, 10) for day in frame["办结期限"]), name
    at = open_page("ledger")
    assert "路灯不亮，晚上出行不便" in list(at.dataframe[0].value["诉求内容"])


@pytest.mark.parametrize("meanwhile", [Action.NOTE, Action.FINISH_ANSWERED])
def test_a_conflict_keeps_the_typed_result(app_db, meanwhile):
    """Two editors finish the same case: the second one's typed 办理结果 stays (issue 16)."""
    engine, world, ids = app_db
    at = open_page("case_detail", case_id=ids[0])
    at.selectbox(key=f"act_choice_{ids[0]}").set_value("finish_resolved").run()
    typed = "已联系供电所更换灯泡  --  居民确认\n次日复查"
    at.text_area(key=f"act_{ids[0]}_finish_resolved_result").input(typed)
    with session_factory(engine)() as session:
        answered = {"result": "已答复居民", "level": "community"}
        extra = answered if meanwhile is Action.FINISH_ANSWERED else {"note": "x"}
        apply_action(
            session, case_id=ids[0], expected_version=1, action=meanwhile,
            actor=actor_of(world, "secretary"), now=local_now(), rules=ClockRules(), **extra,
        )  # fmt: skip
    next(b for b in at.button if b.label.startswith("确认办结")).click().run()
    assert not at.exception, at.exception
    assert next(w.value for w in at.warning).endswith("已为您载入最新状态，请确认后重试")
    kept = [a.value for a in at.text_area if a.value == typed] + [
        c.value for c in at.code if c.value == typed
    ]
    assert kept == [typed]
