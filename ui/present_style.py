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
SUBTITLE_FONT_PX = 32
"""A slide's subtitle and the status line: at least 32 px, readable at 8 m."""

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
/* Text colours in the main area only: the in-app sidebar keeps its own (dark on light) colours. */
[data-testid="stMain"] p, [data-testid="stMain"] span, [data-testid="stMain"] label,
[data-testid="stMain"] td, [data-testid="stMain"] th, [data-testid="stMain"] h1,
[data-testid="stMain"] h2, [data-testid="stMain"] h3 {{
  color: {_FG};
}}
[data-testid="stMainBlockContainer"] {{
  max-width: 100% !important; padding: 14px 40px 8px 40px !important;
}}
/* A fragment rerun must not fade the slide (no flicker while the data refreshes). */
.stApp [data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
.st-key-present-title h1 {{ font-size: 44px; font-weight: 700; padding: 0; line-height: 1.25; }}
.st-key-present-heading h2 {{ font-size: 36px; padding: 0; color: {_ACCENT}; line-height: 1.2; }}
/* Read from the back row (8 m): at least 32 px, near-white on the dark deck. */
.st-key-present-heading p, .st-key-present-note p {{
  font-size: {SUBTITLE_FONT_PX}px; color: {_FG}; line-height: 1.3;
}}
/* st.caption's own grey is more specific than the rule above. */
.stApp .st-key-present-heading [data-testid="stCaptionContainer"],
.stApp .st-key-present-heading [data-testid="stCaptionContainer"] p {{ color: {_FG} !important; }}
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
[data-testid="stMain"] button, [data-testid="stMain"] [data-testid="stLinkButton"] a {{
  background: #1c2638 !important; color: {_FG} !important; border: 1px solid #3a475e !important;
  min-height: 48px;
}}
[data-testid="stMain"] button p, [data-testid="stMain"] [data-testid="stLinkButton"] p {{
  font-size: 24px; white-space: nowrap; color: {_FG} !important;
}}
[data-testid="stMain"] button:hover, [data-testid="stLinkButton"] a:hover {{
  border-color: {_ACCENT} !important;
}}
.st-key-present-exit button {{ min-height: 36px; }}
.st-key-present-exit button p {{ font-size: 18px; color: {_MUTED} !important; }}
[data-testid="stProgress"] > div > div {{ background: #2a3446; }}
[data-testid="stProgress"] p {{ font-size: {SUBTITLE_FONT_PX}px; color: {_FG}; }}
.st-key-present-period [data-baseweb="select"] > div {{
  background: #1c2638 !important; border-color: #3a475e !important;
}}
</style>
"""

INAPP_CSS = """
<style>
/* Inside the app the sidebar takes ~300 px: smaller figures so that 47.8% and the buttons fit. */
[data-testid="stMainBlockContainer"] { padding: 14px 24px 8px 24px !important; }
.st-key-present-title h1 { font-size: 32px; }
.st-key-present-heading h2 { font-size: 28px; }
.st-key-present-headline [data-testid="stMetricLabel"] p { font-size: 28px; }
.st-key-present-headline [data-testid="stMetricValue"],
.st-key-present-headline [data-testid="stMetricValue"] > div { font-size: 64px; }
.st-key-present-headline [data-testid="stMetricDelta"] div,
.st-key-present-headline [data-testid="stMetricDelta"] p { font-size: 20px; }
.st-key-present-more [data-testid="stMetricLabel"] p { font-size: 20px; }
.st-key-present-more [data-testid="stMetricValue"],
.st-key-present-more [data-testid="stMetricValue"] > div { font-size: 36px; }
.st-key-present-more [data-testid="stMetricDelta"] div,
.st-key-present-more [data-testid="stMetricDelta"] p { font-size: 16px; }
.st-key-present-headline [data-testid="stMetric"], .st-key-present-more [data-testid="stMetric"] {
  padding: 12px 16px;
}
.st-key-present-side p, .st-key-present-side li { font-size: 20px; }
.st-key-present-notices td, .st-key-present-notices th { font-size: 18px !important; }
[data-testid="stMain"] button p, [data-testid="stMain"] [data-testid="stLinkButton"] p {
  font-size: 18px;
}
.st-key-present-heading p, [data-testid="stProgress"] p { font-size: 24px; }
</style>
"""
"""Only inside the app (secretary/admin with the sidebar): sizes for a narrower main area."""
