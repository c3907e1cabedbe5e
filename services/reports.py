"""Reports a community hands upward, rendered from rows: the 月报 (.xlsx with charts, PDF) and
the 公示 notice (PDF). Nothing here queries.

The 社区 月报's rows are ``db.queries.reports.monthly_report``, the 街道 月报's (one line per
社区) ``db.queries.comparison.subdistrict_report`` (both ``kpi_snapshot``: one definition of
every KPI); its headers and the 指标说明 are ``domain.kpis.KPI_DEFINITIONS``. The 公示 rows are
``db.queries.notices.notices``, the projector's selection and masking. The filtered ledger
export is ``services.ledger.ledger_export``. Chinese text in PDFs uses Noto Sans CJK SC
(fonts-noto-cjk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference

from db.queries.comparison import SubdistrictReport
from db.queries.kpis import KpiSnapshot
from db.queries.notices import Notice
from db.queries.reports import MonthlyReport, ReportLine
from domain.kpis import KPI_DEFINITIONS, KPIS, Period, Ratio
from services.spreadsheet import new_sheet, streaming_book, styled_cells, workbook_bytes

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILE = "NotoSansCJK-Regular.ttc"
FONT_FACE = "Noto Sans CJK SC"


class ReportError(RuntimeError):
    """A report that cannot be produced (e.g. the Chinese font is missing); message in Chinese."""


# ---------------------------------------------------------------------------------------------
# 月报: the KPI table per 社区 and grid cell


def _ratio_text(ratio: Ratio) -> str:
    """「85.3%（1594/1869）」: the rate with its count, as DOMAIN.md asks."""
    return f"{ratio.percent()}（{ratio.numerator}/{ratio.denominator}）"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@dataclass(frozen=True)
class KpiColumn:
    """A column of the 月报: its header, its text (PDF), its number (workbook) and format."""

    key: str
    """A ``domain.kpis.KPIS`` key, or ``resolved`` (解决率's numerator, beside it)."""
    text: Callable[[KpiSnapshot], str]
    number: Callable[[KpiSnapshot], Any]
    number_format: str
    width: int

    @property
    def header(self) -> str:
        """The KPI's label (``domain.kpis.KPIS``), with the unit of a duration."""
        if self.key == "resolved":
            return "已解决"
        kpi = KPIS[self.key]
        return f"{kpi.label}({kpi.unit})" if self.key == "mean_handling_days" else kpi.label


KPI_COLUMNS: tuple[KpiColumn, ...] = (
    KpiColumn("accepted", lambda k: str(k.accepted), lambda k: k.accepted, "0", 9),
    KpiColumn("resolution", lambda k: _ratio_text(k.resolution), lambda k: k.resolution.rate, "0.0%", 9),
    KpiColumn("resolved", lambda k: str(k.resolution.numerator), lambda k: k.resolution.numerator, "0", 8),
    KpiColumn("on_time", lambda k: _ratio_text(k.on_time), lambda k: k.on_time.rate, "0.0%", 11),
    KpiColumn("response", lambda k: _ratio_text(k.response), lambda k: k.response.rate, "0.0%", 9),
    KpiColumn("satisfaction", lambda k: _ratio_text(k.satisfaction), lambda k: k.satisfaction.rate, "0.0%", 9),
    KpiColumn("overdue", lambda k: str(k.overdue), lambda k: k.overdue, "0", 9),
    KpiColumn("mean_handling_days", lambda k: _days(k.mean_handling_days), lambda k: k.mean_handling_days, "0.0", 12),
    KpiColumn("repeat", lambda k: _ratio_text(k.repeat), lambda k: k.repeat.rate, "0.0%", 11),
    KpiColumn("community_resolution", lambda k: _ratio_text(k.community_resolution), lambda k: k.community_resolution.rate, "0.0%", 11),
    KpiColumn("visits", lambda k: str(k.visits), lambda k: k.visits, "0", 9),
    KpiColumn("visit_coverage", lambda k: _ratio_text(k.visit_coverage), lambda k: k.visit_coverage.rate, "0.0%", 11),
    KpiColumn("assistance_persons", lambda k: str(k.assistance_persons), lambda k: k.assistance_persons, "0", 9),
)  # fmt: skip
KPI_HEADERS: tuple[str, ...] = tuple(c.header for c in KPI_COLUMNS)
PDF_COLUMNS: tuple[str, ...] = tuple(c.key for c in KPI_COLUMNS if c.key in KPIS)
"""The 月报 PDF's columns: every KPI of the workbook (``domain.kpis.KPIS``), in its order;
已解决 is left out (解决率's text carries the count)."""
NOTES_TITLE = "指标说明"
"""The heading (and workbook sheet) of the KPI definitions printed with the 月报."""


def kpi_notes(keys: Sequence[str]) -> list[tuple[str, str]]:
    """(label, definition) of the reported KPIs, from ``domain.kpis.KPI_DEFINITIONS``."""
    return [(k.label, k.definition) for k in KPI_DEFINITIONS if k.key in keys]


class KpiTable(Protocol):
    """What a 月报 file shows: a title, a period, KPI lines (units, then the total)."""

    @property
    def title(self) -> str: ...

    @property
    def period(self) -> Period: ...

    @property
    def generated_at(self) -> dt.datetime: ...

    @property
    def lines(self) -> list[ReportLine]: ...


def monthly_report_xlsx(report: MonthlyReport) -> bytes:
    """The 社区 月报 as a workbook: one line per grid cell and the 社区 total."""
    return _kpi_workbook(report, unit="网格")


def subdistrict_report_xlsx(report: SubdistrictReport) -> bytes:
    """The 街道 月报 as a workbook: one line per 社区 and the 街道 total."""
    return _kpi_workbook(report, unit="社区")


def _kpi_workbook(report: KpiTable, *, unit: str) -> bytes:
    """A 月报 workbook: title, frozen Chinese header, KPI table, two bar charts per ``unit``."""
    header_row = 4
    headers = ["单位", *KPI_HEADERS]
    book = streaming_book()
    sheet = new_sheet(
        book,
        "月报",
        widths=[18, *(kpi_column.width + 2 for kpi_column in KPI_COLUMNS)],
        freeze=f"B{header_row + 1}",
    )
    sheet.append(styled_cells(sheet, [report.title], fill=None, size=14))
    sheet.append(
        [f"统计期间：{_period_text(report.period)}　生成时间：{report.generated_at:%Y-%m-%d %H:%M}"]
    )
    sheet.append([])
    sheet.append(styled_cells(sheet, headers, centred=True))
    for line in report.lines:
        cells = styled_cells(sheet, [line.unit], bold=line.is_total, fill=None)
        for kpi_column in KPI_COLUMNS:
            cell = WriteOnlyCell(sheet, value=kpi_column.number(line.kpis))
            cell.number_format = kpi_column.number_format
            cells.append(cell)
        sheet.append(cells)
    cells_last = header_row + sum(1 for line in report.lines if not line.is_total)
    if cells_last > header_row:
        categories = Reference(sheet, min_col=1, min_row=header_row + 1, max_row=cells_last)
        anchor_row = header_row + len(report.lines) + 3
        for title, columns, anchor, y_title in (
            (f"各{unit}受理件数与已解决件数", (2, 4), "A", "件数"),
            (f"各{unit}解决率", (3,), "H", "解决率"),
        ):
            chart = BarChart()
            chart.title = title
            chart.y_axis.title = y_title
            for column in columns:
                # the units only (header for the series name): the total would dwarf them
                data = Reference(sheet, min_col=column, min_row=header_row, max_row=cells_last)
                chart.add_data(data, titles_from_data=True)
            chart.set_categories(categories)
            chart.height, chart.width = 8, 16
            sheet.add_chart(chart, f"{anchor}{anchor_row}")
    notes = new_sheet(book, NOTES_TITLE, widths=[14, 80])
    notes.append(styled_cells(notes, ["指标", "口径"], fill=None))
    for label, definition in kpi_notes([c.key for c in KPI_COLUMNS]):
        notes.append([label, definition])
    return workbook_bytes(book)


def _period_text(period: Period) -> str:
    end = period.end - dt.timedelta(seconds=1)
    return f"{period.start:%Y年%m月%d日} 至 {end:%Y年%m月%d日}"


# ---------------------------------------------------------------------------------------------
# PDF


@cache
def cjk_font() -> tuple[Path, int]:
    """The Noto Sans CJK collection and the index of its Simplified Chinese face."""
    for folder in FONT_DIRS:
        path = folder / FONT_FILE
        if path.exists():
            from fontTools.ttLib import TTCollection

            with TTCollection(str(path), lazy=True) as collection:
                for index, font in enumerate(collection.fonts):
                    if font["name"].getDebugName(4) == FONT_FACE:
                        return path, index
    raise ReportError("缺少中文字体（请安装 fonts-noto-cjk），无法生成 PDF")


def _pdf(title: str, landscape: bool) -> Any:
    from fpdf import FPDF

    path, index = cjk_font()
    pdf = FPDF(orientation="L" if landscape else "P", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", str(path), collection_font_number=index)
    bold = path.with_name(path.name.replace("Regular", "Bold"))
    # table headings are bold: the Bold collection when installed, else the regular face
    pdf.add_font("cjk", "B", str(bold if bold.exists() else path), collection_font_number=index)
    pdf.set_title(title)
    pdf.set_creator("民情流水线")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    return pdf


def _keep_together(pdf: Any, height: float) -> None:
    """Start a new page unless a block of ``height`` mm fits in what is left of this one.

    A block taller than a page starts on a fresh page (unless it already does): a heading is
    never left alone at the foot of a page, away from its chart or notes.
    """
    at_top = pdf.get_y() <= pdf.t_margin + 12
    if pdf.get_y() + height > pdf.page_break_trigger and not at_top:
        pdf.add_page()


BAR_HEIGHT = 6
"""Height of one bar's line in mm."""


def _bars(pdf: Any, title: str, items: Sequence[tuple[str, float]], unit: str) -> None:
    """A horizontal bar chart drawn with rectangles (no image library, text stays text)."""
    if not items:
        return
    _keep_together(pdf, 8 + BAR_HEIGHT * len(items) + 3)
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    top = max(value for _, value in items) or 1
    label_w, bar_w, height = 35, pdf.epw - 60, BAR_HEIGHT
    for label, value in items:
        x, y = pdf.get_x(), pdf.get_y()
        pdf.cell(label_w, height, label)
        pdf.set_fill_color(68, 114, 196)
        pdf.rect(x + label_w, y + 1, max(bar_w * value / top, 0.5), height - 2, style="F")
        pdf.set_xy(x + label_w + bar_w * value / top + 2, y)
        pdf.cell(20, height, f"{value:g}{unit}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def monthly_report_pdf(report: MonthlyReport) -> bytes:
    """The 社区 月报 as a landscape A4 PDF: one line per grid cell and the 社区 total."""
    return _kpi_pdf(report, unit="网格", keys=PDF_COLUMNS)


def subdistrict_report_pdf(report: SubdistrictReport) -> bytes:
    """The 街道 月报 as a landscape A4 PDF: one line per 社区 and the 街道 total."""
    return _kpi_pdf(report, unit="社区", keys=PDF_COLUMNS)


def _kpi_pdf(report: KpiTable, *, unit: str, keys: Sequence[str]) -> bytes:
    """A 月报 as a landscape A4 PDF: the ``keys`` KPI table and bar charts per ``unit``, in Chinese."""
    from fpdf.enums import WrapMode

    pdf = _pdf(report.title, landscape=True)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"统计期间：{_period_text(report.period)}　　生成时间：{report.generated_at:%Y-%m-%d %H:%M}", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(2)
    columns = [c for c in KPI_COLUMNS if c.key in keys]
    pdf.set_font("cjk", size=7.5)
    # 277 mm of landscape A4 hold the unit, seven rates with their counts and six figures.
    widths = (26, *(22 if "率" in c.header else 14 for c in columns))
    with pdf.table(
        col_widths=widths, text_align="CENTER", wrapmode=WrapMode.CHAR, line_height=5
    ) as table:
        table.row(["单位", *(c.header for c in columns)])
        for line in report.lines:
            table.row([line.unit, *(c.text(line.kpis) for c in columns)])
    pdf.ln(4)
    units = [line for line in report.lines if not line.is_total]
    _bars(pdf, f"各{unit}受理件数", [(line.unit, line.kpis.accepted) for line in units], " 件")
    _bars(
        pdf,
        f"各{unit}解决率",
        [(line.unit, round((line.kpis.resolution.rate or 0) * 100, 1)) for line in units],
        "%",
    )
    notes = kpi_notes(keys)
    _keep_together(pdf, 8 + 5 * len(notes))
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, NOTES_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    for label, definition in notes:
        pdf.multi_cell(
            0, 5, f"{label}：{definition}", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------
# 公示: the anonymised notice of resolved cases


def publicity_pdf(community: str, period: Period, items: Sequence[Notice]) -> bytes:
    """The printable 公示 notice (portrait A4): what was resolved, where, how, how long."""
    from fpdf.enums import WrapMode

    title = f"{community}民情办理公示"
    pdf = _pdf(title, landscape=False)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(
        0,
        6,
        f"现将 {_period_text(period)} 办结的居民诉求公示如下，共 {len(items)} 件。"
        "如有意见，请向社区居委会反映。",
        wrapmode=WrapMode.CHAR,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("cjk", size=8.5)
    with pdf.table(
        col_widths=(26, 20, 20, 22, 76, 22),
        text_align="LEFT",
        wrapmode=WrapMode.CHAR,
        line_height=5,
    ) as table:
        table.row(["序号", "类别", "网格", "办结日期", "办理情况", "办理时长"])
        for number, item in enumerate(items, start=1):
            table.row([
                str(number), item.category, item.cell,
                f"{item.finished_on:%Y-%m-%d}", item.result, item.duration,
            ])  # fmt: skip
    pdf.ln(6)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, f"{community}居民委员会", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
