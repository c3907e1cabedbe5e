"""匿名化: masking personal data in free text before it is shown in public (大屏, 公示, handouts).

Staff type results such as "已电话告知张桂英（13812345678）" — the structured reporter fields are
never shown in public, and free text goes through ``scrub_text``, which masks ID numbers, phone
numbers, room-level addresses and the names it is told about (the case's reporter and
household head). Lists and exports that mask the 反映人 column mask the free text beside it
with ``mask_free_text`` (phones, ID numbers, the record's own names). Pure: no database, no
streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from domain.validation import mask_name as list_mask_name

ID_MASK = "[证件号已隐去]"
PHONE_MASK = "[电话已隐去]"
NUMBER_MASK = "[号码已隐去]"
ADDRESS_MASK = "[门牌已隐去]"

_SEP = r"[\s\-－—]?"
# 居民身份证: 18 digits (the last may be X) or the old 15; also typed in 6-8-4 groups.
_ID = re.compile(
    rf"(?<![\dA-Za-z])(?:\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx]|\d{{15}})(?![\dA-Za-z])"
)
# Mobile numbers, with or without +86 and 3-4-4 separators.
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|＋)?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)")
# Landlines with an area code: 0731-84561234, (0731)84561234, 0731 8456 1234.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:[（(]0\d{{2,3}}[)）]|0\d{{2,3}}){_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
# Anything else that is a long run of digits (a bare local number, a card number).
_LONG_NUMBER = re.compile(r"\d{7,}")
# Room-level addresses: 3栋2单元501室, 5号楼302, 2单元301, 501室.
_ADDRESS = re.compile(
    r"\d+\s*(?:栋|幢|号楼|座)\s*(?:\d+\s*单元\s*)?\d+(?:\s*(?:室|号|房))?"
    r"|\d+\s*单元\s*\d+(?:\s*(?:室|号|房))?"
    r"|\d{3,4}\s*(?:室|房)"
)


def mask_name(name: str) -> str:
    """A name as a public notice writes it: the surname and 某 (张桂英 → 张某)."""
    name = name.strip()
    return f"{name[0]}某" if name else name


def _mask_names(text: str, names: Iterable[str | None], mask: Callable[[str], str]) -> str:
    """``text`` with each of ``names`` (two characters or more) replaced by ``mask(name)``."""
    # Longest first, so that 张桂英 is masked before a shorter name inside it.
    known = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    for name in known:
        text = text.replace(name, mask(name))
    return text


def mask_free_text(text: str | None, names: Iterable[str | None] = ()) -> str:
    """Free text shown beside a masked 反映人 column (lists, exports): ID numbers, phones and
    ``names`` (the record's own reporter or household) masked, the names as the column shows
    them (张*). Addresses and other numbers stay: staff work with them.
    """
    if not text:
        return ""
    out = _ID.sub(ID_MASK, text)
    out = _MOBILE.sub(PHONE_MASK, out)
    out = _LANDLINE.sub(PHONE_MASK, out)
    return _mask_names(out, names, list_mask_name)


def scrub_text(text: str | None, names: Iterable[str | None] = ()) -> str:
    """``text`` with ID numbers, phones, long numbers, room addresses and ``names`` masked."""
    out = mask_free_text(text)
    out = _LONG_NUMBER.sub(NUMBER_MASK, out)
    out = _ADDRESS.sub(ADDRESS_MASK, out)
    return _mask_names(out, names, mask_name)


def public_result(result: str | None, names: Iterable[str | None] = ()) -> str:
    """What was done, as a public notice (大屏 and printed 公示) shows it: one line, scrubbed.

    ``names``: the case's reporter and household head, masked wherever staff typed them.
    """
    return scrub_text(" ".join((result or "").split()), names) or "已办结"
