"""Sidebar extras shown on every page after login (to-do counts; the menu closes on phones)."""

from __future__ import annotations

import streamlit as st

from domain.roles import Actor
from ui.todo_badge import todo_badge

PHONE_WIDTH = 768
"""Streamlit's own ``md`` breakpoint: at or below it the open menu covers the page."""

# Streamlit closes the menu after a page is chosen only when the browser says it is a phone
# (user agent); a narrow window of any browser keeps it open over ~77% of the screen. The script
# closes it after a menu link is clicked whenever the window is that narrow. Installed once.
_CLOSE_MENU_ON_PHONE = f"""<script>
(() => {{
  if (window.__mqCloseMenu) return;
  window.__mqCloseMenu = true;
  document.addEventListener('click', (event) => {{
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || !window.matchMedia('(max-width: {PHONE_WIDTH}px)').matches) return;
    setTimeout(() => {{
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }}, 0);
  }}, true);
}})();
</script>"""


def close_menu_on_phone() -> None:
    """Close the sidebar menu after a page is chosen on a narrow screen."""
    st.html(_CLOSE_MENU_ON_PHONE, unsafe_allow_javascript=True)


def render_sidebar(actor: Actor) -> None:
    """Draw the per-user sidebar widgets."""
    todo_badge(actor)
    close_menu_on_phone()
