"""Chinese for the libraries' own controls: plotly's locale, CSS where Streamlit has no option.

Plotly ships its locale files with plotly.js only, which Streamlit does not load: the chart
config carries the zh-CN dictionary itself (``locales``), so the mode bar's tooltips and
month names are Chinese offline. Streamlit has no locale: its ⋮ menu is off
(``client.toolbarMode = "minimal"``), and ``CHROME_CSS`` hides the tables' English toolbar and
writes Chinese over the uploader's 「Upload」, its size line, the date fields' 「yyyy-mm-dd」
and the 「Space」 key hint. What stays English is listed in the README.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

MONTH_TICKS = "%Y年%-m月"
"""Tick and hover format of every month axis (plotly's default reads 「Jan 2026」)."""

_ZH_CN: dict[str, Any] = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "框选",
        "Lasso Select": "套索选择",
        "Download plot as a png": "下载图片（PNG）",
        "Download plot as a PNG": "下载图片（PNG）",
        "Download plot": "下载图片",
        "Pan": "平移",
        "Reset": "重置",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Reset views": "重置视图",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Show closest data on hover": "悬停显示最近数据",
        "Compare data on hover": "悬停比较数据",
        "Toggle Spike Lines": "显示/隐藏辅助线",
        "Double-click on legend to isolate one trace": "双击图例只显示该项",
        "Double-click to zoom back out": "双击还原",
        "Snapshot succeeded": "已生成图片",
        "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
        "Sorry, there was a problem downloading your snapshot!": "抱歉，图片下载失败！",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d",
    },
}


def plotly_config(**options: Any) -> dict[str, Any]:
    """A ``st.plotly_chart`` config in Chinese (zh-CN locale, no plotly logo) plus ``options``."""
    return {"locale": "zh-CN", "locales": {"zh-CN": _ZH_CN}, "displaylogo": False, **options}


CHROME_CSS = """
<style>
/* Tables' and charts' English toolbar (Show/hide columns, Download as CSV, Search, Fullscreen):
   the ledger has its own exports, Streamlit no locale. */
[data-testid="stElementToolbar"] { display: none !important; }
/* The uploader's 「Upload」 and 「200MB per file • XLSX, CSV」 (the label names the formats). */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
  font-size: 0;
}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 1rem;
}
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "单个文件不超过 200MB"; font-size: 0.875rem;
}
/* An empty date field reads 年-月-日, not yyyy-mm-dd. */
[data-testid="stDateInput"] [data-placeholder="true"] { font-size: 0; }
[data-testid="stDateInput"] [data-placeholder="true"]::after { font-size: 1rem; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="year"]::after { content: "年"; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="month"]::after { content: "月"; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="day"]::after { content: "日"; }
/* Streamlit's own 「Fullscreen」 button in the plotly mode bar: its tooltip is CSS over data-title. */
.modebar-btn[data-title="Fullscreen"]::after { content: "全屏" !important; }
/* A button's key hint 「Space」 reads 空格. */
kbd[aria-label="Shortcut Space"] { font-size: 0 !important; }
kbd[aria-label="Shortcut Space"]::after { content: "空格"; font-size: 0.75rem; }
</style>
"""
"""Static CSS, no data: the only HTML this module injects."""


def chinese_chrome() -> None:
    """Inject ``CHROME_CSS`` (once per script run, from ``app.py``)."""
    st.html(CHROME_CSS)
