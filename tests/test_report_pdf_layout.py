"""The 月报 PDF (issue 16 item 9): every KPI of the workbook, and no chart broken across pages.

The renderers are pure, so the reports are built from rows here: twelve grid cells make the
table long enough that the first chart no longer fits below it on page 1.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from db.queries.comparison import SubdistrictReport
from db.queries.kpis import KpiSnapshot
from db.queries.reports import MonthlyReport, ReportLine
from domain.kpis import KPIS, Period, Ratio
from services.reports import (
    KPI_COLUMNS,
    PDF_COLUMNS,
    monthly_report_pdf,
    subdistrict_report_pdf,
)

OCTOBER = Period.month_of(dt.date(2026, 10, 1))
MADE = dt.datetime(2026, 11, 20, 10, 0)


def _snapshot(n: int) -> KpiSnapshot:
    return KpiSnapshot(
        visits=10 + n, visit_persons=20 + n, visit_coverage=Ratio(n, 40), accepted=30 + n,
        resolution=Ratio(25, 30 + n), on_time=Ratio(20, 25), response=Ratio(28, 30 + n),
        satisfaction=Ratio(18, 19), assistance_persons=5, overdue=n % 3,
        mean_handling_days=2.5, repeat=Ratio(n % 4, 30 + n), community_resolution=Ratio(22, 25),
    )  # fmt: skip


def _lines(unit: str, count: int, total: str) -> list[ReportLine]:
    lines = [ReportLine(f"第{i + 1}{unit}", False, _snapshot(i + 1)) for i in range(count)]
    return [*lines, ReportLine(total, True, _snapshot(0))]


def _pages(data: bytes) -> list[str]:
    """Each page's text without the spaces and NULs pypdf puts between CJK glyphs."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"[\s\x00]+", "", page.extract_text()) for page in reader.pages]


def test_pdf_columns_are_every_kpi_of_the_workbook() -> None:
    assert tuple(c.key for c in KPI_COLUMNS if c.key != "resolved") == PDF_COLUMNS
    assert {"repeat", "visit_coverage"} <= set(PDF_COLUMNS)


REPORTS = {
    "社区": lambda: monthly_report_pdf(
        MonthlyReport("测试社区", OCTOBER, MADE, _lines("网格", 12, "测试社区合计"))
    ),
    "街道": lambda: subdistrict_report_pdf(
        SubdistrictReport("测试街道", OCTOBER, MADE, _lines("社区", 12, "测试街道合计"))
    ),
}


@pytest.mark.parametrize("level", list(REPORTS))
def test_pdf_has_every_kpi_and_keeps_each_block_on_one_page(level: str) -> None:
    unit = "网格" if level == "社区" else "社区"
    pages = _pages(REPORTS[level]())
    text = "".join(pages)
    for key in PDF_COLUMNS:
        assert KPIS[key].label in text, key
    assert "7.5%（3/40）" in text  # 第3单元 走访覆盖率
    assert "9.1%（3/33）" in text  # 第3单元 重复信访率
    # Each chart: its heading, its first and last bar and the last bar's value on one page.
    for heading, last_value in ((f"各{unit}受理件数", "42件"), (f"各{unit}解决率", "59.5%")):
        holding = [p for p in pages if heading in p]
        assert len(holding) == 1, heading
        page = holding[0]
        assert f"第1{unit}" in page.split(heading, 1)[1]
        assert f"第12{unit}{last_value}" in page.split(heading, 1)[1]
    notes = [p for p in pages if "指标说明" in p]
    assert len(notes) == 1
    assert "社区化解率：" in notes[0] and "走访覆盖率：" in notes[0]
