"""案件详情: every field (personal data masked per role), the timeline, and the allowed actions.

The case comes from ``?id=`` (or a case number typed here). Each action is a small form whose
submit callback carries the version the user saw, so a concurrent change is reported, not
overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.cases import (
    CaseDetail,
    CaseView,
    assignable_users,
    category_choices,
    find_case_id,
)
from db.queries.escalations import outside_unit_choices
from db.queries.territory import grid_cell_choices
from domain.deadlines import ClockRules
from domain.roles import Actor, PageKey
from domain.validation import CORRECTABLE_FIELDS, MAX_DESCRIPTION, MAX_NOTE
from domain.workflow import (
    Action,
    CaseStatus,
    Channel,
    Level,
    NotifyMethod,
    Satisfaction,
    TransitionError,
    action_form,
)
from services.cases import (
    CaseError,
    CaseNotFound,
    StaleCase,
    ValidationFailed,
    apply_action,
    open_case,
)
from ui.context import get_sessions, get_settings, require_page
from ui.forms import show_field_error
from ui.links import deliberation_link
from ui.text import plain_frame
from ui.todo_badge import clear_todo_badge

TITLE = "案件详情"

NOTE_LABELS: dict[Action, str] = {
    Action.REMIND: "催办内容",
    Action.NOTE: "备注内容",
    Action.CORRECT: "更正原因",
    Action.FOLLOW_UP: "回访记录（不满意须写明原因）",
}
INPUT_LABELS: dict[str, str] = {
    "note": "说明（可选）",
    "materials": "需补充的材料清单（告知居民）",
    "level": "层级",
    "finish_level": "化解层级（上报件默认为上报层级）",
    "department": "部门名称（上级部门必填，如 区住建局）",
    "expected_date": "预计答复日期",
    "answer": "回单：办理情况",
    "answered_on": "回单日期",
    "answered_by": "回单经办人（可选）",
    "outside_unit_id": "外部单位（名录）",
    "reference_no": "外部单位编号（可选）",
    "reason": "退回理由（书面告知居民）",
    "result": "办理结果",
    "method": "反馈方式",
    "satisfaction": "满意度",
    "target_case_no": "合并到的案件编号",
    "assignee_id": "新承办人",
    "value": "更正为",
}


def _time(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def _fields(view: CaseView) -> list[tuple[str, str]]:
    """The case's fields as (label, text) pairs; only non-empty optional ones are listed."""
    flag = "（逾期）" if view.is_overdue else "（临期）" if view.is_due_soon else ""
    rows = [
        ("案件编号", view.case_no),
        ("状态", view.status_label),
        ("五件制", view.handling_label + ("，紧急" if view.is_urgent else "")),
        ("来源渠道", view.channel_label),
        ("类别", view.category),
        ("社区 · 网格", f"{view.community} · {view.grid_cell}"),
        ("反映人", view.reporter_name or "—"),
        ("联系电话", view.reporter_phone or "—"),
        ("首问责任人", view.first_handler),
        ("承办人", view.assignee or "—"),
        ("受理时间", _time(view.accepted_at)),
        ("办结期限", _time(view.deadline_at) + flag),
        ("响应时限", _time(view.response_due_at)),
        ("首次响应", _time(view.first_response_at)),
    ]
    optional = [
        ("上级工单号", view.external_no),
        ("上级期限", view.external_due_at),
        ("承诺办结日期", view.promised_date),
        ("补办暂停自", view.paused_at),
        ("上报至", view.escalated_to),
        ("外部单位编号", view.escalation_ref),
        ("上级预计答复", view.escalation_due_at),
        ("退回理由", view.return_reason),
        ("办结时间", view.finished_at),
        ("办理时长（工作日）", view.handling_working_days),
        ("化解层级", view.resolved_level),
        ("办理结果", view.result),
        ("反馈时间", view.notified_at),
        ("反馈方式", view.notify_method),
        ("回访时间", view.followed_up_at),
        ("满意度", view.satisfaction),
        ("重信，关联原案件", view.repeat_of),
    ]
    for label, value in optional:
        if value is None or value == "":
            continue
        if isinstance(value, dt.date):
            rows.append((label, _time(value)))
        else:
            rows.append((label, str(value)))
    if view.latitude is not None and view.longitude is not None:
        rows.append(("位置", f"{view.latitude:.6f}, {view.longitude:.6f}"))
    return rows


