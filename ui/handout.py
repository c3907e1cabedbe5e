"""会议讲义: the projector's slides as a printable A4 PDF, with Chinese text.

Charts are the deck's own plotly figures in the light ``PRINT`` theme, rendered to PNG by
kaleido (Debian's chromium; plotly.js from the installed plotly package, MathJax off: nothing
is fetched). fpdf2 lays out each page and writes the titles, the headline figures and the 公示
table as real text in Noto Sans CJK from fonts-noto-cjk, so the PDF stays searchable.
No streamlit here: tests call ``build_handout`` directly.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.fonts import FontFace

from db.queries.present import Deck
from domain.slides import SLIDE_ORDER, SlideKind
from ui.headline import headline_tiles
from ui.slide_charts import (
    PRINT,
    levels_figure,
    map_figure,
    ranking_figure,
    slide_subtitle,
    trend_figure,
)

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILE = "NotoSansCJK-Regular.ttc"
BOLD_FILE = "NotoSansCJK-Bold.ttc"
SC_INDEX = 2
"""Index of "Noto Sans CJK SC" (Simplified Chinese glyph forms) inside the .ttc collection."""

CHART_PX = (1600, 760)
PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 12.0
FOOTER = "数据已匿名化：不含居民姓名、电话、证件号和住址"


class HandoutError(RuntimeError):
    """The handout cannot be made here; the message is for the user, in Chinese."""


def font_path(name: str = FONT_FILE) -> Path:
    """Where fonts-noto-cjk put ``name`` (raises ``HandoutError`` when it is not installed)."""
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise HandoutError("未找到中文字体 Noto Sans CJK：请安装 fonts-noto-cjk 后重试。")


def chart_figures(deck: Deck) -> dict[SlideKind, go.Figure]:
    """The chart slides' figures for paper (same builders as the screen, light theme)."""
    width, height = CHART_PX
    return {
        SlideKind.MAP: map_figure(
            deck.cells, deck.geojson, PRINT, points=deck.points, height=height, width=width
        ),
        SlideKind.TREND: trend_figure(deck.trend, PRINT, height=height, width=width),
        SlideKind.RANKING: ranking_figure(deck.ranking, PRINT, height=height, width=width),
        SlideKind.LEVELS: levels_figure(deck.levels, PRINT, height=height, width=width),
    }


def render_pngs(figures: dict[SlideKind, go.Figure], folder: Path) -> dict[SlideKind, Path]:
    """Every figure as a PNG in ``folder``, in one kaleido browser session (offline)."""
    try:
        import kaleido
        import plotly
    except ImportError as exc:  # kaleido is in requirements.txt; say so if it is missing
        raise HandoutError(
            "缺少 kaleido，无法把图表转为图片：pip install -r requirements.txt"
        ) from exc
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    width, height = CHART_PX
    paths = {kind: folder / f"{kind.value}.png" for kind in figures}
    jobs = [
        {
            "fig": fig,
            "path": str(paths[kind]),
            "opts": {"format": "png", "width": width, "height": height},
        }
        for kind, fig in figures.items()
    ]
    try:
        kaleido.write_fig_from_object_sync(
            jobs, kopts={"mathjax": False, "plotlyjs": str(plotly_js)}
        )
    except Exception as exc:  # chromium missing or crashed: explain, do not show a traceback
        raise HandoutError(f"图表转图片失败（需要 chromium）：{type(exc).__name__}") from exc
    missing = [k.heading for k, p in paths.items() if not p.is_file()]
    if missing:
        raise HandoutError(f"图表转图片失败：{'、'.join(missing)}")
    return paths


