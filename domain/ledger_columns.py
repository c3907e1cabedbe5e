"""台账 columns: the fields a ledger may hold, their Chinese headers, the header rows, the mapping.

Pure Python. A ledger's header may be one row, or two (a group cell such as 反映人 or 办理情况
merged over its sub-headers 姓名 / 联系电话, 办理状态 / 办结时间): the two rows are combined
into one header per column (「反映人·联系电话」). Every column — named or not — can be mapped to
a field by the clerk; columns are shown by their letter (A, B … AA) and first values.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from domain.ledger_text import clean_text, normalize_header


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
    COMMUNITY = "community"
    DEADLINE = "deadline"
    FOLLOWED_UP_AT = "followed_up_at"
    SATISFACTION = "satisfaction"

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
    Field.COMMUNITY: "所属社区",
    Field.DEADLINE: "限办日期",
    Field.FOLLOWED_UP_AT: "回访时间",
    Field.SATISFACTION: "满意度",
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
    Field.COMMUNITY: ("所属社区", "社区", "社区名称", "所在社区"),
    Field.DEADLINE: ("限办日期", "承诺日期", "限办时间", "承诺时间", "办理时限", "承诺办结日期", "办结时限", "期限"),
    Field.FOLLOWED_UP_AT: ("回访时间", "回访日期"),
    Field.SATISFACTION: ("满意度", "回访结果", "满意情况", "群众评价", "评价", "群众满意度"),
}  # fmt: skip
"""Chinese headers (after normalisation) recognised for each field."""


GROUP_SEPARATOR = "·"
"""Joins a group header and its sub-header: 「反映人·联系电话」."""
GENERIC_SUBHEADERS = frozenset({"时间", "日期", "情况", "内容", "结果"})
"""Sub-headers that mean nothing without their group (办结 over 时间 is not 受理时间)."""


def _exact_field(key: str) -> Field | None:
    for fld, synonyms in HEADER_SYNONYMS.items():
        if key in synonyms:
            return fld
    return None


def _contained_field(key: str) -> Field | None:
    best: tuple[int, Field] | None = None
    for fld, synonyms in HEADER_SYNONYMS.items():
        for synonym in synonyms:
            if len(synonym) >= 2 and synonym in key and (best is None or len(synonym) > best[0]):
                best = (len(synonym), fld)
    return best[1] if best else None


def header_field(value: object) -> Field | None:
    """The field a header names: an exact synonym first, then the longest synonym it contains.

    A combined header 「group·sub」 is read as group+sub (办结·时间 → 办结时间), then as the
    sub-header alone unless it is generic (反映人·联系电话 → 联系电话).
    """
    group, _, sub = clean_text(value).rpartition(GROUP_SEPARATOR)
    key = normalize_header(group + sub)
    if not key:
        return None
    if (found := _exact_field(key)) is not None:
        return found
    sub_key = normalize_header(sub)
    if group and sub_key not in GENERIC_SUBHEADERS and (found := _exact_field(sub_key)):
        return found
    return _contained_field(key)


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


def _is_header_like(row: Sequence[object]) -> bool:
    """Text cells only, at least half of them naming a field (a sub-header row, not data)."""
    texts = [clean_text(v) for v in row if clean_text(v)]
    if not texts or any(not isinstance(v, str) for v in row if v is not None and clean_text(v)):
        return False
    named = sum(header_field(t) is not None for t in texts)
    return named * 2 >= len(texts)


def combine_header_rows(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    """One header per column from a two-level header (a CSV leaves merged cells empty).

    A column empty below takes the cell above (merged down); a column with a sub-header joins
    it to its group — the cell above, or the nearest group cell to its left when the group was
    merged across (「反映人」 over 姓名 and 联系电话).
    """
    width = max(len(upper), len(lower))
    top = [clean_text(upper[i]) if i < len(upper) else "" for i in range(width)]
    bottom = [clean_text(lower[i]) if i < len(lower) else "" for i in range(width)]
    headers: list[str] = []
    group = ""
    for above, below in zip(top, bottom, strict=True):
        if not below:
            group = ""
            headers.append(above)
            continue
        if above:
            group = above if above != below else ""
        headers.append(f"{group}{GROUP_SEPARATOR}{below}" if group else below)
    return headers


def header_rows(rows: Sequence[Sequence[object]]) -> tuple[int, list[str]] | None:
    """(index of the last header row, one header per column), or None when there is no header.

    The header is the row naming the most fields; the row above (or below) joins it when the
    two form a two-level header.
    """
    index = find_header_row(rows)
    if index is None:
        return None
    row = rows[index]
    below = rows[index + 1] if index + 1 < len(rows) else []
    above = rows[index - 1] if index > 0 else []

    def two_level(upper: Sequence[object], lower: Sequence[object]) -> bool:
        filled_up = [i for i, v in enumerate(upper) if clean_text(v)]
        gaps = [i for i in filled_up if i >= len(lower) or not clean_text(lower[i])]
        return (
            len(filled_up) >= 2
            and bool(gaps)
            and _is_header_like(lower)
            and (_is_header_like(upper))
        )

    if below and two_level(row, below):
        return index + 1, combine_header_rows(row, below)
    if above and _differs(above, row) and two_level(above, row):
        return index, combine_header_rows(above, row)
    return index, [clean_text(v) for v in row]


def _differs(upper: Sequence[object], lower: Sequence[object]) -> bool:
    return [clean_text(v) for v in upper] != [clean_text(v) for v in lower]


def column_letter(index: int) -> str:
    """A column's spreadsheet letter: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


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