def _key(case_id: int, action: Action, name: str) -> str:
    return f"act_{case_id}_{action.value}_{name}"


def _collect(case_id: int, action: Action) -> dict[str, Any]:
    state = st.session_state
    fields = {name: state.get(_key(case_id, action, name)) for name in action_form(action).inputs}
    if action is Action.CORRECT:
        fields["field"] = state.get(f"act_{case_id}_correct_field")
        fields["value"] = state.get(_key(case_id, action, f"value_{fields['field']}"))
    return fields


def _run_action(
    case_id: int, version: int, action: Action, actor: Actor, rules: ClockRules
) -> None:
    """Submit callback: apply the action at the version the user saw; keep input on refusal."""
    fields = _collect(case_id, action)
    state = st.session_state
    state.pop(f"case_errors_{case_id}", None)
    try:
        with get_sessions()() as session:
            apply_action(
                session,
                case_id=case_id,
                expected_version=version,
                action=action,
                actor=actor,
                now=local_now(),
                rules=rules,
                **fields,
            )
    except ValidationFailed as exc:
        state[f"case_errors_{case_id}"] = exc.errors
        state[f"case_flash_{case_id}"] = ("error", f"未保存：{exc}")
        return
    except StaleCase as exc:
        state[f"case_flash_{case_id}"] = ("warning", str(exc))
        typed = {k: v for k, v in fields.items() if isinstance(v, str) and v.strip()}
        state[f"case_kept_{case_id}"] = (action.value, typed)
        return
    except (TransitionError, CaseError) as exc:
        state[f"case_flash_{case_id}"] = ("error", str(exc))
        return
    clear_todo_badge()
    state[f"case_flash_{case_id}"] = ("success", f"已完成「{action.label}」。")
    for key in [k for k in state if str(k).startswith(f"act_{case_id}_")]:
        del state[key]


def _flash(case_id: int) -> None:
    flash = st.session_state.pop(f"case_flash_{case_id}", None)
    if flash is None:
        return
    kind, message = flash
    {"success": st.success, "warning": st.warning, "error": st.error}[kind](message)


