"""台账导入: turning the rows of an old Excel/CSV ledger into clean case facts, or refusing them.

Pure Python (no streamlit, no sqlalchemy): the service reads the file into a grid of cell
values and hands it here. This module finds the header row, maps Chinese headers (with
synonyms) to fields, normalises each value — Traditional → Simplified (the original text is
kept alongside), full-width digits, the many ways dates are written, status words, grid and
category names with small spelling differences — and gives every row either a ``ParsedRow``
with a stable fingerprint or a ``RefusedRow`` with its row number and reasons in Chinese.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from domain.validation import MAX_DESCRIPTION, MAX_NAME, normalize_phone, phone_error
from domain.workflow import (
    CHANNEL_LABELS,
    FINISHED_STATUSES,
    HANDLING_LABELS,
    STATUS_LABELS,
    CaseStatus,
    Channel,
    HandlingType,
)

# ---------------------------------------------------------------------------------------------
# Fields and their headers


class Field(StrEnum):
    """A ledger column the import understands; the value is its key in mappings."""

    ACCEPTED_AT = "accepted_at"
    REPORTER_NAME = "reporter_name"
    REPORTER_PHONE = "reporter_phone"
    DESCRIPTION = "description"
    CATEGORY = "category"
    GRID_CELL = "grid_cell"
    CHANNEL = "channel"
    HANDLING_TYPE = "handling_type"
    STATUS = "status"
    RESULT = "result"
    FINISHED_AT = "finished_at"
    SOURCE_NO = "source_no"
    NOTE = "note"

    @property
    def label(self) -> str:
        return FIELD_LABELS[self]


FIELD_LABELS: dict[Field, str] = {
    Field.ACCEPTED_AT: "受理时间",
    Field.REPORTER_NAME: "反映人",
    Field.REPORTER_PHONE: "联系电话",
    Field.DESCRIPTION: "诉求内容",
    Field.CATEGORY: "类别",
    Field.GRID_CELL: "网格",
    Field.CHANNEL: "来源渠道",
    Field.HANDLING_TYPE: "五件制",
    Field.STATUS: "办理状态",
    Field.RESULT: "办理结果",
    Field.FINISHED_AT: "办结时间",
    Field.SOURCE_NO: "原序号",
    Field.NOTE: "备注",
}

REQUIRED_FIELDS: tuple[Field, ...] = (
    Field.ACCEPTED_AT,
    Field.DESCRIPTION,
    Field.CATEGORY,
    Field.GRID_CELL,
)
"""Columns a ledger must have; a row missing any of their values is refused."""

HEADER_SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.ACCEPTED_AT: (
        "受理时间", "受理日期", "登记时间", "登记日期", "反映时间", "反映日期", "来访时间",
        "来访日期", "接收时间", "收到时间", "日期", "时间",
    ),
    Field.REPORTER_NAME: ("反映人", "反映人姓名", "姓名", "来访人", "诉求人", "群众姓名", "联系人"),
    Field.REPORTER_PHONE: ("联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"),
    Field.DESCRIPTION: (
        "诉求内容", "反映问题", "反映内容", "问题描述", "民情内容", "主要问题", "诉求", "事由",
        "内容",
    ),
    Field.CATEGORY: ("类别", "问题类型", "问题类别", "诉求类别", "分类", "类型"),
    Field.GRID_CELL: ("网格", "所属网格", "网格名称", "所在网格", "片区", "责任区"),
    Field.CHANNEL: ("渠道", "来源", "来源渠道", "反映渠道", "受理渠道", "反映方式"),
    Field.HANDLING_TYPE: ("五件制", "办理类型", "办件类型", "件类"),
    Field.STATUS: ("办理状态", "状态", "处理状态", "办理进度", "进度"),
    Field.RESULT: ("办理结果", "结果", "处理结果", "办理情况", "处理情况", "答复内容"),
    Field.FINISHED_AT: ("办结时间", "办结日期", "完成时间", "解决时间", "答复时间", "处理时间"),
    Field.SOURCE_NO: ("序号", "编号", "原编号"),
    Field.NOTE: ("备注", "说明"),
}  # fmt: skip
"""Chinese headers (after normalisation) recognised for each field."""

# ---------------------------------------------------------------------------------------------
# Text normalisation

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


# ---------------------------------------------------------------------------------------------
# Header row and column mapping


def header_field(value: object) -> Field | None:
    """The field a header names: an exact synonym first, then the longest synonym it contains."""
    key = normalize_header(value)
    if not key:
        return None
    for fld, synonyms in HEADER_SYNONYMS.items():
        if key in synonyms:
            return fld
    best: tuple[int, Field] | None = None
    for fld, synonyms in HEADER_SYNONYMS.items():
        for synonym in synonyms:
            if len(synonym) >= 2 and synonym in key and (best is None or len(synonym) > best[0]):
                best = (len(synonym), fld)
    return best[1] if best else None


HEADER_SCAN_ROWS = 20


def find_header_row(rows: Sequence[Sequence[object]], scan: int = HEADER_SCAN_ROWS) -> int | None:
    """Index of the row that names the most known fields (at least two) among the first ``scan``.

    Ties go to the later row, so a title merged over two rows or a two-level header (group
    cells merged above their sub-headers) yields the lowest header row, right above the data.
    """
    best: tuple[int, int] | None = None
    for index, row in enumerate(rows[:scan]):
        found = {header_field(v) for v in row} - {None}
        if len(found) >= 2 and (best is None or len(found) >= best[0]):
            best = (len(found), index)
    return best[1] if best else None


ColumnMapping = dict[int, Field]
"""Column index → field; columns not in the mapping are ignored."""


def guess_mapping(headers: Sequence[object]) -> ColumnMapping:
    """Map each header to a field by its Chinese name; a field goes to its first column only."""
    mapping: ColumnMapping = {}
    for column, header in enumerate(headers):
        fld = header_field(header)
        if fld is not None and fld not in mapping.values():
            mapping[column] = fld
    return mapping


def unmapped_headers(headers: Sequence[object], mapping: ColumnMapping) -> list[tuple[int, str]]:
    """Non-empty headers the mapping leaves out: the columns the user is asked about."""
    return [
        (column, clean_text(header))
        for column, header in enumerate(headers)
        if column not in mapping and clean_text(header)
    ]


def mapping_problems(mapping: ColumnMapping) -> list[str]:
    """What keeps a mapping from being used (missing required columns, a field used twice)."""
    problems = [
        f"缺少必需的列：{fld.label}" for fld in REQUIRED_FIELDS if fld not in mapping.values()
    ]
    seen: set[Field] = set()
    for fld in mapping.values():
        if fld in seen:
            problems.append(f"「{fld.label}」被指定给了多列，请只保留一列")
        seen.add(fld)
    return problems


# ---------------------------------------------------------------------------------------------
# Value parsers: each returns the clean value or raises ``RowError`` with a Chinese reason


class RowError(ValueError):
    """One reason a row cannot be imported (Chinese, shown to the user)."""


EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (20_000, 73_051)  # 1954-10-03 .. 2099-12-31: numbers that can only be dates
_FULL_DATE = re.compile(
    r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?(?:\s*[:]\s*(\d{1,2})\s*秒?)?)?$"
)
_MONTH_ONLY = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


@dataclass(frozen=True)
class ParsedDate:
    """A date from a ledger cell; ``month_only`` when the cell gave only year and month."""

    value: dt.datetime
    month_only: bool = False


def _from_serial(number: float, label: str, raw: object) -> ParsedDate:
    if not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        raise RowError(f"{label}「{raw}」不是可识别的日期")
    moment = EXCEL_EPOCH + dt.timedelta(days=number)
    return ParsedDate(moment.replace(microsecond=0))


def _build(label: str, raw: object, *parts: str | None) -> dt.datetime:
    numbers = [int(p) if p else 0 for p in parts]
    try:
        year, month, day, hour, minute, second = (numbers + [0] * 6)[:6]
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise RowError(f"{label}「{raw}」不是存在的日期") from None


def parse_date(value: object, label: str = "日期") -> ParsedDate:
    """A ledger date: date/datetime cells, Excel serial numbers, 2011年7月26日, 2011.7.26,
    2011/7/26, 2011-07-26 14:30, 20110726, and 2011-07 / 2011年7月 (→ the 1st, flagged)."""
    if isinstance(value, dt.datetime):
        return ParsedDate(value.replace(microsecond=0))
    if isinstance(value, dt.date):
        return ParsedDate(dt.datetime.combine(value, dt.time()))
    if isinstance(value, bool):
        raise RowError(f"{label}「{value}」不是可识别的日期")
    if isinstance(value, int | float):
        return _from_serial(float(value), label, value)
    text = unicodedata.normalize("NFKC", clean_text(value))
    if (match := _FULL_DATE.match(text)) is not None:
        return ParsedDate(_build(label, value, *match.groups()))
    if (match := _MONTH_ONLY.match(text)) is not None:
        return ParsedDate(_build(label, value, match[1], match[2], "1"), month_only=True)
    if (match := _COMPACT.match(text)) is not None:
        return ParsedDate(_build(label, value, *match.groups()))
    if _SERIAL.match(text):
        return _from_serial(float(text), label, value)
    raise RowError(f"{label}「{clean_text(value)}」不是可识别的日期")


STATUS_WORDS: dict[str, CaseStatus] = {
    **{label: status for status, label in STATUS_LABELS.items()},
    **dict.fromkeys(("已解决", "解决", "办结", "已完成", "完成", "已处理", "处理完毕", "已办理"), CaseStatus.RESOLVED),
    **dict.fromkeys(("已答复", "答复", "已回复", "已解释", "已告知"), CaseStatus.ANSWERED),
    **dict.fromkeys(("未办结", "未解决", "处理中", "正在处理", "在办", "跟进中", "办理中", "未完成"), CaseStatus.IN_PROGRESS),
    **dict.fromkeys(("受理", "待处理", "未处理", "待办", "新登记"), CaseStatus.ACCEPTED),
    **dict.fromkeys(("上报", "已上报街道", "已转上级"), CaseStatus.ESCALATED),
    **dict.fromkeys(("退回", "不予受理"), CaseStatus.RETURNED),
}  # fmt: skip
"""Status words found in ledgers → the case status they mean (labels of every status included)."""

IMPORTABLE_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.ESCALATED,
        CaseStatus.RESOLVED,
        CaseStatus.ANSWERED,
        CaseStatus.RETURNED,
    }
)
"""Statuses an imported case may get; later steps (反馈, 回访, 归档) need facts a ledger lacks."""


def parse_status(value: object) -> CaseStatus | None:
    """A status word → status; None for an empty cell; ``RowError`` for an unknown word."""
    key = normalize_header(value)
    if not key:
        return None
    status = STATUS_WORDS.get(key)
    if status is None or status not in IMPORTABLE_STATUSES:
        raise RowError(f"办理状态「{clean_text(value)}」无法识别")
    return status


CHANNEL_WORDS: dict[str, Channel] = {
    **{label: channel for channel, label in CHANNEL_LABELS.items()},
    "信箱": Channel.MAILBOX, "热线": Channel.HOTLINE, "来电": Channel.HOTLINE,
    "电话": Channel.HOTLINE, "连心卡": Channel.CONTACT_CARD, "信息员": Channel.INFORMANT,
    "日记": Channel.DIARY, "接待": Channel.RECEPTION_DAY, "走访": Channel.HOME_VISIT,
    "入户": Channel.HOME_VISIT, "来信": Channel.LETTER_VISIT, "来访": Channel.LETTER_VISIT,
    "信访": Channel.LETTER_VISIT, "窗口": Channel.LETTER_VISIT, "微信": Channel.CHAT_GROUP,
    "QQ": Channel.CHAT_GROUP, "转办": Channel.FORWARDED, "交办": Channel.FORWARDED,
    "12345": Channel.FORWARDED, "意见箱": Channel.SUGGESTION_BOX,
}  # fmt: skip
"""Channel words: labels of every channel, then shorter words a ledger may contain."""


def parse_channel(value: object) -> Channel | None:
    """A channel word → channel (the longest known word it contains); None if none is found."""
    key = normalize_header(value).upper()
    if not key:
        return None
    if key in CHANNEL_WORDS:
        return CHANNEL_WORDS[key]
    found = [(len(word), channel) for word, channel in CHANNEL_WORDS.items() if word in key]
    return max(found)[1] if found else None


HANDLING_WORDS: dict[str, HandlingType] = {
    **{label: kind for kind, label in HANDLING_LABELS.items()},
    **{label[:2]: kind for kind, label in HANDLING_LABELS.items()},
}
"""即办件/即办, 补办件/补办 …"""


def parse_handling_type(value: object) -> HandlingType | None:
    """五件制 word → handling type; None when empty or unknown (the default then applies)."""
    return HANDLING_WORDS.get(normalize_header(value))


def default_handling_type(
    status: CaseStatus, accepted_at: dt.datetime, finished_at: dt.datetime | None
) -> HandlingType:
    """The 五件制 type of a ledger row that names none.

    退回 → 退回件, 上报 → 上报件, finished on the day it was accepted → 即办件, anything else
    → 承诺件 (the service promises the standard time limit, the clock a concern normally gets).
    """
    if status is CaseStatus.RETURNED:
        return HandlingType.RETURN
    if status is CaseStatus.ESCALATED:
        return HandlingType.ESCALATE
    if finished_at is not None and finished_at.date() == accepted_at.date():
        return HandlingType.IMMEDIATE
    return HandlingType.PROMISED


def parse_phone(value: object) -> str | None:
    """A phone cell → normalised number; None when empty; ``RowError`` when not a valid number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if not text:
        return None
    if phone_error(text):
        raise RowError(f"联系电话「{text}」格式不正确")
    return normalize_phone(text)


