"""A real Excel 97–2003 ledger (``tests/data/ledgers/民情台账2011.xls``, made once with xlwt: see
the README there) imports row by row like the same rows saved as .xlsx."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case
from db.queries.imports import ImportPreview, preview_import
from services.ledger_import import read_ledgers, run_import
from tests.factories import NOW, World, make_world
from tests.helpers.ledger import staff_actor
from tests.helpers.real_ledgers import FATES, FIRST_ROW, GROUP, MONTHS, SUB, TITLE

XLS = Path(__file__).parent / "data" / "ledgers" / "民情台账2011.xls"
ROWS = [row for rows in MONTHS.values() for row in rows]
"""The .xls holds the three month sheets' rows on one sheet, in order."""


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, cells=3)


def _same_rows_as_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    rows: list[list[object]] = [list(TITLE), list(GROUP), list(SUB)]
    rows += [[n, *r] for n, r in enumerate(ROWS, start=1)]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:L1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _preview(session: Session, world: World, data: bytes, name: str) -> ImportPreview:
    (ledger,) = read_ledgers(data, name)
    return preview_import(session, ledger=ledger, today=NOW.date(), actor=staff_actor(world))


def _facts(preview: ImportPreview) -> list[dict[str, object]]:
    """Everything an imported row carries except what names its file (fingerprint, original)."""
    return [
        {k: v for k, v in dataclasses.asdict(r).items() if k not in ("fingerprint", "original")}
        for r in preview.new_rows
    ]


def test_xls_imports_row_by_row_like_the_same_rows_in_xlsx(session: Session, world: World) -> None:
    xls = _preview(session, world, XLS.read_bytes(), XLS.name)
    xlsx = _preview(session, world, _same_rows_as_xlsx(), "民情台账2011.xlsx")
    assert not xls.problems and not xlsx.problems
    assert _facts(xls) == _facts(xlsx)
    assert {r.row_number: r.reasons for r in xls.refused} == {
        r.row_number: r.reasons for r in xlsx.refused
    }
    # and each row's fate is the one written by hand for the month sheets
    fates = [f for name in MONTHS for f in FATES[name]]
    by_row = {FIRST_ROW + i: f for i, f in enumerate(fates)}
    assert {r.row_number: r.reasons for r in xls.refused} == {
        n: f.reasons for n, f in by_row.items() if f.reasons
    }
    assert [
        (r.row_number, r.status, r.reporter_phone, r.deadline, r.satisfaction) for r in xls.new_rows
    ] == [
        (n, f.status, f.phone, f.deadline, f.satisfaction)
        for n, f in by_row.items()
        if not f.reasons
    ]


def test_xls_import_writes_its_good_rows(sessions: sessionmaker[Session], world: World) -> None:
    actor = staff_actor(world)
    with sessions() as s:
        preview = _preview(s, world, XLS.read_bytes(), XLS.name)
    outcome = run_import(
        sessions, rows=preview.new_rows, source_name=XLS.name, actor=actor, now=NOW
    )
    assert outcome.imported == 6
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 6
