"""What a browser test reads off a screen, and the checks on it (issue 16: Chinese, fit, privacy).

Shared by ``tests/browser/test_chinese_screen.py`` and ``tests/browser/test_standing_check.py``.
The JavaScript runs in the page (``page.evaluate``); the checks are pure functions of its result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALLOWED = frozenset(
    {
        "PDF",
        "PNG",
        "Excel",
        "CSV",
        "XLSX",
        "xlsx",
        "xls",
        "ods",
        "csv",
        "UTF",
        "GBK",
        "GeoJSON",
        "geojson",
        "zip",
        "ZIP",
        "WGS",  # the coordinate system WGS-84
        "MB",
        "KB",
        "MQ",
        "ID",
        "Esc",
        "QQ",
    }
)
"""Latin words a Chinese user reads as they are: file formats, units, case-number prefixes."""
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str, data: Iterable[str] = ()) -> set[str]:
    """The Latin words of ``text`` outside the allow-list (case numbers MQ-… are allowed).

    ``data``: strings the users typed that may be Latin (login names such as ``zh02``); where
    one of them stands as a whole word it is not counted.
    """
    typed = sorted({d for d in data if d}, key=len, reverse=True)
    if typed:
        words = "|".join(re.escape(d) for d in typed)
        text = re.sub(rf"(?<![A-Za-z0-9_])(?:{words})(?![A-Za-z0-9_])", " ", text)
    return {w for w in LATIN_WORD.findall(text) if w not in ALLOWED}


# Text a user can read without typing: the visible text, placeholders, titles (browser tooltips)
# and the plotly mode bar's tooltips (data-title). Screen-reader labels (aria-label) are not
# shown and Streamlit offers no way to change them; they are listed in the README.
READABLE_JS = """() => {
  const shown = el => {
    if (!el || el.closest('[data-testid="stIconMaterial"], [translate="no"], style, script')) return false;
    const css = getComputedStyle(el);
    if (css.fontSize === '0px' || css.visibility === 'hidden' || css.opacity === '0') return false;
    const box = el.getBoundingClientRect();
    return el.checkVisibility() && box.width > 1 && box.height > 1 && box.right > 0;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent.trim() && shown(n.parentElement)) out.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder]')) {
    if (!el.value && shown(el)) out.push(el.getAttribute('placeholder'));
  }
  for (const el of document.querySelectorAll('[title]:not(iframe)')) {
    if (shown(el)) out.push(el.getAttribute('title'));
  }
  for (const el of document.querySelectorAll('.modebar-btn[data-title]')) {
    const tip = getComputedStyle(el, '::after').content;  // the tooltip: CSS over data-title
    out.push(tip.startsWith('"') ? tip.slice(1, -1) : el.dataset.title);
  }
  return out.join('\\n');
}"""

SETTLE_JS = """async ({quietMs, timeoutMs}) => {
  // Settled: no script run, every shown table drawn, every chart drawn, then no change in the
  // page for ``quietMs``. The deck's one-second clock only touches its fragment: still quiet.
  const start = performance.now();
  let last = performance.now();
  const seen = new MutationObserver(() => { last = performance.now(); });
  seen.observe(document.body, {subtree: true, childList: true, characterData: true});
  const busy = () => {
    if (!document.querySelector('[data-testid="stApp"]')) return true;
    if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return true;
    for (const df of document.querySelectorAll('[data-testid="stDataFrame"]')) {
      if (df.checkVisibility() && !df.querySelector('canvas')) return true;
    }
    for (const plot of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      if (plot.checkVisibility() && !plot.querySelector('.main-svg')) return true;
    }
    return false;
  };
  try {
    while (performance.now() - start < timeoutMs) {
      await new Promise(r => setTimeout(r, 100));
      if (busy()) { last = performance.now(); continue; }
      if (performance.now() - last >= quietMs) return true;
    }
    return false;
  } finally { seen.disconnect(); }
}"""
"""Resolves true once the page has settled, false after ``timeoutMs``."""

COLLECT_JS = (
    """() => {
  const readable = ("""
    + READABLE_JS
    + """)();
  // Tables: st.dataframe draws on a canvas; its column widths are the grid's own (the React
  // props of glide-data-grid's canvas), its visible box the scroller's client width. Cells of
  // the rows and columns drawn are in the canvas's accessibility table.
  const grids = [];
  const cells = [];
  for (const df of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (!df.checkVisibility()) continue;  // e.g. in a tab not chosen
    const canvas = df.querySelector('canvas[data-testid="data-grid-canvas"]');
    const scroller = df.querySelector('.dvn-scroller');
    if (!canvas || !scroller) { grids.push({error: 'not drawn'}); continue; }
    for (const td of canvas.querySelectorAll('th, td')) cells.push(td.textContent);
    const key = Object.keys(canvas).find(k => k.startsWith('__reactFiber$'));
    let fiber = key && canvas[key];
    let columns = null;
    for (let depth = 0; fiber && depth < 40 && !columns; depth++, fiber = fiber.return) {
      const p = fiber.memoizedProps;
      if (p && Array.isArray(p.columns) && p.columns.length && typeof p.columns[0].width === 'number') {
        columns = p.columns.map(c => ({title: String(c.title ?? ''), width: c.width}));
      }
    }
    if (!columns) { grids.push({error: 'column widths not found'}); continue; }
    grids.push({columns, visibleWidth: scroller.clientWidth, scrollWidth: scroller.scrollWidth});
  }
  // Tables drawn as HTML (st.table): the cells right of the visible part of the page.
  const de = document.documentElement;
  const main = document.querySelector('[data-testid="stMain"]');
  const right = Math.min(window.innerWidth, main ? main.getBoundingClientRect().right : window.innerWidth);
  const offPage = [];
  for (const th of document.querySelectorAll('[data-testid="stTable"] th')) {
    const box = th.getBoundingClientRect();
    if (th.checkVisibility() && box.width > 0 && box.left >= right - 8) offPage.push(th.textContent.trim());
  }
  // Personal data counts wherever it is in the page, also in a tab or an expander not opened.
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const everything = [];
  for (const root of [main, sidebar]) {
    if (!root) continue;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.parentElement.closest('style, script')) everything.push(n.textContent);
    }
  }
  // English controls Streamlit offers no locale for: its ⋮ menu, a table's toolbar (hidden by
  // ui.chinese); visible as Playwright means it: a box, not visibility:hidden.
  const drawn = el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const controls = [];
  if (document.querySelector('[data-testid="stMainMenu"]')) controls.push('⋮ menu');
  if ([...document.querySelectorAll('[data-testid="stElementToolbar"]')].some(drawn)) {
    controls.push('element toolbar');
  }
  return {
    controls,
    text: readable + '\\n' + cells.join('\\n'),
    everything: everything.join('\\n') + '\\n' + cells.join('\\n'),
    grids,
    offPage,
    pageOverflow: Math.max(de.scrollWidth, main ? main.scrollWidth : 0) - window.innerWidth,
    height: Math.max(de.scrollHeight, main ? main.scrollHeight : 0),
  };
}"""
)
"""Everything a standing check reads off one settled page, in one ``page.evaluate``."""

KEY_COLUMNS = frozenset(
    {
        # cases (ledger, to-do, escalations, dashboard lists): what a user looks for first
        "案件编号",
        "提示",
        # 联户覆盖 (issue 16 item 6)
        "户数",
        "联户覆盖率",
        "覆盖率",  # 联户覆盖's short header on 党员联户
        "无人联系",
        "本年未走访",
        "未走访",
        # 接待记录
        "接待日期",
        # 走访 and 帮扶 lists
        "走访时间",
        "帮扶时间",
    }
)
"""Column headers marked as key: wherever a table has one, it must be on screen unscrolled."""
SHOWN_ENOUGH_PX = 40
"""A key column counts as shown when this much of it (or all of a narrower one) is on screen."""


@dataclass(frozen=True)
class HiddenColumn:
    """A key column of a table that lies right of the table's visible box."""

    title: str
    left: int
    width: int
    visible_width: int


def hidden_key_columns(
    grid: Mapping[str, Any], key_columns: Iterable[str] = KEY_COLUMNS
) -> list[HiddenColumn]:
    """The key columns of ``grid`` (from ``COLLECT_JS``) not on screen before any scrolling.

    Columns lie left to right in their order, each as wide as the grid drew it (a selectable
    table's tick column is the first, untitled one).
    """
    keys = set(key_columns)
    hidden: list[HiddenColumn] = []
    left = 0
    visible = int(grid["visibleWidth"])
    for column in grid["columns"]:
        width = int(column["width"])
        shown = max(0, min(left + width, visible) - left)
        if column["title"] in keys and shown < min(width, SHOWN_ENOUGH_PX):
            hidden.append(HiddenColumn(column["title"], left, width, visible))
        left += width
    return hidden


MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
"""A mainland mobile number written out in full (a masked one has 「****」 in it)."""


def personal_data_shown(text: str, names: Sequence[str]) -> set[str]:
    """Residents' full names from ``names`` and full mobile numbers that ``text`` shows."""
    found = set(MOBILE.findall(text))
    if names:
        pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
        found |= set(pattern.findall(text))
    return found
