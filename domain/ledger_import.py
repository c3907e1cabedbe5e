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
from typing import Any

from domain.ledger_columns import REQUIRED_FIELDS as REQUIRED_FIELDS
from domain.ledger_columns import ColumnMapping as ColumnMapping
from domain.ledger_columns import Field as Field
from domain.ledger_columns import column_letter as column_letter
from domain.ledger_columns import find_header_row as find_header_row
from domain.ledger_columns import guess_mapping as guess_mapping
from domain.ledger_columns import header_field as header_field
from domain.ledger_columns import header_rows as header_rows
from domain.ledger_columns import mapping_problems as mapping_problems
from domain.ledger_columns import unmapped_headers as unmapped_headers
from domain.ledger_text import clean_text as clean_text
from domain.ledger_text import halfwidth_alnum as halfwidth_alnum
from domain.ledger_text import name_key as name_key
from domain.ledger_text import normalize_header as normalize_header
from domain.ledger_text import to_simplified as to_simplified
from domain.validation import MAX_DESCRIPTION, MAX_NAME, normalize_phone, phone_error
from domain.workflow import (
    CHANNEL_LABELS,
    FINISHED_STATUSES,
    HANDLING_LABELS,
    SATISFACTION_LABELS,
    STATUS_LABELS,
    CaseStatus,
    Channel,
    HandlingType,
    Satisfaction,
)

# ---------------------------------------------------------------------------------------------
# Value parsers: each returns the clean value or raises ``RowError`` with a Chinese reason


MIN_DESCRIPTION = 2
"""The shortest description a real ledger has: 噪音, 路灯不亮."""


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
    **dict.fromkeys(("已解决", "解决", "办结", "已完成", "完成", "已处理", "处理完毕", "已办理", "结案", "已结案", "已办"), CaseStatus.RESOLVED),
    **dict.fromkeys(("已答复", "答复", "已回复", "已解释", "已告知"), CaseStatus.ANSWERED),
    **dict.fromkeys(("已反馈", "反馈", "已通知"), CaseStatus.NOTIFIED),
    **dict.fromkeys(("已回访", "回访", "回访完毕", "已回访结案"), CaseStatus.FOLLOWED_UP),
    **dict.fromkeys(("归档", "已归档", "存档"), CaseStatus.ARCHIVED),
    **dict.fromkeys(("未办结", "未解决", "处理中", "正在处理", "在办", "跟进中", "办理中", "未完成", "正在办理"), CaseStatus.IN_PROGRESS),
    **dict.fromkeys(("受理", "待处理", "未处理", "待办", "新登记"), CaseStatus.ACCEPTED),
    **dict.fromkeys(("上报", "已上报街道", "已转上级", "已上报"), CaseStatus.ESCALATED),
    **dict.fromkeys(("退回", "不予受理"), CaseStatus.RETURNED),
}  # fmt: skip
"""Status words found in ledgers → the case status they mean (labels of every status included)."""

IMPORTED_AS: dict[CaseStatus, CaseStatus] = {
    CaseStatus.SUBDISTRICT_PENDING: CaseStatus.ESCALATED,
    CaseStatus.AT_SUBDISTRICT: CaseStatus.ESCALATED,
    CaseStatus.AWAITING_MATERIALS: CaseStatus.IN_PROGRESS,
}
"""App labels a ledger row cannot carry the facts of (the 街道's sign-off, the paused clock):
imported as the nearest status, with a warning."""

IMPORTABLE_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.ESCALATED,
        CaseStatus.RESOLVED,
        CaseStatus.ANSWERED,
        CaseStatus.NOTIFIED,
        CaseStatus.FOLLOWED_UP,
        CaseStatus.ARCHIVED,
        CaseStatus.RETURNED,
    }
)
"""Statuses an imported case may get (已合并 needs the case it was merged into)."""

ACCEPTED_STATUS_HINT = "、".join(
    STATUS_LABELS[s] for s in CaseStatus if s in IMPORTABLE_STATUSES or s in IMPORTED_AS
)
"""The status words a refusal names as accepted."""


def parse_status(value: object) -> CaseStatus | None:
    """A status word → status; None for an empty cell; ``RowError`` for an unknown word."""
    key = normalize_header(value)
    if not key:
        return None
    status = STATUS_WORDS.get(key)
    if status is CaseStatus.MERGED:
        raise RowError("办理状态「已合并」不能导入：重复的件只保留原件一行即可")
    if status is None:
        raise RowError(
            f"办理状态「{clean_text(value)}」无法识别（可填：{ACCEPTED_STATUS_HINT}，或解决、在办等常用写法）"
        )
    return status


SATISFACTION_WORDS: dict[str, Satisfaction] = {
    **{label: answer for answer, label in SATISFACTION_LABELS.items()},
    **dict.fromkeys(("非常满意", "很满意", "十分满意", "满意度高"), Satisfaction.SATISFIED),
    **dict.fromkeys(("比较满意", "较满意", "一般", "还行", "基本认可"), Satisfaction.BASICALLY_SATISFIED),
    **dict.fromkeys(("很不满意", "非常不满意", "不太满意", "不认可"), Satisfaction.DISSATISFIED),
    **dict.fromkeys(("未评", "不评价", "拒绝评价", "无法联系", "联系不上", "未接通", "无人接听", "空号", "停机"), Satisfaction.NO_ANSWER),
}  # fmt: skip
"""满意度 words → the follow-up answer (满意, 基本满意, 不满意, 未评价 and common synonyms)."""


