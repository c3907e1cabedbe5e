"""Ledger text as the importers compare it: trimmed, half-width, Simplified, names as keys.

Pure Python; shared by the case ledger (``domain.ledger_import``) and the rosters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_FULLWIDTH_ALNUM = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
    | {"\u3000": " "}
)  # fmt: skip
_BRACKETED = re.compile(r"[（(【\[].*?[）)】\]]")
_SPACES = re.compile(r"\s+")


def halfwidth_alnum(text: str) -> str:
    """Full-width digits and Latin letters (and the ideographic space) to ASCII; Chinese punctuation stays."""
    return text.translate(_FULLWIDTH_ALNUM)


@cache
def _traditional() -> tuple[dict[str, str], frozenset[str]]:
    from zhconv import zhconv as converter

    converter.loaddict()
    table: dict[str, str] = converter.zhcdicts["zh2Hans"]
    return table, frozenset(key[0] for key in table)


def to_simplified(text: str) -> str:
    """Traditional characters → Simplified (character and phrase level); other text unchanged."""
    _, starts = _traditional()
    if starts.isdisjoint(text):
        return text  # the common case: nothing to convert, skip the phrase matcher
    from zhconv import convert

    return str(convert(text, "zh-hans"))


def clean_text(value: object) -> str:
    """A cell as text: strip, collapse inner runs of whitespace, half-width digits and letters."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", halfwidth_alnum(str(value))).strip()


def normalize_header(value: object) -> str:
    """A header cell as a lookup key: Simplified, no spaces, no bracketed hints, no ``*`` or colon."""
    text = to_simplified(unicodedata.normalize("NFKC", clean_text(value)))
    text = _BRACKETED.sub("", text)
    return re.sub(r"[\s*:：]", "", text)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")


def _cn_to_int(chars: str) -> str:
    """「十二」→ 12, 「二十」→ 20, 「三」→ 3 (numbers up to 99, as grid names use them)."""
    if "十" not in chars:
        return "".join(str(_CN_DIGITS[c]) for c in chars)
    tens, _, ones = chars.partition("十")
    value = (_CN_DIGITS.get(tens[-1], 1) if tens else 1) * 10 + (_CN_DIGITS[ones[0]] if ones else 0)
    return str(value)


def name_key(value: object) -> str:
    """A grid-cell or category name as a comparison key: Simplified, ASCII digits, no spaces."""
    text = to_simplified(unicodedata.normalize("NFKC", clean_text(value)))
    text = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group()), text)
    return re.sub(r"[\s\-_·.]", "", text).upper()