class _Handout(FPDF):
    """A4 landscape pages with the deck title on top and the anonymisation note below."""

    def __init__(self, title: str, generated_at: dt.datetime) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.deck_title = title
        self.generated_at = generated_at
        self.set_auto_page_break(auto=False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font("cjk", "", str(font_path()), collection_font_number=SC_INDEX)
        self.add_font("cjk", "B", str(font_path(BOLD_FILE)), collection_font_number=SC_INDEX)
        self.set_title(title)
        self.set_creator("民情流水线")

    def header(self) -> None:
        self.set_font("cjk", "", 11)
        self.set_text_color(90, 90, 90)
        self.set_xy(MARGIN, 7)
        self.cell(PAGE_W - 2 * MARGIN, 6, self.deck_title)

    def footer(self) -> None:
        self.set_font("cjk", "", 9)
        self.set_text_color(110, 110, 110)
        self.set_xy(MARGIN, PAGE_H - 10)
        note = f"{FOOTER} · 生成于 {self.generated_at:%Y-%m-%d %H:%M} · 第 {self.page_no()} 页"
        self.cell(PAGE_W - 2 * MARGIN, 5, note, align="C")

    def slide_page(self, kind: SlideKind, deck: Deck) -> float:
        """Start a page with the slide's heading and subtitle; returns the y where content starts."""
        self.add_page()
        self.set_text_color(17, 17, 17)
        self.set_font("cjk", "B", 22)
        self.set_xy(MARGIN, 15)
        self.cell(PAGE_W - 2 * MARGIN, 11, kind.heading)
        self.set_font("cjk", "", 11)
        self.set_text_color(85, 85, 85)
        self.set_xy(MARGIN, 27)
        self.multi_cell(PAGE_W - 2 * MARGIN, 5.5, slide_subtitle(kind, deck))
        return self.get_y() + 3


def _kpi_box(
    pdf: _Handout, x: float, y: float, w: float, label: str, value: str, detail: str, size: int
) -> None:
    pdf.set_fill_color(242, 244, 247)
    pdf.rect(x, y, w, size * 0.9 + 22, style="F")
    pdf.set_text_color(85, 85, 85)
    pdf.set_font("cjk", "", 14)
    pdf.set_xy(x + 5, y + 4)
    pdf.cell(w - 10, 7, label)
    pdf.set_text_color(17, 17, 17)
    pdf.set_font("cjk", "B", size)
    pdf.set_xy(x + 5, y + 12)
    pdf.cell(w - 10, size * 0.45, value)
    pdf.set_font("cjk", "", 11)
    pdf.set_text_color(85, 85, 85)
    pdf.set_xy(x + 5, y + 12 + size * 0.45 + 2)
    pdf.cell(w - 10, 6, detail)


def _headline_page(pdf: _Handout, deck: Deck) -> None:
    y = pdf.slide_page(SlideKind.HEADLINE, deck)
    big, small = headline_tiles(deck.headline, deck.previous)
    big[0] = replace(big[0], detail=f"{big[0].detail}；走访人次 {deck.headline.visit_persons:,}")
    gap = 6.0
    width = (PAGE_W - 2 * MARGIN - 2 * gap) / 3
    for i, tile in enumerate(big):
        _kpi_box(
            pdf, MARGIN + i * (width + gap), y + 4, width, tile.label, tile.value, tile.detail, 54
        )
    width = (PAGE_W - 2 * MARGIN - 3 * gap) / 4
    for i, tile in enumerate(small):
        _kpi_box(
            pdf, MARGIN + i * (width + gap), y + 90, width, tile.label, tile.value, tile.detail, 30
        )


def _chart_page(pdf: _Handout, kind: SlideKind, deck: Deck, png: Path) -> None:
    y = pdf.slide_page(kind, deck)
    width, height = CHART_PX
    w = PAGE_W - 2 * MARGIN
    h = min(w * height / width, PAGE_H - y - 14)
    pdf.image(str(png), x=MARGIN + (w - h * width / height) / 2, y=y, h=h)


def _notices_page(pdf: _Handout, deck: Deck) -> None:
    y = pdf.slide_page(SlideKind.NOTICES, deck)
    pdf.set_xy(MARGIN, y)
    pdf.set_text_color(17, 17, 17)
    if not deck.notices:
        pdf.set_font("cjk", "", 14)
        pdf.cell(PAGE_W - 2 * MARGIN, 8, "近 30 天暂无办结的民情。")
        return
    pdf.set_font("cjk", "", 11)
    with pdf.table(
        col_widths=(22, 26, 52, 130, 30),
        headings_style=FontFace(emphasis="BOLD", fill_color=(242, 244, 247)),
        line_height=6.5,
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT"),
    ) as table:
        table.row(("办结日期", "类别", "网格", "办理结果", "用时"))
        for n in deck.notices:
            table.row((f"{n.finished_on:%Y-%m-%d}", n.category, n.cell, n.result, n.duration))


def build_handout(deck: Deck, *, title: str) -> bytes:
    """The handout PDF: one A4 landscape page per slide, in the projector's order."""
    pdf = _Handout(title, deck.now)
    with tempfile.TemporaryDirectory(prefix="minqing-handout-") as tmp:
        pngs = render_pngs(chart_figures(deck), Path(tmp))
        for kind in SLIDE_ORDER:
            if kind is SlideKind.HEADLINE:
                _headline_page(pdf, deck)
            elif kind is SlideKind.NOTICES:
                _notices_page(pdf, deck)
            else:
                _chart_page(pdf, kind, deck, pngs[kind])
        return bytes(pdf.output())
