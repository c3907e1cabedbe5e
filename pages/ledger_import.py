"""台账导入: upload an .xlsx/.csv ledger, map its columns, preview good and refused rows, import.

The page only draws: reading and importing are ``services.ledger_import``, the preview and
the history ``db.queries.imports``, parsing ``domain.ledger_import``.
"""

from __future__ import annotations

import time
from functools import partial

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from config import local_now
from db.queries.cases import assignable_users
from db.queries.imports import (
    ImportJobRow,
    ImportPreview,
    import_batches,
    import_job,
    import_jobs,
    preview_import,
)
from db.queries.territory import community_choices
from domain.ledger_import import (
    Field,
    ImportDefaults,
    LedgerFile,
    clean_text,
    column_letter,
    guess_mapping,
)
from domain.roles import Actor, PageKey
from domain.workflow import Channel, is_open
from services.import_jobs import launch_job, resume_job
from services.ledger_fixes import (
    RESULT_COLUMN,
    ROW_COLUMN,
    Fixes,
    apply_fixes,
    fix_table,
    fixes_from_table,
    mark_corrected,
    recheck_summary,
    refused_workbook,
    shown_columns,
)
from services.ledger_import import (
    LedgerFileError,
    OpenRows,
    overdue_at_once,
    preview_tables,
    read_ledgers,
)
from ui.context import get_sessions, require_page

DEFAULT_CHANNELS = (Channel.LETTER_VISIT, Channel.FORWARDED)
SHOWN_GOOD_ROWS = 200
STATE = "ledger_import"


def _ledgers(upload: UploadedFile) -> list[LedgerFile] | None:
    """Every ledger sheet of the uploaded file, read once per upload (kept in the session)."""
    cached = st.session_state.get(f"{STATE}_file")
    if cached is not None and cached[0] == upload.file_id:
        return list(cached[1])
    try:
        ledgers = read_ledgers(upload.getvalue(), upload.name)
    except LedgerFileError as exc:
        st.error(str(exc))
        return None
    st.session_state[f"{STATE}_file"] = (upload.file_id, ledgers)
    return ledgers


def _column_title(ledger: LedgerFile, index: int) -> str:
    """「C 列 · 反映人·联系电话」, or 「C 列（无列名）」."""
    header = ledger.headers[index] if index < len(ledger.headers) else ""
    return (
        f"{column_letter(index)} 列 · {header}"
        if header
        else f"{column_letter(index)} 列（无列名）"
    )


def _first_values(ledger: LedgerFile, index: int, count: int = 3) -> str:
    values = [clean_text(row[index]) for _, row in ledger.rows if index < len(row)]
    shown = [v for v in values if v][:count]
    return "、".join(v[:12] for v in shown) if shown else "（前几行为空）"


def _mapping_step(ledger: LedgerFile, key: str) -> dict[int, Field]:
    """One selector per column, named or not: the guessed field preselected, else 「不导入」."""
    guessed = guess_mapping(ledger.headers)
    options: list[Field | None] = [None, *Field]
    width = max([len(ledger.headers), *(len(row) for _, row in ledger.rows[:50])])
    used = [i for i in range(width) if i < len(ledger.headers) and ledger.headers[i]]
    used += [
        i for i in range(width) if i not in used and _first_values(ledger, i, 1) != "（前几行为空）"
    ]
    unknown = [_column_title(ledger, i) for i in sorted(used) if i not in guessed]
    mapping: dict[int, Field] = {}
    title = "列对应" + (f"（有 {len(unknown)} 列未识别，可在此指定）" if unknown else "")
    with st.expander(title, expanded=bool(unknown)):
        columns = st.columns(4)
        for position, index in enumerate(sorted(used)):
            with columns[position % 4]:
                choice = st.selectbox(
                    _column_title(ledger, index),
                    options,
                    index=options.index(guessed.get(index)),
                    format_func=lambda f: "不导入" if f is None else f.label,
                    key=f"{key}_col_{index}",
                    help=f"前几行：{_first_values(ledger, index)}",
                )
                st.caption(_first_values(ledger, index))
            if choice is not None:
                mapping[index] = choice
    return mapping


