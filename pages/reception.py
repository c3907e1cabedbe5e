"""接待日: schedule reception sessions with deputies (人大代表/政协委员/党代表), record the
concerns residents raise there (each becomes a case with channel 接待日), and list the sessions
with their cases' outcomes.

Typed values live in ``st.session_state`` (keys ``rs_*`` for the schedule, ``rc_*`` for a
concern); a failed save shows each Chinese message under its field and writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries import reception as reception_queries
from db.queries.cases import category_choices
from db.queries.territory import community_choices, grid_cell_choices
from domain.deadlines import ClockRules
from domain.roles import Actor, PageKey
from domain.validation import CaseDraft
from domain.workflow import HandlingType
from services import reception as reception_service
from services.cases import ValidationFailed
from services.reception import ReceptionDraft
from ui.case_table import picked_case_link
from ui.context import get_sessions, get_settings, require_page
from ui.forms import field_errors, show_field_error
from ui.links import case_link
from ui.text import escape_markdown

SCHEDULE = "reception_schedule"
CONCERN = "reception_concern"
SCHEDULE_KEYS = ("rs_community", "rs_date", "rs_time", "rs_place", "rs_topic", "rs_deputies")
CONCERN_KEYS = (
    "rc_cell",
    "rc_category",
    "rc_type",
    "rc_description",
    "rc_name",
    "rc_phone",
    "rc_anonymous",
    "rc_promised",
)


def _defaults(now: dt.datetime) -> None:
    state = st.session_state
    state.setdefault("rs_date", now.date())
    state.setdefault("rs_time", dt.time(9, 0))
    for key in ("rs_place", "rs_topic", "rc_description", "rc_name", "rc_phone"):
        state.setdefault(key, "")
    state.setdefault("rs_deputies", [])
    state.setdefault("rc_anonymous", False)


def _schedule(actor: Actor) -> None:
    """Submit callback: schedule the session, or keep the form and its errors."""
    state = st.session_state
    day, moment = state.get("rs_date"), state.get("rs_time")
    draft = ReceptionDraft(
        community_id=state.get("rs_community"),
        held_at=dt.datetime.combine(day, moment) if day and moment else None,
        place=state.get("rs_place") or "",
        deputy_ids=list(state.get("rs_deputies") or []),
        topic=state.get("rs_topic") or "",
    )
    try:
        with get_sessions()() as session:
            saved = reception_service.schedule_session(
                session, draft=draft, actor=actor, now=local_now()
            )
            label = f"{saved.held_at:%Y-%m-%d %H:%M} {saved.place}"
    except ValidationFailed as exc:
        state[f"{SCHEDULE}_errors"] = exc.errors
        state.pop(f"{SCHEDULE}_saved", None)
        return
    state.pop(f"{SCHEDULE}_errors", None)
    state[f"{SCHEDULE}_saved"] = label
    for key in SCHEDULE_KEYS:
        state.pop(key, None)


def _record(actor: Actor, rules: ClockRules) -> None:
    """Submit callback: register the concern as a 接待日 case, or keep the form and its errors."""
    state = st.session_state
    draft = CaseDraft(
        grid_cell_id=state.get("rc_cell"),
        category_id=state.get("rc_category"),
        handling_type=state.get("rc_type"),
        description=state.get("rc_description") or "",
        reporter_name=state.get("rc_name") or "",
        reporter_phone=state.get("rc_phone") or "",
        anonymous=bool(state.get("rc_anonymous")),
        promised_date=state.get("rc_promised"),
    )
    session_id = state.get("rc_session")
    try:
        with get_sessions()() as session:
            if session_id is None:
                raise ValidationFailed({"session_id": "请选择接待日"})
            case = reception_service.record_concern(
                session,
                session_id=session_id,
                concern=draft,
                actor=actor,
                now=local_now(),
                rules=rules,
            )
            saved = (case.id, case.case_no)
    except ValidationFailed as exc:
        state[f"{CONCERN}_errors"] = exc.errors
        state.pop(f"{CONCERN}_saved", None)
        return
    state.pop(f"{CONCERN}_errors", None)
    state[f"{CONCERN}_saved"] = saved
    for key in CONCERN_KEYS:
        state.pop(key, None)


def _schedule_form(actor: Actor) -> None:
    errors = field_errors(SCHEDULE)
    saved = st.session_state.get(f"{SCHEDULE}_saved")
    if saved:
        st.success(f"接待日已安排：{escape_markdown(saved)}")  # the typed 地点 as typed
    with get_sessions()() as session:
        communities = community_choices(session, actor=actor)
        deputies = reception_queries.deputy_choices(session)
    with st.form("reception_schedule_form", enter_to_submit=False):
        st.selectbox(
            "社区",
            list(communities),
            format_func=communities.__getitem__,
            index=None,
            key="rs_community",
            placeholder="请选择",
        )
        show_field_error(errors, "community_id")
        d, t = st.columns(2)
        d.date_input("接待日期", format="YYYY-MM-DD", key="rs_date")
        t.time_input("开始时间", key="rs_time", step=60 * 30)
        show_field_error(errors, "held_at")
        st.text_input("接待地点", max_chars=100, key="rs_place")
        show_field_error(errors, "place")
        st.multiselect(
            "接待的代表委员（人大代表/政协委员/党代表）",
            list(deputies),
            format_func=deputies.__getitem__,
            key="rs_deputies",
            placeholder="请选择",
        )
        show_field_error(errors, "deputy_ids")
        st.text_input("接待主题（可选）", max_chars=200, key="rs_topic")
        show_field_error(errors, "topic")
        st.form_submit_button("安排接待日", type="primary", on_click=_schedule, args=(actor,))
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


def _concern_form(actor: Actor, rules: ClockRules) -> None:
    errors = field_errors(CONCERN)
    saved = st.session_state.get(f"{CONCERN}_saved")
    if saved:
        case_id, case_no = saved
        st.success(f"诉求已受理为案件：{case_no}（渠道：接待日）")
        case_link(case_id, f"打开案件 {case_no}")  # same tab, like the ledger
    with get_sessions()() as session:
        sessions = reception_queries.session_choices(session, actor=actor)
        cells = grid_cell_choices(session, actor=actor)
        categories = category_choices(session)
    if not sessions:
        st.info("还没有接待日，请先在「安排接待日」中安排。")
        return
    types = {h.value: h.label for h in HandlingType}
    st.selectbox(
        "选择接待日",
        list(sessions),
        format_func=sessions.__getitem__,
        index=None,
        key="rc_session",
        placeholder="请选择",
    )
    show_field_error(errors, "session_id")
    with st.form("reception_concern_form", enter_to_submit=False):
        a, b, c = st.columns(3)
        a.selectbox(
            "所属网格",
            list(cells),
            format_func=cells.__getitem__,
            index=None,
            key="rc_cell",
            placeholder="请选择",
        )
        with a:
            show_field_error(errors, "grid_cell_id")
        b.selectbox(
            "类别",
            list(categories),
            format_func=categories.__getitem__,
            index=None,
            key="rc_category",
            placeholder="请选择",
        )
        with b:
            show_field_error(errors, "category_id")
        c.selectbox(
            "五件制",
            list(types),
            format_func=types.__getitem__,
            index=None,
            key="rc_type",
            placeholder="请选择",
        )
        with c:
            show_field_error(errors, "handling_type")
        st.text_area("诉求内容", max_chars=2000, key="rc_description")
        show_field_error(errors, "description")
        n, p, anon = st.columns([2, 2, 1])
        n.text_input("反映人", max_chars=40, key="rc_name")
        with n:
            show_field_error(errors, "reporter_name")
        p.text_input("联系电话", max_chars=20, key="rc_phone")
        with p:
            show_field_error(errors, "reporter_phone")
        anon.checkbox("匿名", key="rc_anonymous")
        st.date_input(
            "承诺办结日期（承诺件必填）", value=None, format="YYYY-MM-DD", key="rc_promised"
        )
        show_field_error(errors, "promised_date")
        show_field_error(errors, "assignee_id")
        st.form_submit_button("登记诉求", type="primary", on_click=_record, args=(actor, rules))
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


def _sessions(actor: Actor) -> None:
    with get_sessions()() as session:
        rows = reception_queries.list_sessions(session, actor=actor)
    if not rows:
        st.info("暂无接待日。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                # The figures first, the texts after them.
                "接待时间": [r.held_at for r in rows],
                "诉求件数": [r.cases for r in rows],
                "未办结": [r.open_cases for r in rows],
                "解决率": [r.resolved.percent() for r in rows],
                "已解决/基数": [f"{r.resolved.numerator}/{r.resolved.denominator}" for r in rows],
                "地点": [r.place for r in rows],
                "社区": [r.community for r in rows],
                "接待代表": [r.deputies for r in rows],
                "主题": [r.topic for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"接待时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
        key="reception_sessions",
    )
    labels = {r.id: f"{r.held_at:%Y-%m-%d %H:%M} · {r.place}" for r in rows}
    chosen = st.selectbox(
        "查看接待日的诉求",
        list(labels),
        format_func=labels.__getitem__,
        index=None,
        key="rs_view",
        placeholder="请选择",
    )
    if chosen is None:
        return
    with get_sessions()() as session:
        cases = reception_queries.session_cases(session, session_id=chosen, actor=actor)
    if not cases:
        st.caption("该接待日暂无登记的诉求。")
        return
    # A ticked row (or the only one) gets a same-tab link below, like the ledger: a link
    # column would open the case in a new tab.
    event = st.dataframe(
        pd.DataFrame(
            {
                "案件编号": [c.case_no for c in cases],
                "状态": [c.status for c in cases],
                "类别": [c.category for c in cases],
                "反映人": [c.reporter for c in cases],
                "诉求内容": [c.description for c in cases],
            }
        ),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="reception_cases",
    )
    picked_case_link(event, [(c.case_id, c.case_no) for c in cases])


def render() -> None:
    """Draw the reception-day page."""
    actor = require_page(PageKey.RECEPTION)
    settings = get_settings()
    _defaults(local_now())
    st.title("接待日")
    st.caption("代表委员定期接待居民；接待中反映的诉求当场受理，渠道记为「接待日」。")
    schedule, concerns, listing = st.tabs(["安排接待日", "登记诉求", "接待记录"])
    with schedule:
        _schedule_form(actor)
    with concerns:
        _concern_form(actor, settings.clock)
    with listing:
        _sessions(actor)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
