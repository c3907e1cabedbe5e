"""Showing user text safely: Streamlit renders Markdown in st.table cells, titles, captions and
st.markdown, so text from the database is escaped before it reaches any of them.

(``st.text``, ``st.code`` and ``st.dataframe`` show text as it is and need no escaping.)
"""

from __future__ import annotations

import re

import pandas as pd

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown (and Streamlit directive) character backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text index) are escaped for ``st.table``."""
    out = frame.map(lambda v: escape_markdown(v) if isinstance(v, str) else v)
    if out.index.dtype == object:
        out.index = [escape_markdown(v) if isinstance(v, str) else v for v in out.index]
    return out