def _open_rows_choice(previews: list[ImportPreview]) -> OpenRows:
    """Warn how many open rows would be 逾期 at once; ask what becomes of the open rows."""
    rows = [r for p in previews for r in p.new_rows]
    still_open = sum(is_open(r.status) for r in rows)
    if not still_open:
        return OpenRows()
    late = overdue_at_once(rows, now=local_now())
    text = f"台账中有 {still_open:,} 行仍未办结"
    archive = False
    if late:
        st.warning(f"{text}，其中 {late:,} 行已过办结期限，导入后将立即计为逾期件。")
        archive = st.radio(
            "已过期限的未办结行",
            [False, True],
            format_func=lambda a: (
                "归档为「历史未结」（不计在办、不计逾期，仍计入受理件数）"
                if a
                else "保持未办结（计为逾期件）"
            ),
            key=f"{STATE}_archive_overdue",
        )
    else:
        st.info(f"{text}。")
    with get_sessions()() as session:
        people = dict(assignable_users(session))
    chosen: int | None = st.selectbox(
        "未办结行的承办人",
        [None, *people],
        format_func=lambda uid: "暂不指派（不进入任何人的待办）" if uid is None else people[uid],
        key=f"{STATE}_open_assignee",
    )
    return OpenRows(assignee_id=chosen, archive_overdue=bool(archive))


def _all_fixes(file_id: str) -> dict[str, Fixes]:
    """The clerk's corrections of this upload's refused rows, by sheet (kept in the session)."""
    stored = st.session_state.get(f"{STATE}_fixes")
    if stored is None or stored[0] != file_id:
        stored = (file_id, {})
        st.session_state[f"{STATE}_fixes"] = stored
    fixes: dict[str, Fixes] = stored[1]
    return fixes


def _refused_editor(original: LedgerFile, preview: ImportPreview, fixes: dict[str, Fixes]) -> None:
    """The refused rows in a data editor: cells corrected in place, 「重新检查」 parses them again."""
    mine = fixes.get(original.source_name, {})
    columns = shown_columns(original, preview.mapping)
    table = fix_table(original, preview, mine, columns)
    if not table:
        return
    st.subheader("不能导入的行")
    st.caption(
        "可在表中直接改正单元格，再点「重新检查」：按与文件相同的规则检查，改好的行随有效行一起导入。"
    )
    accepted, still = recheck_summary(preview, sorted(mine))
    if accepted:
        st.success(f"已改正，现可导入：第 {'、'.join(map(str, accepted))} 行")
    if still:
        st.warning(f"改正后仍不能导入：第 {'、'.join(map(str, still))} 行（原因见「检查结果」列）")
    done = st.session_state.get(f"{STATE}_fix_round", 0)
    with st.form(key=f"{STATE}_fix_form_{original.source_name}", border=False):
        edited = st.data_editor(
            pd.DataFrame(table),
            key=f"{STATE}_fix_{original.source_name}_{done}",
            hide_index=True,
            num_rows="fixed",
            disabled=[ROW_COLUMN, RESULT_COLUMN],
            column_config={
                ROW_COLUMN: st.column_config.NumberColumn(width="small", pinned=True),
                RESULT_COLUMN: st.column_config.TextColumn(width="large"),
            },
            width="stretch",
        )
        recheck = st.form_submit_button("重新检查")
    if recheck:
        rows = edited.to_dict("records")
        fixes[original.source_name] = fixes_from_table(original, columns, rows, mine)
        st.session_state[f"{STATE}_fix_round"] = done + 1  # a fresh editor shows the new table
        st.rerun()


