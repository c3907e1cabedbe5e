"""台账导入 page under AppTest: every column mappable by its letter, Chinese refusals, sheets."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, session_factory
from db.models import Case, User
from tests.factories import make_world, migrate
from tests.helpers.real_ledgers import month_workbook

APP = "apps/ledger_import_page.py"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        make_world(session, cells=3)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert not at.exception, at.exception
    return at


def _cases(engine) -> int:
    with session_factory(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


# The 网格 column has no header at all (a CSV saved from a sheet whose header cell was blank).
UNNAMED = "受理时间,诉求内容,类别,\n2026-03-02,噪音扰民,环境卫生,第1网格\n2026-03-03,路灯不亮,环境卫生,第2网格\n"


def test_an_unnamed_column_is_shown_by_letter_and_can_be_mapped(app_db):
    at = _open()
    at.file_uploader[0].set_value(("无名列.csv", UNNAMED.encode("gbk"), "text/csv")).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["缺少必需的列：网格"]  # Chinese, before any import
    assert not [b for b in at.button if b.key == "ledger_import_go"]
    column = next(s for s in at.selectbox if s.label == "D 列（无列名）")
    assert column.value is None
    assert "第1网格、第2网格" in column.help
    column.select_index(column.options.index("网格")).run()
    assert not at.error
    assert {m.label: m.value for m in at.metric}["可导入"] == "2"
    at.button(key="ledger_import_go").click().run()
    assert _cases(app_db) == 2


def test_a_required_column_unmapped_is_a_chinese_error_and_nothing_is_written(app_db):
    at = _open()
    data = "受理时间,诉求内容,类别,网格\n2026-03-02,噪音扰民,环境卫生,第1网格\n"
    at.file_uploader[0].set_value(("a.csv", data.encode(), "text/csv")).run()
    column = next(s for s in at.selectbox if s.label == "C 列 · 类别")
    column.select_index(0).run()  # 「不导入」
    assert [e.value for e in at.error] == ["缺少必需的列：类别"]
    assert _cases(app_db) == 0


def test_a_wrong_file_type_is_refused_in_chinese(app_db):
    at = _open()
    at.file_uploader[0].set_value(("台账.pdf", b"%PDF-1.4", "application/pdf")).run()
    assert [e.value for e in at.error] == ["只支持 .xlsx、.xls、.ods 和 .csv 文件"]


def test_month_sheets_are_offered_and_imported_together(app_db):
    book = month_workbook()
    at = _open()
    at.file_uploader[0].set_value(("2011年台账.xlsx", book.data, XLSX_MIME)).run()
    assert not at.exception, at.exception
    sheets = at.multiselect(key="ledger_import_sheets")
    assert sheets.options == ["1月", "2月", "3月"] and sheets.value == ["1月", "2月", "3月"]
    at.button(key="ledger_import_go").click().run()
    assert not at.exception, at.exception
    assert _cases(app_db) == len(book.imported)


def test_open_rows_warn_of_overdue_are_archived_and_go_to_the_chosen_person(app_db):
    data = (
        "受理时间,诉求内容,类别,网格,办理状态,办结时间\n"
        "2011-03-02,噪音扰民,环境卫生,第1网格,已受理,\n"
        "2011-03-03,路灯不亮,环境卫生,第2网格,办理中,\n"
        "2011-03-04,楼道堆物,环境卫生,第2网格,已办结,2011-03-05\n"
    )
    at = _open()
    at.file_uploader[0].set_value(("2011.csv", data.encode("gbk"), "text/csv")).run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == [
        "台账中有 2 行仍未办结，其中 2 行已过办结期限，导入后将立即计为逾期件。"
    ]
    picker = at.selectbox(key="ledger_import_open_assignee")
    assert picker.value is None  # default: nobody's queue, not the clerk's
    with session_factory(app_db)() as s:
        secretary = s.scalar(select(User.id).where(User.username == "secretary"))
        staff = s.scalar(select(User.id).where(User.username == "staff"))
    picker.set_value(secretary).run()
    archive = at.radio(key="ledger_import_archive_overdue")
    assert archive.value is False  # kept open unless the clerk archives them
    archive.set_value(True).run()
    at.button(key="ledger_import_go").click().run()
    assert not at.exception, at.exception
    with session_factory(app_db)() as s:
        rows = s.execute(select(Case.description, Case.assignee_id).order_by(Case.accepted_at))
        assignees = dict(rows.tuples().all())
        statuses = dict(s.execute(select(Case.description, Case.status)).tuples().all())
    assert statuses == {
        "噪音扰民": "historical_open",
        "路灯不亮": "historical_open",
        "楼道堆物": "resolved",
    }
    # the finished row stays with the importing clerk, as before
    assert assignees == {"噪音扰民": secretary, "路灯不亮": secretary, "楼道堆物": staff}