def _input(
    view: CaseView,
    action: Action,
    name: str,
    errors: dict[str, str],
    choices: dict[str, dict[Any, str]],
) -> None:
    """One input of an action form."""
    case_id = view.id
    key = _key(case_id, action, name)
    label = NOTE_LABELS.get(action, INPUT_LABELS["note"]) if name == "note" else INPUT_LABELS[name]
    if action is Action.HAND_BACK and name == "reason":
        label = "退回社区的理由（社区可见）"
    if action is Action.ESCALATE_TO_SUBDISTRICT and name == "expected_date":
        label = "街道预计答复日期"
    if action is Action.ESCALATE and name == "expected_date":
        label = "外部单位办理期限"
    if name in ("note", "materials", "answer", "reason"):
        st.text_area(label, max_chars=MAX_NOTE, height=80, key=key)
    elif name == "result":
        st.text_area(label, max_chars=MAX_DESCRIPTION, height=100, key=key)
    elif name == "level" and action is Action.ESCALATE:
        levels = [Level.DISTRICT.value, Level.HIGHER_DEPARTMENT.value]
        st.selectbox(
            "层级（未在名录中时填写）", levels, format_func=lambda v: Level(v).label,
            index=None, placeholder="请选择", key=key,
        )  # fmt: skip
    elif name == "outside_unit_id":
        units = choices.get("outside_unit_id", {})
        st.selectbox(
            label, list(units), format_func=units.__getitem__, index=None,
            placeholder="请选择外部单位", key=key,
        )  # fmt: skip
    elif name in ("reference_no", "answered_by"):
        st.text_input(label, max_chars=40, key=key)
    elif name == "answered_on":
        st.date_input(label, value=None, format="YYYY-MM-DD", key=key)
    elif name == "level" and view.status == CaseStatus.AT_SUBDISTRICT:
        st.caption("化解层级：街道（由街道办结）")
    elif name == "level":
        # No silent 社区: an escalated case defaults to where it went, any other is asked.
        levels = [lv.value for lv in Level]
        default = view.escalated_level
        st.selectbox(
            INPUT_LABELS["finish_level"],
            levels,
            format_func=lambda v: Level(v).label,
            index=levels.index(default.value) if default is not None else None,
            placeholder="请选择化解层级",
            key=key,
        )
    elif name in ("department", "target_case_no"):
        st.text_input(label, max_chars=50, key=key)
    elif name == "expected_date":
        st.date_input(label, value=None, format="YYYY-MM-DD", key=key)
    elif name == "method":
        st.selectbox(
            label,
            [m.value for m in NotifyMethod],
            format_func=lambda v: NotifyMethod(v).label,
            key=key,
        )
    elif name == "satisfaction":
        st.selectbox(
            label,
            [s.value for s in Satisfaction],
            format_func=lambda v: Satisfaction(v).label,
            key=key,
        )
    elif name == "assignee_id":
        people = choices["assignee_id"]
        st.selectbox(
            label,
            list(people),
            format_func=people.__getitem__,
            index=None,
            key=key,
            placeholder="请选择",
        )
    show_field_error(errors, name)


def _correct_value(
    case_id: int, field: str, errors: dict[str, str], choices: dict[str, dict[Any, str]]
) -> None:
    key = _key(case_id, Action.CORRECT, f"value_{field}")
    label = f"{CORRECTABLE_FIELDS[field]}更正为"
    if field in ("channel", "category_id", "grid_cell_id"):
        options = choices[field]
        st.selectbox(
            label,
            list(options),
            format_func=options.__getitem__,
            index=None,
            key=key,
            placeholder="请选择",
        )
    elif field == "description":
        st.text_area(label, max_chars=MAX_DESCRIPTION, key=key)
    else:
        st.text_input(label, max_chars=40, key=key)
    show_field_error(errors, "value")


def _kept_after_conflict(case_id: int, offered: dict[str, str]) -> None:
    """After a conflict that took the action away, show what the user typed, as typed."""
    kept = st.session_state.pop(f"case_kept_{case_id}", None)
    if kept is None or kept[0] in offered:
        return  # the action's form is still there, with the typed values in it
    for name, text in kept[1].items():
        st.caption(f"您填写的{INPUT_LABELS.get(name, name)}（未保存，可复制）：")
        st.code(text, language=None, wrap_lines=True)