def parse_satisfaction(value: object) -> Satisfaction | None:
    """A 满意度 word → answer; None for an empty cell; ``RowError`` for an unknown word."""
    key = normalize_header(value)
    if not key:
        return None
    answer = SATISFACTION_WORDS.get(key)
    if answer is None:
        shown = "、".join(SATISFACTION_LABELS.values())
        raise RowError(f"满意度「{clean_text(value)}」无法识别（可填：{shown}）")
    return answer


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
    digits = re.sub(r"[\s\-‐–—.·]", "", normalize_phone(text))
    if _PREFIXED_MOBILE.match(digits):
        digits = digits[2:]
    if _MOBILE_DIGITS.match(digits):
        return digits  # 138-1234-5678, 138 1234 5678, +86 138…: one way to store a mobile
    if phone_error(text):
        raise RowError(f"联系电话「{text}」格式不正确")
    return normalize_phone(text)


PHONE_HINT = "（手机 11 位，如 13812345678 或 138-1234-5678；座机如 0731-84561234）"


def _ledger_phone(value: object) -> str | None:
    """``parse_phone`` whose refusal says what a ledger may write instead."""
    try:
        return parse_phone(value)
    except RowError as exc:
        raise RowError(f"{exc}{PHONE_HINT}") from None


_MOBILE_DIGITS = re.compile(r"^1[3-9]\d{9}$")
_PREFIXED_MOBILE = re.compile(r"^861[3-9]\d{9}$")


# ---------------------------------------------------------------------------------------------
# Names of grid cells and categories

SUGGEST_CUTOFF = 0.6
"""The lowest difflib ratio at which a name counts as a small spelling difference."""

_DIGITS = re.compile(r"\d+")


HINT_NAMES = 12
"""How many accepted names a refusal lists."""


class NameIndex:
    """Known names (grid cells or categories) → id, with the nearest-name suggestion."""

    def __init__(
        self,
        names: Mapping[str, int] | Iterable[tuple[str, int]],
        what: str,
        labels: Mapping[int, str] | None = None,
        choices: Sequence[str] | None = None,
    ) -> None:
        self.what = what
        self._choices = choices
        self.labels: Mapping[int, str] = labels or {}
        """id → how a refusal names it (「幸福社区 第1网格：编号 T01-01」)."""
        self._every: dict[str, list[int]] = {}
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
            if ident not in self._every.setdefault(key, []):
                self._every[key].append(ident)
            self._ids[key] = ident
            self._shown.setdefault(key, name)
            self.canonical.setdefault(ident, name)
        self._ambiguous = frozenset(ambiguous)
        self._keys = sorted(self._ids)

    def _named(self, key: str) -> str:
        """The candidates a repeated name stands for, as a refusal lists them."""
        return "；".join(self.labels.get(i, self.canonical[i]) for i in self._every[key])

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
            raise RowError(
                f"{self.what}「{shown}」有重名（{self._named(key)}），请改用编号或选择社区"
            )
        if key in self._ids:
            return self._ids[key], None
        suggestion = self.suggest(raw)
        if suggestion is not None and name_key(suggestion) in self._ambiguous:
            raise RowError(
                f"{self.what}「{shown}」接近的「{suggestion}」有重名（{self._named(name_key(suggestion))}），"
                "请改用编号或选择社区"
            )
        if suggestion is not None:
            return self._ids[name_key(suggestion)], (
                f"{self.what}「{shown}」按最接近的「{suggestion}」导入"
            )
        nearest = self.nearest_any(raw)
        hint = f"（最接近的是「{nearest}」，差别太大未采用）" if nearest else ""
        raise RowError(f"{self.what}「{shown}」不存在{hint}；{self.accepted_hint()}")

    def accepted_hint(self) -> str:
        """The names a refusal offers instead (the first ``HINT_NAMES`` of them)."""
        names = list(self._choices if self._choices is not None else self.canonical.values())
        more = f" 等 {len(names)} 个" if len(names) > HINT_NAMES else ""
        return f"可填：{'、'.join(names[:HINT_NAMES])}{more}"

    def exact(self, raw: object) -> int | None:
        """The id ``raw`` names exactly and alone (a code, or a name no one else has)."""
        key = name_key(raw)
        return None if key in self._ambiguous else self._ids.get(key)