# ---------------------------------------------------------------------------------------------
# Names of grid cells and categories

SUGGEST_CUTOFF = 0.6
"""The lowest difflib ratio at which a name counts as a small spelling difference."""

_DIGITS = re.compile(r"\d+")


class NameIndex:
    """Known names (grid cells or categories) → id, with the nearest-name suggestion."""

    def __init__(self, names: Mapping[str, int] | Iterable[tuple[str, int]], what: str) -> None:
        self.what = what
        self._ids: dict[str, int] = {}
        self._shown: dict[str, str] = {}
        self.canonical: dict[int, str] = {}
        """id → the first name given for it: what fingerprints use (stable across databases)."""
        ambiguous: set[str] = set()
        pairs = names.items() if isinstance(names, Mapping) else names
        for name, ident in pairs:
            key = name_key(name)
            if key in self._ids and self._ids[key] != ident:
                ambiguous.add(key)
            self._ids[key] = ident
            self._shown.setdefault(key, name)
            self.canonical.setdefault(ident, name)
        self._ambiguous = frozenset(ambiguous)
        self._keys = sorted(self._ids)

    def suggest(self, raw: object) -> str | None:
        """The nearest known name, if close enough (same numbers, ratio ≥ ``SUGGEST_CUTOFF``)."""
        key = name_key(raw)
        digits = _DIGITS.findall(key)
        candidates = [k for k in self._keys if _DIGITS.findall(k) == digits]
        found = difflib.get_close_matches(key, candidates, n=1, cutoff=SUGGEST_CUTOFF)
        return self._shown[found[0]] if found else None

    def nearest_any(self, raw: object) -> str | None:
        """A loosely similar known name (only for the refusal message's hint)."""
        found = difflib.get_close_matches(name_key(raw), self._keys, n=1, cutoff=0.3)
        return self._shown[found[0]] if found else None

    def resolve(self, raw: object) -> tuple[int, str | None]:
        """(id, warning): exact names map silently, near misses with a warning, others refuse."""
        key = name_key(raw)
        shown = clean_text(raw)
        if key in self._ambiguous:
            raise RowError(f"{self.what}「{shown}」有重名，请改用编号")
        if key in self._ids:
            return self._ids[key], None
        suggestion = self.suggest(raw)
        if suggestion is not None and name_key(suggestion) in self._ambiguous:
            raise RowError(f"{self.what}「{shown}」接近的「{suggestion}」有重名，请改用编号")
        if suggestion is not None:
            return self._ids[name_key(suggestion)], (
                f"{self.what}「{shown}」按最接近的「{suggestion}」导入"
            )
        nearest = self.nearest_any(raw)
        hint = f"（最接近的是「{nearest}」，差别太大未采用）" if nearest else ""
        raise RowError(f"{self.what}「{shown}」不存在{hint}")


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class ParsedRow:
    """A ledger row ready to become a case; texts are Simplified, ``original`` keeps what changed."""

    row_number: int
    fingerprint: str
    accepted_at: dt.datetime
    description: str
    category_id: int
    grid_cell_id: int
    channel: Channel
    status: CaseStatus
    handling_type: HandlingType
    reporter_name: str | None = None
    reporter_phone: str | None = None
    is_anonymous: bool = False
    result: str | None = None
    finished_at: dt.datetime | None = None
    source_no: str | None = None
    note: str | None = None
    original: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefusedRow:
    """A row that cannot be imported: its sheet row number and every reason, in Chinese."""

    row_number: int
    reasons: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """All reasons in one line."""
        return "；".join(self.reasons)


