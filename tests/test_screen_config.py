"""Streamlit's settings that keep English and misleading colours off the screen (issue 16)."""

from __future__ import annotations

import colorsys
import tomllib

from config import ROOT
from ui.case_table import HIGHLIGHT
from ui.chinese import CHROME_CSS, plotly_config

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def _hue(colour: str) -> float:
    """The hue of ``#rrggbb`` in degrees."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def test_no_english_menu() -> None:
    """「minimal」 hides the ⋮ menu (System/Light/Dark/Print/Record screen/Made with Streamlit)."""
    assert CONFIG["client"]["toolbarMode"] == "minimal"


def test_ticked_row_is_not_tinted_like_an_overdue_row() -> None:
    """A ticked row takes the primary colour's tint: it must be far from 逾期's pink."""
    overdue = HIGHLIGHT["逾期"].split(":")[1].strip()
    distance = abs(_hue(CONFIG["theme"]["primaryColor"]) - _hue(overdue)) % 360
    assert min(distance, 360 - distance) > 90


def test_plotly_speaks_chinese_offline() -> None:
    """The chart config carries its own zh-CN dictionary (plotly.js locales are not loaded)."""
    config = plotly_config(scrollZoom=True)
    zh = config["locales"][config["locale"]]
    assert (config["locale"], config["scrollZoom"], config["displaylogo"]) == ("zh-CN", True, False)
    assert zh["dictionary"]["Autoscale"] == "自动缩放"
    assert zh["format"]["shortMonths"][0] == "1月"


def test_css_covers_the_controls_without_a_locale() -> None:
    """Each English control Streamlit cannot translate is hidden or written over."""
    for selector in (
        '[data-testid="stElementToolbar"]',
        '[data-testid="stFileUploaderDropzoneInstructions"]',
        '[data-placeholder="true"]',
        'kbd[aria-label="Shortcut Space"]',
    ):
        assert selector in CHROME_CSS