def _show_preview(original: LedgerFile, preview: ImportPreview, fixes: dict[str, Fixes]) -> None:
    good, _ = preview_tables(preview)
    a, b, c, d = st.columns(4)
    a.metric("可导入", len(preview.new_rows))
    b.metric("此前已导入（跳过）", len(preview.already_imported))
    c.metric("不能导入", len(preview.refused))
    d.metric("空行", len(preview.blank_rows))
    _refused_editor(original, preview, fixes)
    if good:
        st.subheader(
            "将导入的行" + (f"（前 {SHOWN_GOOD_ROWS} 行）" if len(good) > SHOWN_GOOD_ROWS else "")
        )
        st.dataframe(pd.DataFrame(good[:SHOWN_GOOD_ROWS]), hide_index=True, width="stretch")


def render() -> None:
    """The import page."""
    actor = require_page(PageKey.IMPORT)
    st.title("台账导入")
    st.caption(
        "导入以前用 Excel 记录的民情台账：每行成为一件案件，编号与受理登记连续；同一文件重复导入不会重复建案。"
    )
    busy = _jobs_section(actor)
    # Every type is let through: a wrong one is refused below in Chinese, not by the uploader.
    upload = st.file_uploader(
        "选择台账文件（.xlsx、.xls、.ods 或 .csv，GBK 或 UTF-8 编码均可）", key=f"{STATE}_upload"
    )
    if upload is None:
        with get_sessions()() as session:
            history = import_batches(session, actor=actor, now=local_now())
        if history:
            st.subheader("最近的导入")
            st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
        return
    ledgers = _ledgers(upload)
    if ledgers is None:
        return
    if len(ledgers) > 1:
        names = [ledger.sheet for ledger in ledgers]
        chosen = st.multiselect(
            "导入哪些工作表（填表说明等说明页已略过）", names, default=names, key=f"{STATE}_sheets"
        )
        ledgers = [ledger for ledger in ledgers if ledger.sheet in chosen]
        if not ledgers:
            st.warning("请至少选择一个工作表。")
            return
    first = ledgers[0]
    st.caption(
        "；".join(
            f"「{ledger.source_name}」：表头在第 {ledger.header_row} 行，表头下共 {len(ledger.rows)} 行"
            for ledger in ledgers
        )
    )
    mapping = _mapping_step(first, key=f"{STATE}_{upload.file_id}")
    with get_sessions()() as session:
        communities = community_choices(session, actor=actor)
    community_id: int | None = actor.community_id
    if actor.community_id is None and len(communities) > 1:
        community_id = st.selectbox(
            "台账所属社区（网格名在各社区重复时据此区分；台账有「所属社区」列时以该列为准）",
            [None, *communities],
            format_func=lambda c: (
                "不指定（按网格编号或「所属社区」列）" if c is None else communities[c]
            ),
            key=f"{STATE}_community",
        )
    channel = st.selectbox(
        "文件中没有渠道时，按此渠道导入",
        DEFAULT_CHANNELS,
        format_func=lambda c: c.label,
        key=f"{STATE}_channel",
    )
    fixes = _all_fixes(upload.file_id)
    corrected = [apply_fixes(ledger, fixes.get(ledger.source_name, {})) for ledger in ledgers]
    with get_sessions()() as session:
        previews = [
            preview_import(
                session,
                ledger=ledger,
                today=local_now().date(),
                actor=actor,
                mapping=mapping,
                defaults=ImportDefaults(channel=channel),
                community_id=community_id,
            )
            for ledger in corrected
        ]
    previews = [mark_corrected(p, fixes.get(p.source_name, {}), mapping) for p in previews]
    for problem in previews[0].problems:
        st.error(problem)
    if previews[0].problems:
        return
    new_rows = sum(len(p.new_rows) for p in previews)
    for ledger, preview in zip(ledgers, previews, strict=True):
        if len(previews) > 1:
            st.subheader(f"工作表「{ledger.sheet}」")
        _show_preview(ledger, preview, fixes)
    refused = [(c, p) for c, p in zip(corrected, previews, strict=True) if p.refused]
    if refused:
        st.download_button(
            "下载不能导入的行（.xlsx：改好后可单独导入，已导入的行不会重复）",
            partial(refused_workbook, refused, mapping),  # written when clicked, not every run
            file_name=f"{upload.name.rsplit('.', 1)[0]}-不能导入的行.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{STATE}_refused_download",
            on_click="ignore",
        )
    open_rows = _open_rows_choice(previews)
    left, right = st.columns(2)
    go = left.button(
        f"导入全部有效行（{new_rows} 行）",
        type="primary",
        disabled=not new_rows or busy,
        key=f"{STATE}_go",
    )
    if right.button("不导入", key=f"{STATE}_cancel"):
        st.session_state.pop(f"{STATE}_file", None)
        st.info("未导入任何数据。")
        return
    if not go:
        return
    parts = [(ledger.source_name, p.new_rows) for ledger, p in zip(ledgers, previews, strict=True)]
    job_id, _ = launch_job(
        get_sessions(),
        parts=[(name, rows) for name, rows in parts if rows],
        actor=actor,
        now=local_now(),
        clock=local_now,
        open_rows=open_rows,
        refused=sum(len(p.refused) for p in previews),
    )
    _follow(actor, job_id)


