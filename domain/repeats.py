"""初信/重信: when an earlier case counts as possibly the same concern (DOMAIN.md §3).

An earlier case is a 重信 hint when it has the same phone (accepted within
``REPEAT_WINDOW_DAYS`` or still open), the same grid cell and category within
``REPEAT_WINDOW_DAYS``, or a description at least ``SIMILARITY_THRESHOLD`` similar among the
cell's last ``SIMILAR_POOL`` cases of ``SIMILAR_WINDOW_DAYS``. Pure: the read layer
(``db.queries.repeats``) fetches the candidates, this module decides and ranks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

REPEAT_WINDOW_DAYS = 30
"""Same phone or same cell + category: cases accepted within this many days."""
SIMILAR_WINDOW_DAYS = 90
"""Similar text: cases of the same cell accepted within this many days."""
SIMILAR_POOL = 300
"""Similar text is compared with at most this many recent cases of the cell."""
SIMILARITY_THRESHOLD = 0.5
"""A description this similar (Dice coefficient of bigrams) or more is a hint."""
MIN_SIMILAR_TEXT = 5
"""Texts shorter than this many characters are not compared."""

SAME_PHONE = "同一电话"
SAME_CELL_AND_CATEGORY = "同网格同类别"


def repeat_since(now: dt.datetime) -> dt.datetime:
    """The earliest acceptance time a same-phone or same-cell-and-category hint may have."""
    return now - dt.timedelta(days=REPEAT_WINDOW_DAYS)


def similar_since(now: dt.datetime) -> dt.datetime:
    """The earliest acceptance time a similar-text hint may have."""
    return now - dt.timedelta(days=SIMILAR_WINDOW_DAYS)


def compares_text(text: str) -> bool:
    """True when a description is long enough to look for similar ones."""
    return len(text.strip()) >= MIN_SIMILAR_TEXT


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\W_]+", "", text.lower())
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two texts (0 … 1)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def similar_reason(text: str, other: str) -> tuple[str, float] | None:
    """(「内容相似 63%」, score) when ``other`` is similar enough to ``text``, else None."""
    score = text_similarity(text, other)
    if score < SIMILARITY_THRESHOLD:
        return None
    return f"内容相似 {score:.0%}", score


def rank_key(reasons: Sequence[str], score: float, accepted_at: dt.datetime) -> tuple[float, ...]:
    """Sort key of a hint: more reasons first, then more similar, then the newest."""
    return (-len(reasons), -score, -accepted_at.timestamp())
