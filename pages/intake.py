"""民情受理: the intake form (渠道, 类别, 反映人, 网格, 诉求, 五件制), deadline preview, 重信 hints.

The channel is chosen above the form so that a 上级转办 shows its 上级工单号 and 上级期限 at once.

The form keeps every typed value in ``st.session_state`` (widget keys ``in_*``); a failed save
shows each Chinese message under its field and writes nothing. Rules live in services/domain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.cases import assignable_users, category_choices
from db.queries.repeats import repeat_candidates
from db.queries.territory import grid_cell_choices
from domain.deadlines import ClockRules, deadline_preview, response_due
from domain.roles import Actor, PageKey
from domain.validation import MAX_EXTERNAL_NO, MAX_NAME, CaseDraft
from domain.workflow import Channel, HandlingType
from services.cases import ValidationFailed, accept_case
from ui.context import get_sessions, get_settings, require_page
from ui.forms import field_errors, show_field_error
from ui.links import case_link
from ui.todo_badge import clear_todo_badge

FORM = "intake"
KEYS = (
    "in_channel",
    "in_category",
    "in_anonymous",
    "in_name",
    "in_phone",
    "in_cell",
    "in_lat",
    "in_lon",
    "in_description",
    "in_type",
    "in_promised",
    "in_urgent",
    "in_date",
    "in_time",
    "in_assignee",
    "in_repeat",
    "in_external_no",
    "in_external_due",
)
WEEKDAYS = "一二三四五六日"


def _defaults(actor: Actor, now: dt.datetime) -> None:
    """Fill unset widget values once; later runs keep whatever the clerk typed."""
    state = st.session_state
    for key in KEYS:
        state.setdefault(key, None)
    for key in ("in_anonymous", "in_urgent"):
        if state[key] is None:
            state[key] = False
    for key in ("in_name", "in_phone", "in_description", "in_external_no"):
        if state[key] is None:
            state[key] = ""
    if state["in_date"] is None:
        state["in_date"] = now.date()
    if state["in_time"] is None:
        state["in_time"] = now.time().replace(second=0, microsecond=0)
    if state["in_assignee"] is None:
        state["in_assignee"] = actor.user_id


def _accepted_at() -> dt.datetime | None:
    day, moment = st.session_state.get("in_date"), st.session_state.get("in_time")
    if day is None or moment is None:
        return None
    return dt.datetime.combine(day, moment)


def _draft(now: dt.datetime) -> CaseDraft:
    """The draft the form currently holds (as of its last submit)."""
    state = st.session_state
    forwarded = state.get("in_channel") == Channel.FORWARDED
    return CaseDraft(
        channel=state.get("in_channel"),
        category_id=state.get("in_category"),
        handling_type=state.get("in_type"),
        grid_cell_id=state.get("in_cell"),
        description=state.get("in_description") or "",
        accepted_at=_accepted_at() or now,
        reporter_name=state.get("in_name") or "",
        reporter_phone=state.get("in_phone") or "",
        anonymous=bool(state.get("in_anonymous")),
        promised_date=state.get("in_promised"),
        urgent=bool(state.get("in_urgent")),
        assignee_id=state.get("in_assignee"),
        repeat_of_id=state.get("in_repeat"),
        latitude=state.get("in_lat"),
        longitude=state.get("in_lon"),
        # 上级工单号 and 上级期限 belong to a 上级转办 only (the fields show for it alone).
        external_no=(state.get("in_external_no") or "") if forwarded else "",
        external_due_date=state.get("in_external_due") if forwarded else None,
    )


def _save(actor: Actor, rules: ClockRules) -> None:
    """Submit callback: accept the case, or keep the form and store the field errors."""
    now = local_now()
    draft = _draft(now)
    try:
        with get_sessions()() as session:
            case = accept_case(session, draft=draft, actor=actor, now=now, rules=rules)
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        if _accepted_at() is None:
            errors["accepted_at"] = "请填写受理日期和时间"
        st.session_state[f"{FORM}_errors"] = errors
        st.session_state.pop(f"{FORM}_saved", None)
        return
    clear_todo_badge()
    st.session_state.pop(f"{FORM}_errors", None)
    st.session_state[f"{FORM}_saved"] = {
        "id": case.id,
        "case_no": case.case_no,
        "deadline": case.deadline_at,
    }
    for key in KEYS:
        st.session_state.pop(key, None)


def _fmt_deadline(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d}（周{WEEKDAYS[moment.weekday()]}）{moment:%H:%M}"


def _saved_banner() -> None:
    saved = st.session_state.get(f"{FORM}_saved")
    if not saved:
        return
    st.success(f"已受理。办结期限：{_fmt_deadline(saved['deadline'])}。案件编号（可复制）：")
    st.code(saved["case_no"], language=None)
    case_link(saved["id"], f"打开案件 {saved['case_no']}")


def _preview(draft: CaseDraft, rules: ClockRules) -> None:
    """The deadline the case will get, shown before saving."""
    deadline = deadline_preview(draft, rules=rules)
    if deadline is None or draft.accepted_at is None:
        st.info("选择五件制类型（承诺件还须填写承诺日期）后，点「预览」即可看到办结期限。")
        return
    respond = response_due(draft.accepted_at, urgent=draft.urgent, rules=rules)
    st.info(
        f"按当前填写：办结期限 {_fmt_deadline(deadline)}；首次响应时限 {_fmt_deadline(respond)}。"
    )
    computed = deadline_preview(dataclasses.replace(draft, external_due_date=None), rules=rules)
    if computed is not None and deadline < computed:
        st.caption(f"上级期限早于按规定计算的期限（{_fmt_deadline(computed)}），以上级期限为准。")


def _hints(actor: Actor, draft: CaseDraft, now: dt.datetime) -> dict[int, str]:
    """重信 hints for the draft as a table; returns id → label for the link picker."""
    if not (draft.reporter_phone or draft.grid_cell_id or draft.description):
        return {}
    with get_sessions()() as session:
        found = repeat_candidates(
            session,
            phone=draft.reporter_phone,
            grid_cell_id=draft.grid_cell_id,
            category_id=draft.category_id,
            description=draft.description,
            now=now,
            actor=actor,
        )
    if not found:
        st.caption("未发现相关的近期案件（初信）。")
        return {}
    st.warning(f"发现 {len(found)} 件可能相关的案件，如为同一诉求请在下方关联为重信：")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "案件编号": c.case_no,
                    "受理时间": c.accepted_at.strftime("%Y-%m-%d"),
                    "状态": c.status_label,
                    "相关原因": "、".join(c.reasons),
                    "诉求内容": c.description[:60],
                }
                for c in found
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    return {c.id: f"{c.case_no}（{'、'.join(c.reasons)}）" for c in found}


def _channel_and_order(errors: dict[str, str], channel_labels: dict[str, str]) -> None:
    """来源渠道, and for a 上级转办 its 上级工单号 and 上级期限 (outside the form: shown at once)."""
    channel_col, number_col, due_col = st.columns(3)
    with channel_col:
        st.selectbox(
            "来源渠道",
            list(channel_labels),
            format_func=channel_labels.__getitem__,
            index=None,
            placeholder="请选择渠道",
            key="in_channel",
        )
        show_field_error(errors, "channel")
    if st.session_state.get("in_channel") != Channel.FORWARDED:
        return
    with number_col:
        # No max_chars: a pasted number cut short silently would be a wrong number; a too long
        # one is refused at the field instead.
        st.text_input(
            "上级工单号",
            placeholder=f"12345 工单号或街道转办单号（最多 {MAX_EXTERNAL_NO} 个字符）",
            key="in_external_no",
        )
        show_field_error(errors, "external_no")
    with due_col:
        st.date_input("上级期限（可选）", format="YYYY-MM-DD", key="in_external_due")
        show_field_error(errors, "external_due_date")


def render() -> None:
    """Draw the intake form."""
    actor = require_page(PageKey.INTAKE)
    rules = get_settings().clock
    now = local_now()
    _defaults(actor, now)
    with get_sessions()() as session:
        cells = grid_cell_choices(session, actor=actor)
        categories = category_choices(session)
        assignees = dict(assignable_users(session))
    st.title("民情受理")
    _saved_banner()
    errors = field_errors(FORM)
    if errors:
        st.error(f"有 {len(errors)} 处需要修改，请查看各栏下方的提示。未保存任何内容。")
    draft = _draft(now)
    channel_labels = {c.value: c.label for c in Channel}
    type_labels = {h.value: h.label for h in HandlingType}

    _channel_and_order(errors, channel_labels)
    with st.form("intake_form", clear_on_submit=False, enter_to_submit=False):
        st.selectbox(
            "类别",
            list(categories),
            format_func=categories.__getitem__,
            index=None,
            placeholder="请选择类别",
            key="in_category",
        )
        show_field_error(errors, "category_id")
        st.checkbox("匿名反映（不登记姓名，电话可不填）", key="in_anonymous")
        left, right = st.columns(2)
        with left:
            st.text_input("反映人姓名", max_chars=MAX_NAME, key="in_name")
            show_field_error(errors, "reporter_name")
        with right:
            st.text_input("联系电话", placeholder="13812345678 或 0731-84561234", key="in_phone")
            show_field_error(errors, "reporter_phone")
        st.selectbox(
            "所属网格",
            list(cells),
            format_func=cells.__getitem__,
            index=None,
            placeholder="请选择网格（可输入名称搜索）",
            key="in_cell",
        )
        show_field_error(errors, "grid_cell_id")
        left, right = st.columns(2)
        with left:
            st.number_input("纬度（可选）", format="%.6f", value=None, key="in_lat")
        with right:
            st.number_input("经度（可选）", format="%.6f", value=None, key="in_lon")
        show_field_error(errors, "point")
        # No max_chars: the browser dropped a longer paste; the save names the limit instead.
        st.text_area("诉求内容", height=120, key="in_description")
        show_field_error(errors, "description")
        left, right = st.columns(2)
        with left:
            st.selectbox(
                "五件制类型",
                list(type_labels),
                format_func=type_labels.__getitem__,
                index=None,
                placeholder="请选择办理类型",
                key="in_type",
            )
            show_field_error(errors, "handling_type")
        with right:
            st.date_input("承诺办结日期（承诺件必填）", format="YYYY-MM-DD", key="in_promised")
            show_field_error(errors, "promised_date")
        st.checkbox("紧急（重大信访、集体上访苗头等，当日办结）", key="in_urgent")
        left, right = st.columns(2)
        with left:
            st.date_input("受理日期", format="YYYY-MM-DD", key="in_date")
        with right:
            st.time_input("受理时间", step=60, key="in_time")
        show_field_error(errors, "accepted_at")
        st.selectbox(
            "承办人", list(assignees), format_func=assignees.__getitem__, key="in_assignee"
        )
        show_field_error(errors, "assignee_id")
        st.markdown("**办结期限与重信提示**")
        _preview(draft, rules)
        links = _hints(actor, draft, now)
        if st.session_state.get("in_repeat") not in links:
            st.session_state["in_repeat"] = None
        st.selectbox(
            "关联为重信（可选）",
            list(links),
            format_func=links.__getitem__,
            index=None,
            placeholder="不关联（初信）",
            key="in_repeat",
        )
        show_field_error(errors, "repeat_of_id")
        left, right = st.columns(2)
        with left:
            st.form_submit_button("预览期限与重信提示")
        with right:
            st.form_submit_button("保存受理", type="primary", on_click=_save, args=(actor, rules))


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