# --- the import as a job: it runs in the server's background, shown to whoever opens the page


PROGRESS_EVERY = 2.0
"""Seconds between progress refreshes of a running import."""


def _progress_text(job: ImportJobRow) -> str:
    return (
        f"「{job.source_name}」（{job.created_by}）已处理 {job.rows_done:,} / {job.rows_total:,} 行，"
        f"已导入 {job.imported:,} 件"
    )


def _done_message(job: ImportJobRow) -> None:
    st.success(
        f"已导入 {job.imported:,} 件（批次 {job.batch}）"
        + (f"，{job.skipped:,} 行此前已导入，已跳过" if job.skipped else "")
    )


def _follow(actor: Actor, job_id: int) -> None:
    """Follow the job just started until it ends (leaving the page does not stop it)."""
    bar = st.progress(0.0, text="正在导入…（离开本页或关闭浏览器不会中断导入）")
    while True:
        with get_sessions()() as session:
            job = import_job(session, job_id, actor=actor, now=local_now())
        if job is None:
            return
        bar.progress(job.rows_done / max(job.rows_total, 1), text=_progress_text(job))
        if not job.active:
            break
        time.sleep(0.3)
    if job.status == "已完成":
        bar.progress(1.0, text="导入完成")
        _done_message(job)
    else:
        st.error(
            f"导入{job.status}：{job.error or '已完成的部分已保存'}，可在本页上方「继续导入」。"
        )


def _jobs_section(actor: Actor) -> bool:
    """Running imports of the unit with their progress, unfinished ones with 「继续导入」.

    True while an import runs (the import button waits for it).
    """
    with get_sessions()() as session:
        jobs = import_jobs(session, actor=actor, now=local_now())
    active = [job for job in jobs if job.active]
    if active:
        st.fragment(_running, run_every=PROGRESS_EVERY)(actor)
    for job in jobs:
        if not job.resumable:
            continue
        with st.container(border=True):
            st.warning(
                f"「{job.source_name}」（{job.created_by}，{job.created_at:%Y-%m-%d %H:%M}）"
                f"导入{job.status}：已处理 {job.rows_done:,} / {job.rows_total:,} 行，"
                f"已导入 {job.imported:,} 件，其余 {job.rows_total - job.rows_done:,} 行尚未导入。"
            )
            if st.button("继续导入", key=f"{STATE}_resume_{job.id}"):
                thread = resume_job(get_sessions(), job.id, actor=actor, clock=local_now)
                if thread is None:
                    st.info("这次导入已在进行中。")
                else:
                    _follow(actor, job.id)
    return bool(active)


def _running(actor: Actor) -> None:
    """The running imports' progress, refreshed every few seconds."""
    with get_sessions()() as session:
        jobs = [j for j in import_jobs(session, actor=actor, now=local_now()) if j.active]
    if not jobs:
        st.rerun()  # finished meanwhile: redraw the page (history, import button)
    st.subheader("正在进行的导入")
    for job in jobs:
        st.progress(job.rows_done / max(job.rows_total, 1), text=_progress_text(job))
    st.caption("导入在服务器上运行，离开本页或关闭浏览器不会中断。")


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