def _actions(detail: CaseDetail, actor: Actor, rules: ClockRules) -> None:
    """The action picker and the form of the chosen action."""
    view = detail.case
    if not detail.actions:
        st.caption("当前状态下您没有可执行的操作。")
        return
    labels = {a.value: a.label for a in detail.actions}
    _kept_after_conflict(view.id, labels)
    choice_key = f"act_choice_{view.id}"
    if st.session_state.get(choice_key) not in labels:
        st.session_state[choice_key] = None
    chosen = st.selectbox(
        "选择操作",
        list(labels),
        format_func=labels.__getitem__,
        index=None,
        placeholder="请选择要执行的操作",
        key=choice_key,
    )
    if chosen is None:
        return
    action = Action(chosen)
    errors = dict(st.session_state.get(f"case_errors_{view.id}", {}))
    choices: dict[str, dict[Any, str]] = {}
    with get_sessions()() as session:
        if action is Action.ESCALATE:
            choices["outside_unit_id"] = outside_unit_choices(session)
        if action is Action.REASSIGN:
            choices["assignee_id"] = {
                uid: name for uid, name in assignable_users(session) if uid != view.assignee_id
            }
        if action is Action.CORRECT:
            choices["channel"] = {c.value: c.label for c in Channel}
            choices["category_id"] = category_choices(session)
            choices["grid_cell_id"] = grid_cell_choices(session, actor=actor)
    if action is Action.CORRECT:
        st.selectbox(
            "更正字段",
            list(CORRECTABLE_FIELDS),
            format_func=CORRECTABLE_FIELDS.__getitem__,
            key=f"act_{view.id}_correct_field",
        )
        show_field_error(errors, "field")
    with st.form(f"act_form_{view.id}_{action.value}", enter_to_submit=False):
        st.markdown(f"**{action.label}**")
        for name in action_form(action).inputs:
            if name == "field":
                continue
            if name == "value":
                field = st.session_state.get(f"act_{view.id}_correct_field") or "description"
                _correct_value(view.id, field, errors, choices)
                continue
            _input(view, action, name, errors, choices)
        st.form_submit_button(
            f"确认{action.label}",
            type="primary",
            on_click=_run_action,
            args=(view.id, view.version, action, actor, rules),
        )


def _case_id(actor: Actor) -> int | None:
    raw = st.query_params.get("id")
    if raw and str(raw).isdigit():
        return int(raw)
    number = st.text_input("输入案件编号打开案件", placeholder="MQ-2026-000123", key="case_open_no")
    if not number:
        st.caption("也可以在「民情台账」或「我的待办」中点选案件。")
        return None
    with get_sessions()() as session:
        found = find_case_id(session, case_no=number, actor=actor)
    if found is None:
        st.error("未找到该编号的案件，或该案件不在您的网格范围内。")
        return None
    st.query_params["id"] = str(found)
    return found


def render() -> None:
    """Draw one case: its fields, the timeline and the action forms."""
    actor = require_page(PageKey.CASE)
    rules = get_settings().clock
    st.title(TITLE)
    case_id = _case_id(actor)
    if case_id is None:
        return
    reveal = False
    if actor.may_reveal_personal_data:
        reveal = st.toggle(
            "显示反映人完整姓名和电话（查看将记入审计日志）", key=f"reveal_{case_id}"
        )
    try:
        with get_sessions()() as session:
            detail = open_case(
                session, case_id=case_id, actor=actor, now=local_now(), rules=rules,
                reveal_personal=reveal,
            )  # fmt: skip
    except CaseNotFound:
        st.error("案件不存在。")
        return
    except CaseError as exc:
        st.error(str(exc))
        return
    view = detail.case
    _flash(view.id)
    st.subheader(f"{view.case_no} · {view.status_label}")
    if view.is_overdue:
        st.error("该案件已逾期。")
    elif view.is_due_soon:
        st.warning("该案件即将到期（一个工作日内）。")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**诉求内容**")
        st.text(view.description)
        st.table(
            plain_frame(pd.DataFrame(_fields(view), columns=["项目", "内容"]).set_index("项目"))
        )
    with right:
        st.markdown("**办理**")
        _actions(detail, actor, rules)
        deliberation_link(actor, view.id)
    st.markdown("**流转记录**")
    st.table(
        plain_frame(
            pd.DataFrame(
                [
                    {
                        "时间": e.at.strftime("%Y-%m-%d %H:%M"),
                        "操作人": e.actor_name,
                        "操作": e.action_label,
                        "状态": f"{e.from_label} → {e.to_label}"
                        if e.from_label and e.from_label != e.to_label
                        else e.to_label,
                        "说明": e.note,
                        "详情": e.details,
                    }
                    for e in detail.timeline
                ]
            )
        )
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
