"""走访记录: record a home visit and the concerns found (each becomes a case in the same save),
the latest visits, and household coverage per grid cell this year (进百家门).

Typed values live in ``st.session_state`` (widget keys ``vi_*``); a failed save shows each
Chinese message under its field and writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries import visits as visit_queries
from db.queries.cases import category_choices
from db.queries.territory import grid_cell_choices
from domain.deadlines import ClockRules
from domain.kpis import Period
from domain.roles import Actor, PageKey
from domain.validation import CaseDraft, VisitDraft
from domain.workflow import HandlingType
from services import visits as visit_service
from services.cases import ValidationFailed
from services.visits import AlreadySaved, concern_field
from ui.context import get_sessions, get_settings, require_page
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
from ui.links import case_link

FORM = "visit"
PREFIX = "vi_"
FIX = "visit_fix"
CONCERN_SLOTS = 3


def _ck(index: int, name: str) -> str:
    return f"c{index}_{name}"


def _defaults(rnd: FormRound, actor: Actor, now: dt.datetime) -> None:
    state = st.session_state
    state.setdefault(rnd.key("visitors"), actor.display_name)
    state.setdefault(rnd.key("people"), 1)
    state.setdefault(rnd.key("date"), now.date())
    state.setdefault(rnd.key("time"), now.time().replace(second=0, microsecond=0))
    for key in ("building", "notes"):
        state.setdefault(rnd.key(key), "")
    for i in range(CONCERN_SLOTS):
        state.setdefault(rnd.key(_ck(i, "description")), "")
        state.setdefault(rnd.key(_ck(i, "name")), "")
        state.setdefault(rnd.key(_ck(i, "phone")), "")
        state.setdefault(rnd.key(_ck(i, "anonymous")), False)


def _visited_at(rnd: FormRound) -> dt.datetime | None:
    day, moment = st.session_state.get(rnd.key("date")), st.session_state.get(rnd.key("time"))
    return None if day is None or moment is None else dt.datetime.combine(day, moment)


def _drafts(rnd: FormRound, now: dt.datetime) -> tuple[VisitDraft, list[CaseDraft]]:
    state = st.session_state
    people = state.get(rnd.key("people"))
    visit = VisitDraft(
        grid_cell_id=state.get(rnd.key("cell")),
        visited_at=_visited_at(rnd) or now,
        visitors=state.get(rnd.key("visitors")) or "",
        people_met=None if people is None else int(people),
        household_id=state.get(rnd.key("household")),
        building=state.get(rnd.key("building")) or "",
        notes=state.get(rnd.key("notes")) or "",
    )
    concerns = [
        CaseDraft(
            category_id=state.get(rnd.key(_ck(i, "category"))),
            handling_type=state.get(rnd.key(_ck(i, "type"))),
            description=state.get(rnd.key(_ck(i, "description"))) or "",
            reporter_name=state.get(rnd.key(_ck(i, "name"))) or "",
            reporter_phone=state.get(rnd.key(_ck(i, "phone"))) or "",
            anonymous=bool(state.get(rnd.key(_ck(i, "anonymous")))),
            promised_date=state.get(rnd.key(_ck(i, "promised"))),
        )
        for i in range(CONCERN_SLOTS)
    ]
    return visit, concerns


def _save(actor: Actor, rules: ClockRules, rnd: FormRound) -> None:
    """Submit callback: save the visit with its concerns, or keep the form and its errors."""
    now = local_now()
    visit, concerns = _drafts(rnd, now)
    # Keep slot numbers in the error keys: only filled slots are sent, so map them back.
    filled = [i for i, c in enumerate(concerns) if c.description.strip() or c.category_id]
    try:
        with get_sessions()() as session:
            saved, cases = visit_service.record_visit(
                session,
                draft=visit,
                concerns=[concerns[i] for i in filled],
                actor=actor,
                now=now,
                rules=rules,
                token=rnd.token,
            )
    except AlreadySaved:
        refuse_repeat(rnd)
        return
    except ValidationFailed as exc:
        errors: dict[str, str] = {}
        for key, message in exc.errors.items():
            if key.startswith("concerns.") and key.count(".") == 2:
                _, index, name = key.split(".")
                key = concern_field(filled[int(index)], name)
            errors[key] = message
        if _visited_at(rnd) is None:
            errors["visited_at"] = "请填写走访日期和时间"
        keep_errors(FORM, errors)
        return
    next_round(rnd, {"visit_id": saved.id, "cases": [(c.id, c.case_no) for c in cases]})


def _saved_message() -> str:
    saved = st.session_state.get(f"{FORM}_saved")
    if saved and saved["cases"]:
        numbers = "、".join(no for _, no in saved["cases"])
        return f"走访已保存，发现的问题已受理为案件：{numbers}"
    return "走访已保存。"


def _saved_banner() -> None:
    saved = st.session_state.get(f"{FORM}_saved")
    if not saved:
        return
    st.success(_saved_message())
    for cid, no in saved["cases"]:
        case_link(cid, f"打开案件 {no}")  # the same tab, like every case link


def _form(actor: Actor, rules: ClockRules, cells: dict[int, str], rnd: FormRound) -> None:
    errors = field_errors(FORM)
    cell_id, households = cell_with_households(
        "走访网格", cells, key=rnd.key("cell"), errors=errors, actor=actor
    )
    with get_sessions()() as session:
        categories = category_choices(session)
    type_labels = {h.value: h.label for h in HandlingType}
    with st.form("visit_form", clear_on_submit=False, enter_to_submit=False):
        left, right = st.columns(2)
        with left:
            household_picker("走访住户", households, cell_id=cell_id, key=rnd.key("household"))
            show_field_error(errors, "household_id")
            st.text_input("或楼栋（未入户时填写）", max_chars=30, key=rnd.key("building"))
            show_field_error(errors, "building")
            st.text_input("走访人", max_chars=200, key=rnd.key("visitors"))
            show_field_error(errors, "visitors")
        with right:
            st.number_input("见面人数", min_value=0, max_value=100, step=1, key=rnd.key("people"))
            show_field_error(errors, "people_met")
            d, t = st.columns(2)
            d.date_input("走访日期", format="YYYY-MM-DD", key=rnd.key("date"))
            t.time_input("时间", key=rnd.key("time"), step=60 * 15)
            show_field_error(errors, "visited_at")
        st.text_area("走访记录", key=rnd.key("notes"))  # no max_chars: see 诉求内容 below
        show_field_error(errors, "notes")
        st.markdown("**发现的问题**（每条将受理为一件民情，渠道为「入户走访」；不填则只记录走访）")
        for i in range(CONCERN_SLOTS):
            with st.expander(
                f"问题 {i + 1}",
                expanded=i == 0 or any(k.startswith(f"concerns.{i}.") for k in errors),
            ):
                a, b = st.columns(2)
                a.selectbox(
                    "类别",
                    list(categories),
                    format_func=label_of(categories),
                    index=None,
                    key=rnd.key(_ck(i, "category")),
                    placeholder="请选择",
                )
                with a:
                    show_field_error(errors, concern_field(i, "category_id"))
                b.selectbox(
                    "五件制",
                    list(type_labels),
                    format_func=label_of(type_labels),
                    index=None,
                    key=rnd.key(_ck(i, "type")),
                    placeholder="请选择",
                )
                with b:
                    show_field_error(errors, concern_field(i, "handling_type"))
                # No max_chars: the browser would drop a longer paste silently; the service
                # refuses it naming the limit, and the text stays in the field.
                st.text_area("诉求内容", key=rnd.key(_ck(i, "description")))
                show_field_error(errors, concern_field(i, "description"))
                n, p, anon = st.columns([2, 2, 1])
                n.text_input("反映人", max_chars=40, key=rnd.key(_ck(i, "name")))
                with n:
                    show_field_error(errors, concern_field(i, "reporter_name"))
                p.text_input("联系电话", max_chars=20, key=rnd.key(_ck(i, "phone")))
                with p:
                    show_field_error(errors, concern_field(i, "reporter_phone"))
                anon.checkbox("匿名", key=rnd.key(_ck(i, "anonymous")))
                st.date_input(
                    "承诺办结日期（承诺件必填）",
                    value=None,
                    format="YYYY-MM-DD",
                    key=rnd.key(_ck(i, "promised")),
                )
                show_field_error(errors, concern_field(i, "promised_date"))  # fmt: skip
        show_field_error(errors, "concerns")
        saved_notice(FORM, _saved_message())
        st.form_submit_button(
            "保存走访",
            type="primary",
            on_click=_save,
            args=(actor, rules, rnd),
            key=rnd.key("save"),
        )
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


def _fix_key(visit_id: int, name: str) -> str:
    return f"vc_{visit_id}_{name}"


def _correct(actor: Actor, visit_id: int) -> None:
    """Submit callback of 更正: save the corrected visit, or keep the messages."""
    state = st.session_state
    day, moment = state.get(_fix_key(visit_id, "date")), state.get(_fix_key(visit_id, "time"))
    people = state.get(_fix_key(visit_id, "people"))
    now = local_now()
    draft = VisitDraft(
        grid_cell_id=state.get(_fix_key(visit_id, "cell")),
        visited_at=now if day is None or moment is None else dt.datetime.combine(day, moment),
        visitors=state.get(_fix_key(visit_id, "visitors")) or "",
        people_met=None if people is None else int(people),
        household_id=state.get(_fix_key(visit_id, "household")),
        building=state.get(_fix_key(visit_id, "building")) or "",
        notes=state.get(_fix_key(visit_id, "notes")) or "",
    )

    def save() -> dict[str, object]:
        with get_sessions()() as session:
            return visit_service.correct_visit(
                session, visit_id=visit_id, draft=draft, actor=actor, now=now
            )

    save_correction(FIX, save)


def _correction(actor: Actor, rows: list[visit_queries.VisitRow], cells: dict[int, str]) -> None:
    """更正: pick a visit of the list, change its fields and save (the change is recorded)."""
    errors = field_errors(FIX)
    with st.expander("更正走访记录", expanded=bool(errors) or f"{FIX}_saved" in st.session_state):
        labels = {r.id: f"{r.visited_at:%Y-%m-%d %H:%M} · {r.cell} · {r.place}" for r in rows}
        visit_id = pick_record(FIX, "选择要更正的走访", labels, key="vc_pick")
        if visit_id is None:
            return
        with get_sessions()() as session:
            draft = visit_queries.visit_as_draft(session, visit_id=visit_id, actor=actor)
        if draft is None:
            st.info("该走访不在您的范围内。")
            return
        start_fields(
            {
                _fix_key(visit_id, "cell"): draft.grid_cell_id,
                _fix_key(visit_id, "household"): draft.household_id,
                _fix_key(visit_id, "building"): draft.building,
                _fix_key(visit_id, "visitors"): draft.visitors,
                _fix_key(visit_id, "people"): draft.people_met,
                _fix_key(visit_id, "date"): draft.visited_at.date(),
                _fix_key(visit_id, "time"): draft.visited_at.time(),
                _fix_key(visit_id, "notes"): draft.notes,
            }
        )
        show_field_error(errors, "record")
        cell_id, households = cell_with_households(
            "走访网格", cells, key=_fix_key(visit_id, "cell"), errors=errors, actor=actor
        )
        with st.form("visit_fix_form", clear_on_submit=False, enter_to_submit=False):
            household_picker(
                "走访住户", households, cell_id=cell_id, key=_fix_key(visit_id, "household")
            )
            show_field_error(errors, "household_id")
            st.text_input(
                "或楼栋（未入户时填写）", max_chars=30, key=_fix_key(visit_id, "building")
            )
            show_field_error(errors, "building")
            st.text_input("走访人", max_chars=200, key=_fix_key(visit_id, "visitors"))
            show_field_error(errors, "visitors")
            st.number_input(
                "见面人数", min_value=0, max_value=100, step=1, key=_fix_key(visit_id, "people")
            )
            show_field_error(errors, "people_met")
            d, t = st.columns(2)
            d.date_input("走访日期", format="YYYY-MM-DD", key=_fix_key(visit_id, "date"))
            t.time_input("时间", key=_fix_key(visit_id, "time"), step=60 * 15)
            show_field_error(errors, "visited_at")
            st.text_area("走访记录", key=_fix_key(visit_id, "notes"))
            show_field_error(errors, "notes")
            st.caption("发现的问题已受理为案件，请在案件页办理；此处只更正走访本身。")
            st.form_submit_button(
                "保存更正", on_click=_correct, args=(actor, visit_id), key=f"vc_{visit_id}_save"
            )
        if errors:
            st.warning("未保存：请按提示修改后重新提交。")


def render() -> None:
    """Draw the visits page."""
    actor = require_page(PageKey.VISITS)
    settings = get_settings()
    now = local_now()
    rnd = form_round(FORM, PREFIX)
    _defaults(rnd, actor, now)
    st.title("走访记录")
    st.caption("一户一见面，一月一搜集，一月一汇报；每户每年至少走访一次（进百家门）。")
    with get_sessions()() as session:
        cells = grid_cell_choices(session, actor=actor)
    if not cells:
        st.info("您没有负责的网格，无法记录走访。")
        return
    record, listing, coverage = st.tabs(["记录走访", "走访列表", "覆盖率"])
    with record:
        _saved_banner()
        _form(actor, settings.clock, cells, rnd)
    year = Period.year_of(now.date())
    with get_sessions()() as session:
        rows = visit_queries.list_visits(session, actor=actor, limit=200)
        by_cell = visit_queries.visit_coverage_by_cell(session, actor=actor, period=year)
    with listing:
        if not rows:
            st.info("暂无走访记录。")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "走访时间": [r.visited_at for r in rows],
                        "社区": [r.community for r in rows],
                        "网格": [r.cell for r in rows],
                        "住户/楼栋": [r.place for r in rows],
                        "走访人": [r.visitors for r in rows],
                        "见面人数": [r.people_met for r in rows],
                        "发现问题": ["、".join(r.case_nos) for r in rows],
                        "走访记录": [r.notes for r in rows],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "走访时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
                },
                key="visit_list",
            )
            _correction(actor, rows, cells)
    with coverage:
        st.caption(f"{now.year} 年走访覆盖率 = 本年至少走访一次的户数 ÷ 户数")
        st.dataframe(
            pd.DataFrame(
                {
                    "社区": [c.community for c in by_cell],
                    "网格": [c.cell for c in by_cell],
                    "户数": [c.coverage.denominator for c in by_cell],
                    "已走访户数": [c.coverage.numerator for c in by_cell],
                    "覆盖率": [c.coverage.percent() for c in by_cell],
                    "走访次数": [c.visits for c in by_cell],
                }
            ),
            hide_index=True,
            width="stretch",
            key="visit_coverage",
        )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
