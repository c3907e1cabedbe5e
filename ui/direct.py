"""Guard for Streamlit's legacy ``pages/`` mode (see STREAMLIT_NOTES.md, security hazard).

On a freshly started server Streamlit may run ``pages/<name>.py`` directly as a script, without
``app.py``. Every page module ends with::

    if __name__ == "__main__":
        run_app_instead()

so such a request runs the whole app — configuration check, login gate, role navigation —
instead of an unguarded page.
"""

from __future__ import annotations

import runpy

from config import ROOT


def run_app_instead() -> None:
    """Run ``app.py`` (gate and navigation included) in place of a directly opened page file."""
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
