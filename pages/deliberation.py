"""三议 民情会诊: put a case on the agenda of 党小组会 → 支委会 → 党员大会, record each meeting
(date, attendees, minutes) and, at the 党员大会, the decision (责任人, 办理时限) that becomes the
case's assignee and deadline. Each step appears on the case's timeline.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.cases import assignable_users, find_case_id
from db.queries.deliberation import deliberation_view
from domain.deliberation import DECIDING_STAGE, MeetingDraft
from domain.roles import Actor, PageKey
from domain.workflow import TransitionError
from services import deliberation as deliberation_service
from services.cases import CaseError, ValidationFailed
from ui.context import get_sessions, require_page
from ui.forms import field_errors, keep_errors, label_of, mark_saved, show_field_error
from ui.links import case_url as case_link

FORM = "deliberation"
KEYS = ("dl_date", "dl_attendees", "dl_minutes", "dl_decision", "dl_responsible", "dl_due")


def _record(case_id: int, version: int, stage: str, actor: Actor) -> None:
    """Submit callback: record the meeting at the version the user saw, or keep the errors."""
    state = st.session_state
    draft = MeetingDraft(
        stage=stage,
        meeting_date=state.get("dl_date"),
        attendees=state.get("dl_attendees"),
        minutes=state.get("dl_minutes") or "",
        decision=state.get("dl_decision") or "",
        responsible_id=state.get("dl_responsible"),
        due_date=state.get("dl_due"),
    )
    try:
        with get_sessions()() as session:
            deliberation_service.record_meeting(
                session,
                case_id=case_id,
                draft=draft,
                actor=actor,
                now=local_now(),
                expected_version=version,
            )
    except ValidationFailed as exc:
        keep_errors(FORM, exc.errors)
        return
    except (CaseError, TransitionError) as exc:
        state[f"{FORM}_errors"] = {"stage": str(exc)}
        return
    mark_saved(FORM, KEYS)


def render() -> None:
    """Draw the 三议 page for one case (``?id=`` or a case number typed here)."""
    actor = require_page(PageKey.DELIBERATION)
    st.title("三议 · 民情会诊")
    st.caption("需要集体决策的民情：党小组会 → 支委会 → 党员大会，议定责任人和办理时限。")
    raw = st.query_params.get("id")
    case_id = int(raw) if raw and str(raw).isdigit() else None
    if case_id is None:
        number = st.text_input("输入案件编号", placeholder="MQ-2026-000123", key="dl_case_no")
        if not number:
            return
        with get_sessions()() as session:
            case_id = find_case_id(session, case_no=number, actor=actor)
        if case_id is None:
            st.error("未找到该编号的案件，或该案件不在您的网格范围内。")
            return
    try:
        with get_sessions()() as session:
            view = deliberation_view(session, case_id=case_id, actor=actor)
            users = dict(assignable_users(session))
    except CaseError as exc:
        st.error(str(exc))
        return
    st.subheader(f"{view.case_no} · {view.status}")
    st.markdown(f"[打开案件详情]({case_link(view.case_id)})")
    st.text(view.description)
    if view.meetings:
        st.dataframe(
            pd.DataFrame(
                {
                    "会议": [m.stage for m in view.meetings],
                    "日期": [m.meeting_date for m in view.meetings],
                    "到会人数": [m.attendees for m in view.meetings],
                    "会议纪要": [m.minutes for m in view.meetings],
                    "决定": [m.decision for m in view.meetings],
                    "责任人": [m.responsible for m in view.meetings],
                    "办理时限": [m.due_date for m in view.meetings],
                }
            ),
            hide_index=True,
            width="stretch",
            key="deliberation_meetings",
        )
    if st.session_state.get(f"{FORM}_saved"):
        st.success("会议已记录，并写入案件流转记录。")
    if view.next_stage is None:
        st.info("三议已全部完成。")
        return
    if not view.is_open:
        st.info("案件已不在办理中，不能再上会。")
        return
    errors = field_errors(FORM)
    stage = view.next_stage
    show_field_error(errors, "stage")
    with st.form("deliberation_form", enter_to_submit=False):
        st.markdown(f"**记录{stage.label}**")
        d, n = st.columns(2)
        d.date_input("会议日期", value=None, format="YYYY-MM-DD", key="dl_date")
        with d:
            show_field_error(errors, "meeting_date")
        n.number_input("到会人数", min_value=0, step=1, value=None, key="dl_attendees")
        with n:
            show_field_error(errors, "attendees")
        st.text_area("会议纪要", max_chars=2000, key="dl_minutes")
        show_field_error(errors, "minutes")
        if stage is DECIDING_STAGE:
            st.text_area("会议决定", max_chars=1000, key="dl_decision")
            show_field_error(errors, "decision")
            r, t = st.columns(2)
            r.selectbox(
                "责任人",
                list(users),
                format_func=label_of(users),
                index=None,
                key="dl_responsible",
                placeholder="请选择",
            )
            with r:
                show_field_error(errors, "responsible_id")
            t.date_input("办理时限", value=None, format="YYYY-MM-DD", key="dl_due")
            with t:
                show_field_error(errors, "due_date")
        st.form_submit_button(
            f"记录{stage.label}",
            type="primary",
            on_click=_record,
            args=(view.case_id, view.version, stage.value, actor),
        )
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
