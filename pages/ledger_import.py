"""台账导入: upload an .xlsx/.csv ledger, map its columns, preview good and refused rows, import.

The page only draws: reading and importing are ``services.ledger_import``, the preview and
the history ``db.queries.imports``, parsing ``domain.ledger_import``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from config import local_now
from db.queries.imports import ImportPreview, import_batches, preview_import
from domain.ledger_import import Field, ImportDefaults, LedgerFile, guess_mapping
from domain.roles import PageKey
from domain.workflow import Channel
from services.ledger_import import LedgerFileError, preview_tables, read_ledger, run_import
from ui.context import get_sessions, require_page

DEFAULT_CHANNELS = (Channel.LETTER_VISIT, Channel.FORWARDED)
SHOWN_GOOD_ROWS = 200
STATE = "ledger_import"


def _ledger(upload: UploadedFile) -> LedgerFile | None:
    """The uploaded file, read once per upload (kept in the session)."""
    cached = st.session_state.get(f"{STATE}_file")
    if cached is not None and cached[0] == upload.file_id and isinstance(cached[1], LedgerFile):
        return cached[1]
    try:
        ledger = read_ledger(upload.getvalue(), upload.name)
    except LedgerFileError as exc:
        st.error(str(exc))
        return None
    st.session_state[f"{STATE}_file"] = (upload.file_id, ledger)
    return ledger


def _mapping_step(ledger: LedgerFile, key: str) -> dict[int, Field]:
    """One selector per column: the guessed field preselected, unknown columns 「不导入」."""
    guessed = guess_mapping(ledger.headers)
    options: list[Field | None] = [None, *Field]
    unknown = [h for i, h in enumerate(ledger.headers) if h and i not in guessed]
    mapping: dict[int, Field] = {}
    title = "列对应" + (f"（有 {len(unknown)} 列未识别：{'、'.join(unknown)}）" if unknown else "")
    with st.expander(title, expanded=bool(unknown)):
        columns = st.columns(4)
        for index, header in enumerate(ledger.headers):
            if not header:
                continue
            with columns[index % 4]:
                choice = st.selectbox(
                    header,
                    options,
                    index=options.index(guessed.get(index)),
                    format_func=lambda f: "不导入" if f is None else f.label,
                    key=f"{key}_col_{index}",
                )
            if choice is not None:
                mapping[index] = choice
    return mapping


def _show_preview(preview: ImportPreview) -> None:
    good, refused = preview_tables(preview)
    a, b, c, d = st.columns(4)
    a.metric("可导入", len(preview.new_rows))
    b.metric("此前已导入（跳过）", len(preview.already_imported))
    c.metric("不能导入", len(preview.refused))
    d.metric("空行", len(preview.blank_rows))
    if refused:
        st.subheader("不能导入的行")
        st.dataframe(pd.DataFrame(refused), hide_index=True, width="stretch")
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
    upload = st.file_uploader("选择台账文件（.xlsx 或 .csv）", type=["xlsx", "csv"])
    if upload is None:
        with get_sessions()() as session:
            history = import_batches(session, actor=actor)
        if history:
            st.subheader("最近的导入")
            st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
        return
    ledger = _ledger(upload)
    if ledger is None:
        return
    st.caption(
        f"「{ledger.source_name}」：表头在第 {ledger.header_row} 行，表头下共 {len(ledger.rows)} 行。"
    )
    mapping = _mapping_step(ledger, key=f"{STATE}_{upload.file_id}")
    channel = st.selectbox(
        "文件中没有渠道时，按此渠道导入",
        DEFAULT_CHANNELS,
        format_func=lambda c: c.label,
        key=f"{STATE}_channel",
    )
    with get_sessions()() as session:
        preview = preview_import(
            session,
            ledger=ledger,
            today=local_now().date(),
            actor=actor,
            mapping=mapping,
            defaults=ImportDefaults(channel=channel),
        )
    for problem in preview.problems:
        st.error(problem)
    if preview.problems:
        return
    _show_preview(preview)
    left, right = st.columns(2)
    go = left.button(
        f"导入全部有效行（{len(preview.new_rows)} 行）",
        type="primary",
        disabled=not preview.can_import,
        key=f"{STATE}_go",
    )
    if right.button("不导入", key=f"{STATE}_cancel"):
        st.session_state.pop(f"{STATE}_file", None)
        st.info("未导入任何数据。")
        return
    if not go:
        return
    bar = st.progress(0.0, text="正在导入…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"已处理 {done:,} / {total:,} 行")

    outcome = run_import(
        get_sessions(),
        rows=preview.new_rows,
        source_name=ledger.source_name,
        actor=actor,
        now=local_now(),
        on_progress=progress,
    )
    bar.progress(1.0, text="导入完成")
    st.success(
        f"已导入 {outcome.imported:,} 件（批次 {outcome.batch}）"
        + (f"，{outcome.skipped:,} 行此前已导入，已跳过" if outcome.skipped else "")
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
