"""台账导入 and 报表 pages under AppTest: upload, mapping step, preview, the choice, downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, session_factory
from db.models import Case
from tests.factories import make_world, migrate
from tests.helpers.ledger import ledger, ledger_xlsx

APPS = Path(__file__).parent / "apps"
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


def open_page(name: str, username: str = "staff") -> AppTest:
    at = AppTest.from_file(str(APPS / f"{name}_page.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    assert not at.exception, at.exception
    return at


def _cases(engine) -> int:
    with session_factory(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_upload_preview_and_import_all_good_rows(app_db):
    at = open_page("ledger_import")
    at.file_uploader[0].set_value(("台账.xlsx", ledger_xlsx(), XLSX_MIME)).run()
    assert not at.exception, at.exception
    book = ledger()
    assert _metrics(at) == {
        "可导入": str(len(book.expected)),
        "此前已导入（跳过）": "0",
        "不能导入": str(len(book.refused)),
        "空行": str(len(book.blank)),
    }
    refused = at.dataframe[0].value
    assert list(refused.columns[:2]) == ["行号", "检查结果"]
    assert dict(zip(refused["行号"], refused["检查结果"], strict=True)) == {
        n: "；".join(r) for n, r in book.refused.items()
    }
    assert _cases(app_db) == 0  # nothing written before the choice
    at.button(key="ledger_import_go").click().run()
    assert not at.exception, at.exception
    assert any(f"已导入 {len(book.expected)} 件" in s.value for s in at.success)
    assert _cases(app_db) == len(book.expected)
    at.run()  # the same file again: nothing new to import
    assert _metrics(at)["可导入"] == "0"
    assert at.button(key="ledger_import_go").disabled


def test_choosing_not_to_import_writes_nothing(app_db):
    at = open_page("ledger_import")
    at.file_uploader[0].set_value(("台账.xlsx", ledger_xlsx(), XLSX_MIME)).run()
    at.button(key="ledger_import_cancel").click().run()
    assert any("未导入任何数据" in i.value for i in at.info)
    assert _cases(app_db) == 0


def test_mapping_step_for_an_unknown_header(app_db):
    data = "事项日期,群众诉求事项,归属,类别\n2026.3.2,楼道堆放杂物影响通行,第1网格,环境卫生\n"
    at = open_page("ledger_import")
    at.file_uploader[0].set_value(("a.csv", data.encode("gbk"), "text/csv")).run()
    assert [e.value for e in at.error] == ["缺少必需的列：网格"]
    grid = next(s for s in at.selectbox if s.label == "C 列 · 归属")
    assert grid.value is None  # 「不导入」 until the user says otherwise
    grid.select_index(grid.options.index("网格")).run()
    assert not at.error
    assert _metrics(at)["可导入"] == "1"


def test_grid_workers_cannot_open_import_or_reports(app_db):
    for page in ("ledger_import", "reports"):
        at = open_page(page, "gridworker")
        assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
        assert not at.file_uploader and not at.button


def test_reports_page_offers_the_downloads(app_db):
    at = open_page("reports", "secretary")
    assert [t.label for t in at.tabs] == ["月报", "公示", "台账导出"]
    at.button(key="reports_monthly").click().run()
    assert not at.exception, at.exception
    at.button(key="reports_notice").click().run()
    at.button(key="reports_ledger").click().run()
    assert not at.exception, at.exception
    for key in (
        "reports_monthly_xlsx",
        "reports_monthly_pdf",
        "reports_notice_pdf",
        "reports_ledger_xlsx",
    ):
        assert key in at.session_state, key
    data, name = at.session_state["reports_monthly_pdf"]
    assert data.startswith(b"%PDF") and name.startswith("测试社区_月报_")


def test_reports_default_to_the_last_complete_month(app_db):
    """Issue 16: 报表 opened on the current (incomplete) month."""
    import datetime as dt

    from config import local_now

    today = local_now().date()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    at = open_page("reports", "secretary")
    month = next(s for s in at.selectbox if s.label == "月份")
    assert month.value == last
