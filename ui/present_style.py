"""会议大屏 look: the static CSS of the projector page and markdown escaping for shown text.

``PRESENT_CSS`` is the only HTML the page injects (``unsafe_allow_html``); it is a constant and
never contains data. Text from the database goes through ``escape_markdown`` before any
element that renders Markdown (``st.table`` cells, headings), so a typed ``![](http://…)``
cannot make the projector fetch anything.
"""

from __future__ import annotations

from ui.slide_charts import FONT_STACK, SCREEN

KPI_FONT_PX = 120
"""Headline figures (走访次数, 解决率, 帮扶人次): readable from the back row at 1920×1080."""

_BG = SCREEN.background
_FG = SCREEN.text
_MUTED = SCREEN.muted
_ACCENT = SCREEN.accent

FULLSCREEN_CSS = """
<style>
/* Full screen: no header, toolbar, Deploy button, sidebar or footer. */
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], footer {
  display: none !important;
}
html, body { overflow: hidden; }
/* The login cookie component and these style blocks take no room on the wall. */
.st-key-init, [data-testid="stElementContainer"]:has(style) { display: none !important; }
</style>
"""
"""Only in presentation mode (viewer login or ``?mode=present``): hides all of Streamlit's chrome."""

PRESENT_CSS = f"""
<style>
[data-testid="stElementToolbar"] {{ display: none !important; }}
html, body, .stApp {{ background: {_BG} !important; color: {_FG}; }}
.stApp, .stApp p, .stApp span:not([data-testid="stIconMaterial"]), .stApp div, .stApp td,
.stApp th, .stApp button, .stApp h1, .stApp h2, .stApp h3, .stApp label {{
  font-family: {FONT_STACK};
}}
.stApp p, .stApp span, .stApp label, .stApp td, .stApp th, .stApp h1, .stApp h2, .stApp h3 {{
  color: {_FG};
}}
[data-testid="stMainBlockContainer"] {{
  max-width: 100% !important; padding: 14px 40px 8px 40px !important;
}}
/* A fragment rerun must not fade the slide (no flicker while the data refreshes). */
.stApp [data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
.st-key-present-title h1 {{ font-size: 44px; font-weight: 700; padding: 0; line-height: 1.25; }}
.st-key-present-heading h2 {{ font-size: 36px; padding: 0; color: {_ACCENT}; line-height: 1.2; }}
.st-key-present-heading p, .st-key-present-note p {{ font-size: 22px; color: {_MUTED}; }}
.st-key-present-headline [data-testid="stMetricLabel"] p {{ font-size: 44px; color: {_MUTED}; }}
.st-key-present-headline [data-testid="stMetricValue"],
.st-key-present-headline [data-testid="stMetricValue"] > div {{
  font-size: {KPI_FONT_PX}px; line-height: 1.15; color: {_FG}; font-weight: 700;
}}
.st-key-present-headline [data-testid="stMetricDelta"] div,
.st-key-present-headline [data-testid="stMetricDelta"] p {{ font-size: 30px; }}
.st-key-present-more [data-testid="stMetricLabel"] p {{ font-size: 28px; color: {_MUTED}; }}
.st-key-present-more [data-testid="stMetricValue"],
.st-key-present-more [data-testid="stMetricValue"] > div {{
  font-size: 56px; line-height: 1.15; color: {_FG};
}}
.st-key-present-more [data-testid="stMetricDelta"] div,
.st-key-present-more [data-testid="stMetricDelta"] p {{ font-size: 22px; }}
.stApp [data-testid="stMetricDelta"] {{ background: #22304a !important; }}
.stApp [data-testid="stMetricDelta"] * {{ color: {_FG} !important; }}
.st-key-present-headline [data-testid="stMetric"], .st-key-present-more [data-testid="stMetric"] {{
  background: #141d2e; border-radius: 14px; padding: 18px 28px;
}}
.st-key-present-side p, .st-key-present-side li {{ font-size: 28px; line-height: 1.5; }}
.st-key-present-notices table {{ width: 100%; }}
.st-key-present-notices td, .st-key-present-notices th {{
  font-size: 25px !important; line-height: 1.35; padding: 10px 14px !important;
  background: {_BG} !important; border-color: #2a3446 !important;
}}
.st-key-present-notices th {{ color: {_ACCENT} !important; font-weight: 700; }}
.stApp button {{
  background: #1c2638 !important; color: {_FG} !important; border: 1px solid #3a475e !important;
  min-height: 48px;
}}
.stApp button p {{ font-size: 24px; }}
.stApp button:hover {{ border-color: {_ACCENT} !important; }}
[data-testid="stProgress"] > div > div {{ background: #2a3446; }}
[data-testid="stProgress"] p {{ font-size: 22px; color: {_MUTED}; }}
</style>
"""
