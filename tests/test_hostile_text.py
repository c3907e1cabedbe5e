"""Hostile text (HTML, script tags, markdown links, formulas, very long strings) stays plain text
in services, exports and pages."""

from __future__ import annotations

import csv
import io

import pytest
import streamlit as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.queries.ledger import LEDGER_HEADERS, LedgerFilters
from services.cases import accept_case, apply_action
from services.ledger import ExportFormat
from services.spreadsheet import csv_safe
from tests.factories import NOW, make_world, migrate
from tests.helpers.cases import RULES, actor_of, draft, export_xlsx_or_csv
from tests.helpers.hostile import FORMULA, IMG, LINK, LONG, PAYLOADS, SCRIPT
from ui.text import escape_cell, escape_markdown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("路灯不亮", "路灯不亮"),
        ("a=b", "a=b"),
        (42, 42),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_exports_keep_hostile_text_literal(session):
    world = make_world(session)
    staff = actor_of(world, "staff")
    for text in (*PAYLOADS, LONG):
        accept_case(
            session, draft=draft(world, description=text), actor=staff, now=NOW, rules=RULES
        )
    data = export_xlsx_or_csv(
        session, filters=LedgerFilters(), now=NOW, actor=staff, fmt=ExportFormat.XLSX
    )
    sheet = load_workbook(io.BytesIO(data)).active
    column = LEDGER_HEADERS.index("诉求内容") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} == {*PAYLOADS, LONG}
    assert all(c.data_type == "s" for c in cells)  # never a formula
    raw = export_xlsx_or_csv(session, filters=LedgerFilters(), now=NOW, actor=staff, fmt="csv")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    texts = {r[LEDGER_HEADERS.index("诉求内容")] for r in rows[1:]}
    assert texts == {SCRIPT, IMG, LINK, "'" + FORMULA, LONG}


@pytest.fixture
def hostile_case(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        world = make_world(session)
        staff = actor_of(world, "staff")
        case = accept_case(
            session, draft=draft(world, description=SCRIPT), actor=staff, now=NOW, rules=RULES
        )
        apply_action(
            session, case_id=case.id, expected_version=case.version, action="note", actor=staff,
            now=NOW, rules=RULES, note=LINK,
        )  # fmt: skip
        case_id = case.id
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield case_id
    st.cache_resource.clear()
    engine.dispose()


def test_case_page_shows_hostile_text_as_plain_text(hostile_case):
    at = AppTest.from_file(str(ROOT / "tests" / "apps" / "case_detail_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.query_params["id"] = str(hostile_case)
    at.run()
    assert not at.exception
    assert [t.value for t in at.text] == [SCRIPT]  # st.text: never markdown, never HTML
    notes = list(at.table[-1].value["说明"])
    assert escape_markdown(LINK) in notes  # every Markdown character escaped: shown literally
    markdown = " ".join(m.value for m in at.markdown)
    assert "<script>" not in markdown and "javascript:" not in markdown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("[a](javascript:x)", r"\[a\]\(javascript\:x\)"),
        ("<b>王五</b>", r"\<b\>王五\</b\>"),
        ("138****5678", r"138\*\*\*\*5678"),
        ("普通文字", "普通文字"),
        ("两个\n换行", "两个 换行"),
    ],
)
def test_escape_markdown(raw, escaped):
    assert escape_markdown(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        # Streamlit's Markdown would show 「a — b」, 「→」, 「≥」: a word joiner keeps them as typed.
        ("a -- b", "a \\-\u2060\\- b"),
        ("去 -> 回", "去 \\-\u2060\\> 回"),
        ("x >= 3", "x \\>\u2060\\= 3"),
        ("2026--01", "2026\\-\\-01"),  # not free-standing: Streamlit leaves it alone
        ("两个  空格\n换行", "两个  空格\n换行"),  # a table cell keeps spaces and line breaks
    ],
)
def test_escape_cell_keeps_the_typed_text(raw, escaped):
    assert escape_cell(raw) == escaped
