"""Reports a community hands upward: the 月报 (.xlsx with charts, PDF) and the 公示 notice (PDF).

The KPI figures come from ``db.queries.kpis.kpi_snapshot`` (one definition of every KPI); this
module only lays them out. The filtered ledger export is ``services.ledger.ledger_export``
(not repeated here). The 公示 notice is anonymised: category, grid cell, what was done and how
long it took — never names, phones or addresses; numbers typed into free text are masked by
``domain.anonymise.scrub_text``. Chinese text in PDFs uses Noto Sans CJK SC (fonts-noto-cjk).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, Category, Community, GridCell
from db.queries.kpis import KpiSnapshot, Scope, kpi_snapshot
from domain.anonymise import scrub_text
from domain.kpis import Period, Ratio
from domain.workflow import FINISHED_STATUSES

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILE = "NotoSansCJK-Regular.ttc"
FONT_FACE = "Noto Sans CJK SC"


class ReportError(RuntimeError):
    """A report that cannot be produced (e.g. the Chinese font is missing); message in Chinese."""


# ---------------------------------------------------------------------------------------------
# 月报: the KPI table per 社区 and grid cell


@dataclass(frozen=True)
class ReportLine:
    """One line of the 月报: a unit (the 社区 or one grid cell) and its KPI snapshot."""

    unit: str
    is_total: bool
    kpis: KpiSnapshot


@dataclass(frozen=True)
class MonthlyReport:
    """The 月报 of one 社区 for one month."""

    community: str
    period: Period
    generated_at: dt.datetime
    lines: list[ReportLine]

    @property
    def title(self) -> str:
        """「测试社区 2026年3月 民情工作月报」."""
        start = self.period.start
        return f"{self.community} {start.year}年{start.month}月 民情工作月报"


def _ratio_text(ratio: Ratio) -> str:
    """「85.3%（1594/1869）」: the rate with its count, as DOMAIN.md asks."""
    return f"{ratio.percent()}（{ratio.numerator}/{ratio.denominator}）"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


# (Chinese header, text for the PDF, number for the workbook, Excel number format, width)
KPI_COLUMNS: tuple[
    tuple[str, Callable[[KpiSnapshot], str], Callable[[KpiSnapshot], Any], str, int], ...
] = (
    ("受理件数", lambda k: str(k.accepted), lambda k: k.accepted, "0", 9),
    ("解决率", lambda k: _ratio_text(k.resolution), lambda k: k.resolution.rate, "0.0%", 9),
    ("已解决", lambda k: str(k.resolution.numerator), lambda k: k.resolution.numerator, "0", 8),
    ("按期办结率", lambda k: _ratio_text(k.on_time), lambda k: k.on_time.rate, "0.0%", 11),
    ("响应率", lambda k: _ratio_text(k.response), lambda k: k.response.rate, "0.0%", 9),
    ("满意率", lambda k: _ratio_text(k.satisfaction), lambda k: k.satisfaction.rate, "0.0%", 9),
    ("逾期件数", lambda k: str(k.overdue), lambda k: k.overdue, "0", 9),
    ("平均办理时长(工作日)", lambda k: _days(k.mean_handling_days), lambda k: k.mean_handling_days, "0.0", 12),
    ("重复信访率", lambda k: _ratio_text(k.repeat), lambda k: k.repeat.rate, "0.0%", 11),
    ("社区化解率", lambda k: _ratio_text(k.community_resolution), lambda k: k.community_resolution.rate, "0.0%", 11),
    ("走访次数", lambda k: str(k.visits), lambda k: k.visits, "0", 9),
    ("走访覆盖率", lambda k: _ratio_text(k.visit_coverage), lambda k: k.visit_coverage.rate, "0.0%", 11),
    ("帮扶人次", lambda k: str(k.assistance_persons), lambda k: k.assistance_persons, "0", 9),
)  # fmt: skip
KPI_HEADERS: tuple[str, ...] = tuple(c[0] for c in KPI_COLUMNS)


def monthly_report(
    session: Session, *, community_id: int, month: dt.date, now: dt.datetime
) -> MonthlyReport:
    """The 月报: each grid cell's KPIs for the month of ``month``, then the 社区's total."""
    community = session.get(Community, community_id)
    if community is None:
        raise ReportError("社区不存在")
    period = Period.month_of(month)
    lines = []
    cells = session.execute(
        select(GridCell.id, GridCell.name)
        .where(GridCell.community_id == community_id)
        .order_by(GridCell.code)
    ).all()
    for cell_id, name in cells:
        snap = kpi_snapshot(session, period=period, now=now, scope=Scope(grid_cell_id=cell_id))
        lines.append(ReportLine(name, False, snap))
    total = kpi_snapshot(session, period=period, now=now, scope=Scope(community_id=community_id))
    lines.append(ReportLine(f"{community.name}合计", True, total))
    return MonthlyReport(community.name, period, now, lines)


def monthly_report_xlsx(report: MonthlyReport) -> bytes:
    """The 月报 as a workbook: title, frozen Chinese header, KPI table, two bar charts."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "月报"
    sheet["A1"] = report.title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (
        f"统计期间：{_period_text(report.period)}　生成时间：{report.generated_at:%Y-%m-%d %H:%M}"
    )
    header_row = 4
    headers = ["单位", *KPI_HEADERS]
    sheet.append([])
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for offset, line in enumerate(report.lines, start=1):
        row = header_row + offset
        sheet.cell(row=row, column=1, value=line.unit).font = Font(bold=line.is_total)
        for column, (_, _, number, fmt, _) in enumerate(KPI_COLUMNS, start=2):
            cell = sheet.cell(row=row, column=column, value=number(line.kpis))
            cell.number_format = fmt
    sheet.column_dimensions["A"].width = 18
    for column, (*_, width) in enumerate(KPI_COLUMNS, start=2):
        sheet.column_dimensions[get_column_letter(column)].width = width + 2
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    cells_last = header_row + sum(1 for line in report.lines if not line.is_total)
    if cells_last > header_row:
        categories = Reference(sheet, min_col=1, min_row=header_row + 1, max_row=cells_last)
        anchor_row = header_row + len(report.lines) + 3
        for title, columns, anchor, y_title in (
            ("各网格受理件数与已解决件数", (2, 4), "A", "件数"),
            ("各网格解决率", (3,), "H", "解决率"),
        ):
            chart = BarChart()
            chart.title = title
            chart.y_axis.title = y_title
            for column in columns:
                # the cells only (header for the series name): the 社区 total would dwarf them
                data = Reference(sheet, min_col=column, min_row=header_row, max_row=cells_last)
                chart.add_data(data, titles_from_data=True)
            chart.set_categories(categories)
            chart.height, chart.width = 8, 16
            sheet.add_chart(chart, f"{anchor}{anchor_row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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


def _bars(pdf: Any, title: str, items: Sequence[tuple[str, float]], unit: str) -> None:
    """A horizontal bar chart drawn with rectangles (no image library, text stays text)."""
    if not items:
        return
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    top = max(value for _, value in items) or 1
    label_w, bar_w, height = 35, pdf.epw - 60, 6
    for label, value in items:
        x, y = pdf.get_x(), pdf.get_y()
        pdf.cell(label_w, height, label)
        pdf.set_fill_color(68, 114, 196)
        pdf.rect(x + label_w, y + 1, max(bar_w * value / top, 0.5), height - 2, style="F")
        pdf.set_xy(x + label_w + bar_w * value / top + 2, y)
        pdf.cell(20, height, f"{value:g}{unit}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def monthly_report_pdf(report: MonthlyReport) -> bytes:
    """The 月报 as a landscape A4 PDF: the KPI table and bar charts, in Chinese."""
    from fpdf.enums import WrapMode

    pdf = _pdf(report.title, landscape=True)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"统计期间：{_period_text(report.period)}　　生成时间：{report.generated_at:%Y-%m-%d %H:%M}", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(2)
    shown = ("受理件数", "解决率", "按期办结率", "响应率", "满意率", "逾期件数", "平均办理时长(工作日)", "社区化解率", "走访次数", "帮扶人次")  # fmt: skip
    columns = [c for c in KPI_COLUMNS if c[0] in shown]
    pdf.set_font("cjk", size=7.5)
    widths = (30, *(25 if "率" in c[0] else 16 for c in columns))
    with pdf.table(
        col_widths=widths, text_align="CENTER", wrapmode=WrapMode.CHAR, line_height=5
    ) as table:
        table.row(["单位", *(c[0] for c in columns)])
        for line in report.lines:
            table.row([line.unit, *(c[1](line.kpis) for c in columns)])
    pdf.ln(4)
    cells = [line for line in report.lines if not line.is_total]
    _bars(pdf, "各网格受理件数", [(line.unit, line.kpis.accepted) for line in cells], " 件")
    _bars(
        pdf,
        "各网格解决率",
        [(line.unit, round((line.kpis.resolution.rate or 0) * 100, 1)) for line in cells],
        "%",
    )
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------
# 公示: the anonymised notice of resolved cases


@dataclass(frozen=True)
class NoticeItem:
    """One resolved case as the notice board shows it: no name, phone or address."""

    case_no: str
    category: str
    grid_cell: str
    finished_on: dt.date
    result: str
    working_days: int | None

    @property
    def duration(self) -> str:
        """「3 个工作日」 / 「当日办结」."""
        if self.working_days is None:
            return "—"
        return "当日办结" if self.working_days == 0 else f"{self.working_days} 个工作日"


def publicity_items(
    session: Session, *, community_id: int, period: Period, limit: int = 500
) -> list[NoticeItem]:
    """Cases of the 社区 resolved or answered in ``period``, anonymised for the notice board."""
    rows = session.execute(
        select(
            Case.case_no,
            Category.name,
            GridCell.name,
            Case.finished_at,
            Case.result,
            Case.handling_working_days,
            Case.reporter_name,
        )
        .join(Category, Category.id == Case.category_id)
        .join(GridCell, GridCell.id == Case.grid_cell_id)
        .where(
            Case.community_id == community_id,
            Case.status.in_(sorted(s.value for s in FINISHED_STATUSES)),
            Case.finished_at >= period.start,
            Case.finished_at < period.end,
        )
        .order_by(Case.finished_at, Case.case_no)
        .limit(limit)
    )
    return [
        NoticeItem(
            case_no=case_no,
            category=category,
            grid_cell=cell,
            finished_on=finished.date(),
            result=scrub_text(result, [reporter]) or "已办结",
            working_days=days,
        )
        for case_no, category, cell, finished, result, days, reporter in rows
    ]


def publicity_pdf(community: str, period: Period, items: Sequence[NoticeItem]) -> bytes:
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
        table.row(["编号", "类别", "网格", "办结日期", "办理情况", "办理时长"])
        for item in items:
            table.row([
                item.case_no, item.category, item.grid_cell,
                f"{item.finished_on:%Y-%m-%d}", item.result, item.duration,
            ])  # fmt: skip
    pdf.ln(6)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, f"{community}居民委员会", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def community_choices(session: Session) -> dict[int, str]:
    """Every 社区, id → name (for the report pages' selector)."""
    return dict(
        session.execute(select(Community.id, Community.name).order_by(Community.code))
        .tuples()
        .all()
    )
