"""帮扶记录: record assistance (受助人, 五彩连心卡 target group, kind, persons, value, helpers),
the latest records, and totals by kind and by group.

Typed values live in ``st.session_state`` (widget keys ``as_*``); a failed save shows each
Chinese message under its field and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from config import local_now
from db.queries import assistance as assistance_queries
from db.queries.territory import grid_cell_choices
from domain.kpis import Period
from domain.reference import AssistanceKind, TargetGroup
from domain.roles import Actor, PageKey
from domain.validation import AssistanceDraft
from services import assistance as assistance_service
from services.assistance import AlreadySaved
from services.cases import ValidationFailed
from ui.context import get_sessions, require_page
from ui.corrections import pick_record, save_correction, start_fields
from ui.forms import (
    FormRound,
    cell_with_households,
    field_errors,
    form_round,
    household_picker,
    keep_errors,
    label_of,
    next_round,
    refuse_repeat,
    saved_notice,
    show_field_error,
)

FORM = "assistance"
PREFIX = "as_"
FIX = "assistance_fix"
PERIODS = ("本年", "本季度", "本月")


def _group_label(group: TargetGroup) -> str:
    return f"{group.label}（{group.colour}卡）" if group.colour else group.label


def _defaults(rnd: FormRound, actor: Actor, now: dt.datetime) -> None:
    state = st.session_state
    state.setdefault(rnd.key("persons"), 1)
    state.setdefault(rnd.key("date"), now.date())
    state.setdefault(rnd.key("helpers"), actor.display_name)
    for key in ("beneficiary", "notes"):
        state.setdefault(rnd.key(key), "")


def _draft(rnd: FormRound, now: dt.datetime) -> AssistanceDraft:
    state = st.session_state
    day = state.get(rnd.key("date"))
    given_at = dt.datetime.combine(day, dt.time(12, 0)) if day else now
    if day == now.date():
        given_at = now
    value, persons = state.get(rnd.key("value")), state.get(rnd.key("persons"))
    return AssistanceDraft(
        grid_cell_id=state.get(rnd.key("cell")),
        given_at=given_at,
        beneficiary=state.get(rnd.key("beneficiary")) or "",
        target_group=state.get(rnd.key("group")),
        kind=state.get(rnd.key("kind")),
        persons_helped=None if persons is None else int(persons),
        helpers=state.get(rnd.key("helpers")) or "",
        value_yuan=None if value is None else float(value),
        household_id=state.get(rnd.key("household")),
        notes=state.get(rnd.key("notes")) or "",
    )


def _save(actor: Actor, rnd: FormRound) -> None:
    """Submit callback: save the record, or keep the form and store the field errors."""
    now = local_now()
    draft = _draft(rnd, now)
    try:
        with get_sessions()() as session:
            record = assistance_service.record_assistance(
                session, draft=draft, actor=actor, now=now, token=rnd.token
            )
    except AlreadySaved:
        refuse_repeat(rnd)
        return
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        if st.session_state.get(rnd.key("date")) is None:
            errors["given_at"] = "请填写帮扶日期"
        keep_errors(FORM, errors)
        return
    next_round(rnd, record.persons_helped)


def _saved_message() -> str:
    return f"帮扶记录已保存（受助 {st.session_state.get(f'{FORM}_saved')} 人次）。"


def _fields(
    errors: dict[str, str],
    households: dict[int, str],
    cell_id: int | None,
    key: Callable[[str], str],
) -> None:
    """The record's fields inside a form (new or 更正); ``key`` names each widget's state key."""
    groups = {g.value: _group_label(g) for g in TargetGroup}
    kinds = {k.value: k.label for k in AssistanceKind}
    left, right = st.columns(2)
    with left:
        household_picker("受助住户（可选）", households, cell_id=cell_id, key=key("household"))
        show_field_error(errors, "household_id")
        st.text_input("受助人（未选住户时必填）", max_chars=60, key=key("beneficiary"))
        show_field_error(errors, "beneficiary")
        st.selectbox(
            "帮扶对象类别（五彩连心卡）",
            list(groups),
            format_func=label_of(groups),
            index=None,
            key=key("group"),
            placeholder="请选择",
        )
        show_field_error(errors, "target_group")
        st.selectbox(
            "帮扶方式",
            list(kinds),
            format_func=label_of(kinds),
            index=None,
            key=key("kind"),
            placeholder="请选择",
        )
        show_field_error(errors, "kind")
    with right:
        st.number_input("受助人数", min_value=0, max_value=10_000, step=1, key=key("persons"))
        show_field_error(errors, "persons_helped")
        st.number_input(
            "金额或物品价值（元，可选）",
            min_value=0.0,
            step=10.0,
            format="%.2f",
            value=None,
            key=key("value"),
        )
        show_field_error(errors, "value_yuan")
        st.text_input("帮扶人", max_chars=200, key=key("helpers"))
        show_field_error(errors, "helpers")
        st.date_input("帮扶日期", format="YYYY-MM-DD", key=key("date"))
        show_field_error(errors, "given_at")
    st.text_area("备注", key=key("notes"))  # no max_chars: a longer paste was dropped
    show_field_error(errors, "notes")


def _form(actor: Actor, cells: dict[int, str], rnd: FormRound) -> None:
    errors = field_errors(FORM)
    if st.session_state.get(f"{FORM}_saved") is not None:
        st.success(_saved_message())
    cell_id, households = cell_with_households(
        "所属网格", cells, key=rnd.key("cell"), errors=errors, actor=actor
    )
    with st.form("assistance_form", clear_on_submit=False, enter_to_submit=False):
        _fields(errors, households, cell_id, rnd.key)
        saved_notice(FORM, _saved_message())
        st.form_submit_button(
            "保存帮扶", type="primary", on_click=_save, args=(actor, rnd), key=rnd.key("save")
        )
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


def _fix_key(record_id: int, name: str) -> str:
    return f"ac_{record_id}_{name}"


def _correct(actor: Actor, record_id: int, given_at: dt.datetime) -> None:
    """Submit callback of 更正: save the corrected record, or keep the messages."""
    state = st.session_state
    day = state.get(_fix_key(record_id, "date"))
    if day is None:
        keep_errors(FIX, {"given_at": "请填写帮扶日期"})
        return
    value, persons = (
        state.get(_fix_key(record_id, "value")),
        state.get(_fix_key(record_id, "persons")),
    )
    now = local_now()
    draft = AssistanceDraft(
        grid_cell_id=state.get(_fix_key(record_id, "cell")),
        # The same day keeps the stored time; another day is noon, as a new record's form does.
        given_at=given_at if day == given_at.date() else dt.datetime.combine(day, dt.time(12, 0)),
        beneficiary=state.get(_fix_key(record_id, "beneficiary")) or "",
        target_group=state.get(_fix_key(record_id, "group")),
        kind=state.get(_fix_key(record_id, "kind")),
        persons_helped=None if persons is None else int(persons),
        helpers=state.get(_fix_key(record_id, "helpers")) or "",
        value_yuan=None if value is None else float(value),
        household_id=state.get(_fix_key(record_id, "household")),
        notes=state.get(_fix_key(record_id, "notes")) or "",
    )

    def save() -> dict[str, object]:
        with get_sessions()() as session:
            return assistance_service.correct_assistance(
                session, record_id=record_id, draft=draft, actor=actor, now=now
            )

    save_correction(FIX, save)


def _correction(
    actor: Actor, rows: list[assistance_queries.AssistanceRow], cells: dict[int, str]
) -> None:
    """更正: pick a record of the list, change its fields and save (the change is recorded)."""
    errors = field_errors(FIX)
    with st.expander("更正帮扶记录", expanded=bool(errors) or f"{FIX}_saved" in st.session_state):
        labels = {
            r.id: f"{r.given_at:%Y-%m-%d} · {r.cell} · {r.beneficiary} · {r.kind}" for r in rows
        }
        record_id = pick_record(FIX, "选择要更正的帮扶记录", labels, key="ac_pick")
        if record_id is None:
            return
        with get_sessions()() as session:
            draft = assistance_queries.assistance_as_draft(
                session, record_id=record_id, actor=actor
            )
        if draft is None:
            st.info("该帮扶记录不在您的范围内。")
            return
        start_fields(
            {
                _fix_key(record_id, "cell"): draft.grid_cell_id,
                _fix_key(record_id, "household"): draft.household_id,
                _fix_key(record_id, "beneficiary"): draft.beneficiary,
                _fix_key(record_id, "group"): draft.target_group,
                _fix_key(record_id, "kind"): draft.kind,
                _fix_key(record_id, "persons"): draft.persons_helped,
                _fix_key(record_id, "value"): draft.value_yuan,
                _fix_key(record_id, "helpers"): draft.helpers,
                _fix_key(record_id, "date"): draft.given_at.date(),
                _fix_key(record_id, "notes"): draft.notes,
            }
        )
        show_field_error(errors, "record")
        cell_id, households = cell_with_households(
            "所属网格", cells, key=_fix_key(record_id, "cell"), errors=errors, actor=actor
        )
        with st.form("assistance_fix_form", clear_on_submit=False, enter_to_submit=False):
            _fields(errors, households, cell_id, lambda name: _fix_key(record_id, name))
            st.form_submit_button(
                "保存更正",
                on_click=_correct,
                args=(actor, record_id, draft.given_at),
                key=_fix_key(record_id, "save"),
            )
        if errors:
            st.warning("未保存：请按提示修改后重新提交。")


def _totals_table(rows: list[assistance_queries.AssistanceTotal], name: str, key: str) -> None:
    if not rows:
        st.info("本期暂无帮扶记录。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                name: [r.label for r in rows],
                "次数": [r.records for r in rows],
                "帮扶人次": [r.persons_helped for r in rows],
                "金额/价值（元）": [float(r.value_yuan) for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
        key=key,
        column_config={"金额/价值（元）": st.column_config.NumberColumn(format="%.2f")},
    )


def render() -> None:
    """Draw the assistance page."""
    actor = require_page(PageKey.ASSISTANCE)
    now = local_now()
    rnd = form_round(FORM, PREFIX)
    _defaults(rnd, actor, now)
    st.title("帮扶记录")
    st.caption(
        "五彩连心卡：橙 三无/空巢老人 · 绿 流动儿童 · 红 下岗失业 · 粉 单亲困难母亲 · 蓝 残疾人"
    )
    with get_sessions()() as session:
        cells = grid_cell_choices(session, actor=actor)
    if not cells:
        st.info("您没有负责的网格，无法记录帮扶。")
        return
    record, listing, totals = st.tabs(["记录帮扶", "帮扶列表", "统计"])
    with record:
        _form(actor, cells, rnd)
    with get_sessions()() as session:
        rows = assistance_queries.list_assistance(session, actor=actor, limit=200)
    with listing:
        if not rows:
            st.info("暂无帮扶记录。")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "日期": [r.given_at for r in rows],
                        "社区": [r.community for r in rows],
                        "网格": [r.cell for r in rows],
                        "受助人": [r.beneficiary for r in rows],
                        "对象类别": [r.target_group for r in rows],
                        "帮扶方式": [r.kind for r in rows],
                        "受助人数": [r.persons_helped for r in rows],
                        "金额/价值（元）": [
                            None if r.value_yuan is None else float(r.value_yuan) for r in rows
                        ],
                        "帮扶人": [r.helpers for r in rows],
                    }
                ),
                hide_index=True,
                width="stretch",
                key="assistance_list",
                column_config={"日期": st.column_config.DateColumn(format="YYYY-MM-DD")},
            )
            _correction(actor, rows, cells)
    with totals:
        choice = st.segmented_control("统计时段", PERIODS, default="本年", key="as_period")
        period = {
            "本月": Period.month_of(now.date()),
            "本季度": Period.quarter_of(now.date()),
        }.get(choice or "本年", Period.year_of(now.date()))
        with get_sessions()() as session:
            by_kind, by_group = assistance_queries.assistance_totals(
                session, actor=actor, period=period
            )
        left, right = st.columns(2)
        with left:
            st.subheader("按帮扶方式")
            _totals_table(by_kind, "帮扶方式", "totals_kind")
        with right:
            st.subheader("按对象类别")
            _totals_table(by_group, "对象类别", "totals_group")


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