class CellIndex:
    """Grid cells: by name within a 社区 (the row's 所属社区 or the one chosen for the ledger),
    and by code or 社区+name anywhere. A bare name repeated across 社区 needs one of those."""

    what = "网格"

    def __init__(
        self,
        everywhere: NameIndex,
        by_community: Mapping[int, NameIndex],
        communities: NameIndex,
        community_id: int | None = None,
    ) -> None:
        self.everywhere = everywhere
        self.by_community = by_community
        self.communities = communities
        self.community_id = community_id
        self.canonical = everywhere.canonical

    def within(self, community_id: int | None) -> CellIndex:
        """The same cells, bare names read within ``community_id`` (the 社区 chooser)."""
        return CellIndex(self.everywhere, self.by_community, self.communities, community_id)

    def resolve(self, raw: object, community: object = None) -> tuple[int, str | None]:
        """(id, warning) of the cell ``raw`` names in the row's 社区 (or the chosen one)."""
        community_id = self.community_id
        if clean_text(community):
            community_id, _ = self.communities.resolve(community)
        local = self.by_community.get(community_id) if community_id is not None else None
        if local is None:
            return self.everywhere.resolve(raw)
        for index in (local, self.everywhere):  # exact names first: a code, 社区+name
            found = index.exact(raw)
            if found is not None:
                return found, None
        return local.resolve(raw)


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
    deadline: dt.date | None = None
    """The ledger's own 限办日期 / 承诺日期, kept as the deadline when given."""
    followed_up_at: dt.datetime | None = None
    satisfaction: Satisfaction | None = None
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
    sheet: str = ""
    """The workbook sheet it came from."""


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
    grid_cells: NameIndex | CellIndex,
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
    elif len(description) < MIN_DESCRIPTION:
        reasons.append(f"诉求内容太短（至少 {MIN_DESCRIPTION} 个字）")
    elif len(description) > MAX_DESCRIPTION:
        reasons.append(f"诉求内容超过 {MAX_DESCRIPTION} 字")

    category_id = grid_cell_id = None
    for fld, index in ((Field.CATEGORY, categories), (Field.GRID_CELL, grid_cells)):
        raw = row.get(fld)
        if not clean_text(raw):
            reasons.append(f"缺少{index.what}")
            continue
        if isinstance(index, CellIndex):
            found = attempt(index.resolve, raw, row.get(Field.COMMUNITY))
        else:
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
    phone = attempt(_ledger_phone, row.get(Field.REPORTER_PHONE))
    anonymous = (name is None or name in ANONYMOUS_WORDS) and phone is None
    if name in ANONYMOUS_WORDS:
        name = None

    status = attempt(parse_status, row.get(Field.STATUS))
    if status in IMPORTED_AS:
        warnings.append(f"办理状态「{status.label}」按「{IMPORTED_AS[status].label}」导入")
        status = IMPORTED_AS[status]
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
    answer, followed_up = _follow_up(row, status, finished, accepted, today, reasons, warnings)
    if answer is not None and status in FOLLOWABLE:
        status = CaseStatus.FOLLOWED_UP
    deadline: dt.date | None = None
    if clean_text(row.get(Field.DEADLINE)):
        parsed_due = attempt(parse_date, row.get(Field.DEADLINE), "限办日期")
        deadline = parsed_due.value.date() if parsed_due is not None else None
        if deadline is not None and accepted is not None and deadline < accepted.value.date():
            reasons.append("限办日期早于受理时间")

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
        deadline=deadline,
        followed_up_at=followed_up,
        satisfaction=answer,
        original=original,
        warnings=tuple(warnings),
    )


FOLLOWABLE = frozenset({CaseStatus.RESOLVED, CaseStatus.ANSWERED, CaseStatus.NOTIFIED})
"""Finished statuses a 满意度 turns into 已回访."""


def _follow_up(
    row: Mapping[Field, object],
    status: CaseStatus | None,
    finished: dt.datetime | None,
    accepted: ParsedDate | None,
    today: dt.date,
    reasons: list[str],
    warnings: list[str],
) -> tuple[Satisfaction | None, dt.datetime | None]:
    """The row's 回访 (answer, when), checked against its status and dates."""
    try:
        answer = parse_satisfaction(row.get(Field.SATISFACTION))
        when = (
            parse_date(row.get(Field.FOLLOWED_UP_AT), "回访时间").value
            if clean_text(row.get(Field.FOLLOWED_UP_AT))
            else None
        )
    except RowError as exc:
        reasons.append(str(exc))
        return None, None
    if answer is None and when is None:
        return None, None
    if status is not None and status not in FINISHED_STATUSES:
        warnings.append(f"状态为「{status.label}」，已忽略回访记录")
        return None, None
    if answer is None:
        answer = Satisfaction.NO_ANSWER
        warnings.append("有回访时间但没有满意度，按「未评价」导入")
    if when is None:
        when = finished or (accepted.value if accepted is not None else None)
        warnings.append("没有回访时间，按办结时间记回访")
    if when is not None and accepted is not None and when.date() < accepted.value.date():
        reasons.append("回访时间早于受理时间")
    elif when is not None and when.date() > today:
        reasons.append(f"回访时间 {when:%Y-%m-%d} 晚于今天")
    elif when is not None and finished is not None and when < finished:
        when = finished  # a date-only follow-up on the day of a timed finish
    return answer, when


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
    grid_cells: NameIndex | CellIndex,
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