@dataclass
class LedgerFile:
    """A ledger as read: its header (sheet row number and cells) and its data rows."""

    source_name: str
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[object]]]
    """(sheet row number, cell values) of every row below the header."""


@dataclass
class ParseResult:
    """Every data row of a ledger, sorted into good, refused, blank and duplicate."""

    good: list[ParsedRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Data rows that were not blank."""
        return len(self.good) + len(self.refused)


@dataclass(frozen=True)
class ImportDefaults:
    """What a row gets when its ledger says nothing: the channel (上级转办 or 来信来访 …)."""

    channel: Channel = Channel.LETTER_VISIT


ANONYMOUS_WORDS = frozenset({"匿名", "无名", "不愿透露", "群众"})


def fingerprint(
    accepted_at: dt.datetime,
    reporter_name: str | None,
    reporter_phone: str | None,
    description: str,
    category: str,
    grid_cell: str,
) -> str:
    """A stable identity of a concern: the same row in any file (or twice in one) has the same print.

    ``category`` and ``grid_cell`` are canonical names (not ids), so a print means the same
    concern in any database.
    """
    text = re.sub(r"\s+", "", description)
    parts = [
        accepted_at.isoformat(timespec="minutes"),
        reporter_name or "",
        reporter_phone or "",
        text,
        category,
        grid_cell,
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]


def _text_field(row: Mapping[Field, object], fld: Field, original: dict[str, str]) -> str | None:
    raw = clean_text(row.get(fld))
    if not raw:
        return None
    simple = to_simplified(raw)
    if simple != raw:
        original[fld.value] = raw
    return simple


def parse_row(
    row_number: int,
    row: Mapping[Field, object],
    *,
    categories: NameIndex,
    grid_cells: NameIndex,
    today: dt.date,
    defaults: ImportDefaults = ImportDefaults(),
) -> ParsedRow | RefusedRow:
    """One ledger row → ``ParsedRow``, or ``RefusedRow`` with every reason found."""
    reasons: list[str] = []
    warnings: list[str] = []
    original: dict[str, str] = {}

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except RowError as exc:
            reasons.append(str(exc))
            return None

    accepted: ParsedDate | None = None
    if clean_text(row.get(Field.ACCEPTED_AT)):
        accepted = attempt(parse_date, row.get(Field.ACCEPTED_AT), "受理时间")
        if accepted is not None and accepted.value.date() > today:
            reasons.append(f"受理时间 {accepted.value:%Y-%m-%d} 晚于今天")
        elif accepted is not None and accepted.month_only:
            day = accepted.value
            warnings.append(f"受理时间只有年月，按 {day.year}年{day.month}月{day.day}日 导入")
    else:
        reasons.append("缺少受理时间")

    description = _text_field(row, Field.DESCRIPTION, original)
    if description is None:
        reasons.append("缺少诉求内容")
    elif len(description) < 5:
        reasons.append("诉求内容太短（至少 5 个字）")
    elif len(description) > MAX_DESCRIPTION:
        reasons.append(f"诉求内容超过 {MAX_DESCRIPTION} 字")

    category_id = grid_cell_id = None
    for fld, index in ((Field.CATEGORY, categories), (Field.GRID_CELL, grid_cells)):
        raw = row.get(fld)
        if not clean_text(raw):
            reasons.append(f"缺少{index.what}")
            continue
        found = attempt(index.resolve, raw)
        if found is not None:
            ident, warning = found
            if warning:
                warnings.append(warning)
            if fld is Field.CATEGORY:
                category_id = ident
            else:
                grid_cell_id = ident

    name = _text_field(row, Field.REPORTER_NAME, original)
    if name is not None and len(name) > MAX_NAME:
        reasons.append(f"反映人姓名超过 {MAX_NAME} 字")
    phone = attempt(parse_phone, row.get(Field.REPORTER_PHONE))
    anonymous = (name is None or name in ANONYMOUS_WORDS) and phone is None
    if name in ANONYMOUS_WORDS:
        name = None

    status = attempt(parse_status, row.get(Field.STATUS))
    finished: dt.datetime | None = None
    if clean_text(row.get(Field.FINISHED_AT)):
        parsed_finish = attempt(parse_date, row.get(Field.FINISHED_AT), "办结时间")
        finished = parsed_finish.value if parsed_finish is not None else None
    if status is None and not clean_text(row.get(Field.STATUS)):
        status = CaseStatus.RESOLVED if finished is not None else CaseStatus.ACCEPTED
    if status is not None and finished is not None:
        if status not in FINISHED_STATUSES:
            warnings.append(f"状态为「{status.label}」，已忽略办结时间")
            finished = None
        elif accepted is not None and finished.date() < accepted.value.date():
            reasons.append("办结时间早于受理时间")
        elif accepted is not None and finished < accepted.value:
            finished = accepted.value  # a date-only finish on the day of a timed acceptance
        elif finished.date() > today:
            reasons.append(f"办结时间 {finished:%Y-%m-%d} 晚于今天")

    channel = defaults.channel
    raw_channel = clean_text(row.get(Field.CHANNEL))
    if raw_channel:
        found_channel = parse_channel(raw_channel)
        if found_channel is None:
            warnings.append(f"来源渠道「{raw_channel}」无法识别，按「{channel.label}」导入")
        else:
            channel = found_channel

    raw_type = clean_text(row.get(Field.HANDLING_TYPE))
    handling = parse_handling_type(raw_type) if raw_type else None
    if raw_type and handling is None:
        warnings.append(f"五件制「{raw_type}」无法识别，按默认规则确定")

    if reasons:
        return RefusedRow(row_number, tuple(reasons), shown_values(row))
    assert accepted is not None and description is not None and status is not None
    assert category_id is not None and grid_cell_id is not None
    if handling is None:
        handling = default_handling_type(status, accepted.value, finished)
    return ParsedRow(
        row_number=row_number,
        fingerprint=fingerprint(
            accepted.value,
            name,
            phone,
            description,
            categories.canonical[category_id],
            grid_cells.canonical[grid_cell_id],
        ),
        accepted_at=accepted.value,
        description=description,
        category_id=category_id,
        grid_cell_id=grid_cell_id,
        channel=channel,
        status=status,
        handling_type=handling,
        reporter_name=name,
        reporter_phone=phone,
        is_anonymous=anonymous,
        result=_text_field(row, Field.RESULT, original),
        finished_at=finished,
        source_no=clean_text(row.get(Field.SOURCE_NO)) or None,
        note=_text_field(row, Field.NOTE, original),
        original=original,
        warnings=tuple(warnings),
    )


def shown_values(row: Mapping[Field, object]) -> dict[str, str]:
    """The refused row's cells as text, keyed by Chinese field label (for the refusal table)."""
    return {fld.label: clean_text(value) for fld, value in row.items() if clean_text(value)}


def is_blank(row: Mapping[Field, object]) -> bool:
    """True when nothing but (perhaps) a sequence number is filled in."""
    return not any(clean_text(v) for fld, v in row.items() if fld is not Field.SOURCE_NO)


def parse_rows(
    rows: Iterable[tuple[int, Sequence[object]]],
    mapping: ColumnMapping,
    *,
    categories: NameIndex,
    grid_cells: NameIndex,
    today: dt.date,
    defaults: ImportDefaults = ImportDefaults(),
) -> ParseResult:
    """Parse (row number, cells) pairs; blank rows are skipped, a repeated row is refused."""
    result = ParseResult()
    first_seen: dict[str, int] = {}
    for number, cells in rows:
        values = {
            fld: (cells[column] if column < len(cells) else None) for column, fld in mapping.items()
        }
        if is_blank(values):
            result.blank_rows.append(number)
            continue
        parsed = parse_row(
            number,
            values,
            categories=categories,
            grid_cells=grid_cells,
            today=today,
            defaults=defaults,
        )
        if isinstance(parsed, RefusedRow):
            result.refused.append(parsed)
        elif parsed.fingerprint in first_seen:
            result.refused.append(
                RefusedRow(
                    number,
                    (f"与第 {first_seen[parsed.fingerprint]} 行重复",),
                    shown_values(values),
                )
            )
        else:
            first_seen[parsed.fingerprint] = number
            result.good.append(parsed)
    return result
