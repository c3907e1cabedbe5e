"""Showing user text safely: Streamlit renders Markdown in st.table cells, titles, captions and
st.markdown, so text from the database is escaped before it reaches any of them.

(``st.text``, ``st.code`` and ``st.dataframe`` show text as it is and need no escaping.)

Streamlit's Markdown also turns a free-standing ``--`` into 「—」 (and ``->``, ``<-``, ``<->``,
``>=``, ``<=``, ``~=`` into arrows and signs) whatever the escaping; a word joiner (U+2060, no
width, not a space) between the two characters keeps them as typed. Table cells keep their
spaces and line breaks (``plain_frame`` + ``AS_TYPED_CSS``).
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")
WORD_JOINER = "\u2060"
# The tokens Streamlit's Markdown replaces when whitespace (or the text's edge) surrounds them.
_REPLACED_TOKEN = re.compile(r"(?<!\S)(<->|--|->|<-|>=|<=|~=)(?!\S)")

AS_TYPED_CSS = """<style>
/* Table cells show a typed text's runs of spaces and its line breaks (HTML would fold them). */
[data-testid="stTable"] td p, [data-testid="stTable"] th p { white-space: pre-wrap !important; }
</style>"""


def _escaped(text: str) -> str:
    kept = _REPLACED_TOKEN.sub(lambda m: m[0][0] + WORD_JOINER + m[0][1:], text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", kept)


def escape_markdown(text: str) -> str:
    """``text`` on one line with every Markdown (and Streamlit directive) character escaped."""
    return _escaped(" ".join(str(text).split()))


def escape_cell(text: str) -> str:
    """``text`` escaped for an ``st.table`` cell, its spaces and line breaks kept."""
    return _escaped(str(text).strip())


def show_text_as_typed() -> None:
    """Let table cells keep typed spaces and line breaks (drawn once per run, takes no space)."""
    st.html(AS_TYPED_CSS)


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text index) are escaped for ``st.table``."""
    out = frame.map(lambda v: escape_cell(v) if isinstance(v, str) else v)
    if out.index.dtype == object:
        out.index = [escape_cell(v) if isinstance(v, str) else v for v in out.index]
    return out
