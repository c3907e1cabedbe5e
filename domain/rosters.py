"""基础数据 rosters (住户、人员、服务点): columns, header synonyms, row checks and fingerprints.

Pure Python, built on the case ledger's reading rules (``domain.ledger_import``): any header row,
synonyms, 繁→简, full-width digits. Each row becomes a ``RosterRow`` (clean values and a
``roster_key`` fingerprint of its identifying fields) or a ``RosterRefusal`` with its row number
and every Chinese reason. Importing the same roster twice adds nothing: rows whose key is already
stored are skipped by the service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from domain.ledger_import import (
    NameIndex,
    RowError,
    clean_text,
    name_key,
    normalize_header,
    parse_date,
    parse_phone,
    to_simplified,
)
from domain.reference import PersonKind, ServicePointKind, TargetGroup


class Roster(StrEnum):
    """A kind of roster a 社区 keeps in Excel."""

    HOUSEHOLDS = "households"
    PEOPLE = "people"
    SERVICE_POINTS = "service_points"

    @property
    def label(self) -> str:
        return {"households": "住户台账", "people": "人员名册", "service_points": "服务点"}[
            self.value
        ]


@dataclass(frozen=True)
class Column:
    """A roster column: its key, Chinese header, synonyms, whether required, and an example value."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    example: str
    required: bool = False


TAG_WORDS: dict[str, str] = {
    "低保户": TargetGroup.LOW_INCOME.value,
    "低保": TargetGroup.LOW_INCOME.value,
    "残疾人": TargetGroup.DISABLED.value,
    "残疾": TargetGroup.DISABLED.value,
    "空巢老人": TargetGroup.ELDERLY_ALONE.value,
    "独居老人": TargetGroup.ELDERLY_ALONE.value,
    "三无老人": TargetGroup.ELDERLY_ALONE.value,
    "流动儿童": TargetGroup.MIGRANT_CHILD.value,
    "下岗失业": TargetGroup.UNEMPLOYED.value,
    "下岗失业人员": TargetGroup.UNEMPLOYED.value,
    "单亲困难母亲": TargetGroup.SINGLE_MOTHER.value,
    "单亲困难妇女": TargetGroup.SINGLE_MOTHER.value,
    "退役军人": "veteran",
    "特困党员": TargetGroup.POOR_PARTY_MEMBER.value,
}
"""Words of a household's 类别 (or a tag column's header) → the stored ``household_tags.tag``."""

TAG_COLUMNS = ("低保户", "残疾人", "空巢老人", "独居老人", "流动儿童", "下岗失业", "单亲困难母亲", "退役军人", "特困党员")  # fmt: skip
_YES = frozenset({"是", "√", "✓", "✔", "1", "Y", "YES", "有", "○", "●"})

PERSON_KIND_WORDS: dict[str, str] = {
    "工作人员": PersonKind.STAFF.value,
    "两委成员": PersonKind.STAFF.value,
    "社区干部": PersonKind.STAFF.value,
    "网格员": PersonKind.GRID_WORKER.value,
    "专职网格员": PersonKind.GRID_WORKER.value,
    "党员": PersonKind.PARTY_MEMBER.value,
    "两代表一委员": PersonKind.DEPUTY.value,
    "代表": PersonKind.DEPUTY.value,
    "人大代表": PersonKind.DEPUTY.value,
    "党代表": PersonKind.DEPUTY.value,
    "政协委员": PersonKind.DEPUTY.value,
    "委员": PersonKind.DEPUTY.value,
    "代表委员": PersonKind.DEPUTY.value,
    "民情信息员": "informant",
    "信息员": "informant",
    "楼栋长": "building_head",
    "志愿者": "volunteer",
}
"""Words of a person's 类别 → ``people.kind``."""

PERSON_KIND_LABELS: dict[str, str] = {
    PersonKind.STAFF.value: "两委成员/工作人员",
    PersonKind.GRID_WORKER.value: "网格员",
    PersonKind.PARTY_MEMBER.value: "党员",
    PersonKind.DEPUTY.value: "两代表一委员",
    "informant": "民情信息员",
    "building_head": "楼栋长",
    "volunteer": "志愿者",
}

PARTY_STATUSES = ("在职", "离退休", "流动")
_PARTY_STATUS_WORDS = {"在职": "在职", "在职党员": "在职", "离退休": "离退休", "退休": "离退休", "离休": "离退休", "流动": "流动", "流动党员": "流动"}  # fmt: skip

SERVICE_POINT_WORDS: dict[str, str] = {k.label: k.value for k in ServicePointKind}


def kind_label(kind: str) -> str:
    """The Chinese name of a stored service point kind (an admin's own kind shown as typed)."""
    try:
        return ServicePointKind(kind).label
    except ValueError:
        return kind


COLUMNS: dict[Roster, tuple[Column, ...]] = {
    Roster.HOUSEHOLDS: (
        Column("head_name", "户主", ("户主", "户主姓名", "姓名", "户主名"), "张桂英", True),
        Column("estate", "小区", ("小区", "小区名称", "院落"), "文盛小区"),
        Column("building", "楼栋", ("楼栋", "楼号", "栋", "幢", "楼栋号"), "3栋"),
        Column("unit", "单元", ("单元", "单元号"), "2单元"),
        Column("room", "室", ("室", "房号", "门牌号", "房间号", "户号"), "301"),
        Column("address", "地址", ("地址", "住址", "家庭住址", "详细地址"), ""),
        Column("members", "人口数", ("人口数", "人口", "家庭人口", "人数", "户内人口"), "3"),
        Column("phone", "联系电话", ("联系电话", "电话", "手机", "手机号", "联系方式"), "13907310001"),
        Column("grid_cell", "所属网格", ("所属网格", "网格", "网格名称", "所在网格"), "第一网格", True),
        Column("tags", "类别", ("类别", "人员类别", "户类别", "困难类别", "特殊人群"), "低保户、独居老人"),
    ),
    Roster.PEOPLE: (
        Column("name", "姓名", ("姓名", "名字"), "李红", True),
        Column("kind", "类别", ("类别", "身份", "人员类别", "类型"), "党员"),
        Column("phone", "联系电话", ("联系电话", "电话", "手机", "手机号", "联系方式"), "13907310002"),
        Column("title", "职务", ("职务", "职位", "头衔", "代表职务"), ""),
        Column("party_branch", "支部", ("支部", "所在支部", "党支部"), "第一党支部"),
        Column("party_group", "党小组", ("党小组", "小组"), "第二党小组"),
        Column("joined_party_on", "入党时间", ("入党时间", "入党日期"), "1998-07-01"),
        Column("party_status", "党员状态", ("党员状态", "在职离退休流动", "党员类别", "状态"), "离退休"),
        Column("service_scope", "服务范围", ("服务范围", "联系范围", "联系片区"), ""),
    ),
    Roster.SERVICE_POINTS: (
        Column("name", "名称", ("名称", "服务点名称", "站点名称", "站点"), "文盛社区党员服务站", True),
        Column("kind", "类型", ("类型", "类别", "服务点类型", "种类"), "党员服务站", True),
        Column("latitude", "纬度", ("纬度", "lat", "LAT"), "28.2012"),
        Column("longitude", "经度", ("经度", "lon", "lng", "LON"), "112.9015"),
        Column("address", "地址", ("地址", "位置", "详细地址"), "文盛路 18 号"),
    ),
}  # fmt: skip
"""Each roster's columns in template order."""

MAX_TEXT = {"head_name": 40, "name": 60, "building": 30, "unit": 20, "room": 20, "address": 200,
            "title": 40, "party_branch": 60, "party_group": 60, "service_scope": 200, "kind": 20,
            "estate": 60}  # fmt: skip


def column_of(roster: Roster, header: object) -> str | None:
    """The column key a header names (exact synonym, then a tag column for households)."""
    key = normalize_header(header)
    if not key:
        return None
    for column in COLUMNS[roster]:
        if key in column.synonyms or key == column.label:
            return column.key
    if roster is Roster.HOUSEHOLDS and key in TAG_WORDS:
        return f"tag:{TAG_WORDS[key]}"
    return None


def find_header(roster: Roster, rows: Sequence[Sequence[object]], scan: int = 20) -> int | None:
    """Index of the row naming the most columns of ``roster`` (at least two) among the first rows."""
    best: tuple[int, int] | None = None
    for index, row in enumerate(rows[:scan]):
        found = {column_of(roster, v) for v in row} - {None}
        if len(found) >= 2 and (best is None or len(found) > best[0]):
            best = (len(found), index)
    return best[1] if best else None


def missing_columns(roster: Roster, headers: Sequence[object]) -> list[str]:
    """Required column labels the header row lacks."""
    found = {column_of(roster, h) for h in headers}
    return [c.label for c in COLUMNS[roster] if c.required and c.key not in found]


@dataclass(frozen=True)
class RosterRow:
    """A roster row ready to store: clean values, its fingerprint, and warnings (e.g. near names)."""

    row_number: int
    roster_key: str
    values: Mapping[str, object]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterRefusal:
    """A refused row: its number in the file, what it showed and every reason (Chinese)."""

    row_number: int
    shown: str
    reasons: tuple[str, ...]


@dataclass
class RosterResult:
    """All rows of a roster file, parsed or refused."""

    rows: list[RosterRow] = field(default_factory=list)
    refused: list[RosterRefusal] = field(default_factory=list)


def fingerprint(community_id: int, roster: Roster, *parts: object) -> str:
    """A stable key of the normalised identifying fields within a 社区 (``roster_key``)."""
    text = "|".join([str(community_id), roster.value, *(name_key(p) for p in parts)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(values: Mapping[str, object], key: str, errors: list[str], label: str) -> str | None:
    text = to_simplified(clean_text(values.get(key)))
    if not text:
        return None
    limit = MAX_TEXT.get(key)
    if limit and len(text) > limit:
        errors.append(f"「{label}」超过 {limit} 字")
    return text


def _tags(values: Mapping[str, object], errors: list[str]) -> list[str]:
    tags: list[str] = []
    for word in _split(values.get("tags")):
        tag = TAG_WORDS.get(word)
        if tag is None:
            errors.append(f"类别「{word}」无法识别（可填：{'、'.join(TAG_COLUMNS)}）")
        elif tag not in tags:
            tags.append(tag)
    for key, value in values.items():
        mark = clean_text(value).upper()
        if key.startswith("tag:") and mark and mark in _YES and key[4:] not in tags:
            tags.append(key[4:])
    return tags


def _split(value: object) -> list[str]:
    text = to_simplified(clean_text(value))
    for sep in "，,、;；/ ":
        text = text.replace(sep, "|")
    return [w for w in text.split("|") if w]


def _count(value: object, errors: list[str]) -> int:
    text = clean_text(value).removesuffix("人").removesuffix("口")
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 30:
        errors.append(f"人口数「{clean_text(value)}」应为 1–30 的整数")
        return 1
    return int(text)


def _coordinate(
    value: object, label: str, low: float, high: float, errors: list[str]
) -> float | None:
    text = clean_text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        errors.append(f"{label}「{text}」不是数字")
        return None
    if not low <= number <= high:
        errors.append(f"{label}「{text}」不在中国境内的范围（{low}–{high}）")
        return None
    return number


def parse_roster_row(
    roster: Roster,
    values: Mapping[str, object],
    *,
    community_id: int,
    cells: NameIndex,
    default_kind: str | None = None,
) -> tuple[dict[str, object], list[str], list[str]]:
    """(clean values, reasons to refuse, warnings) of one row keyed by column."""
    errors: list[str] = []
    warnings: list[str] = []
    labels = {c.key: c.label for c in COLUMNS[roster]}
    clean: dict[str, object] = {}
    for key in labels:
        if key not in (
            "members",
            "phone",
            "grid_cell",
            "tags",
            "latitude",
            "longitude",
            "joined_party_on",
        ):
            clean[key] = _text(values, key, errors, labels[key])
    for column in COLUMNS[roster]:
        if column.required and not clean_text(values.get(column.key)):
            errors.append(f"缺少「{column.label}」")
    if "phone" in labels:
        try:
            clean["phone"] = parse_phone(values.get("phone"))
        except RowError as exc:
            errors.append(str(exc))
    if roster is Roster.HOUSEHOLDS:
        clean["members"] = _count(values.get("members"), errors)
        clean["tags"] = _tags(values, errors)
        if clean_text(values.get("grid_cell")):
            try:
                clean["grid_cell_id"], warning = cells.resolve(values.get("grid_cell"))
                if warning:
                    warnings.append(warning)
            except RowError as exc:
                errors.append(str(exc))
        place = [clean.get(k) for k in ("estate", "building", "unit", "room")]
        if not any(place) and not clean.get("address"):
            errors.append("缺少住址：请填写「地址」或「小区/楼栋/单元/室」")
        if not clean.get("address"):
            clean["address"] = "".join(str(p) for p in place if p) or None
        if not clean.get("building"):
            clean["building"] = str(clean.get("estate") or clean.get("address") or "")[:30]
    elif roster is Roster.PEOPLE:
        kind_word = str(clean.get("kind") or "")
        kind = PERSON_KIND_WORDS.get(kind_word) if kind_word else default_kind
        if kind is None:
            errors.append(
                f"类别「{kind_word}」无法识别（可填：{'、'.join(sorted(set(PERSON_KIND_LABELS.values())))}）"
                if kind_word
                else "缺少「类别」（或在导入时选择名册类别）"
            )
        clean["kind"] = kind
        if clean_text(values.get("joined_party_on")):
            try:
                clean["joined_party_on"] = parse_date(
                    values.get("joined_party_on"), "入党时间"
                ).value.date()
            except RowError as exc:
                errors.append(str(exc))
        status = clean.get("party_status")
        if status:
            if status not in _PARTY_STATUS_WORDS:
                errors.append(f"党员状态「{status}」应为 在职、离退休 或 流动")
            else:
                clean["party_status"] = _PARTY_STATUS_WORDS[str(status)]
    else:
        lat = _coordinate(values.get("latitude"), "纬度", 3.0, 54.0, errors)
        lon = _coordinate(values.get("longitude"), "经度", 73.0, 136.0, errors)
        if (lat is None) != (lon is None) and not errors:
            errors.append("经度和纬度须同时填写")
        if lat is None and lon is None and not clean.get("address") and not errors:
            errors.append("缺少位置：请填写经纬度或「地址」")
        clean["latitude"], clean["longitude"] = lat, lon
        clean["kind"] = SERVICE_POINT_WORDS.get(str(clean.get("kind") or ""), clean.get("kind"))
    return clean, errors, warnings


def roster_key(roster: Roster, community_id: int, clean: Mapping[str, object]) -> str:
    """The fingerprint of a row's identifying fields."""
    if roster is Roster.HOUSEHOLDS:
        parts = [
            clean.get(k)
            for k in ("grid_cell_id", "head_name", "estate", "building", "unit", "room", "address")
        ]
    elif roster is Roster.PEOPLE:
        parts = [clean.get("kind"), clean.get("name"), clean.get("phone")]
    else:
        parts = [clean.get("kind"), clean.get("name")]
    return fingerprint(community_id, roster, *(p or "" for p in parts))


def parse_roster(
    roster: Roster,
    headers: Sequence[object],
    rows: Sequence[tuple[int, Sequence[object]]],
    *,
    community_id: int,
    cells: NameIndex,
    default_kind: str | None = None,
) -> RosterResult:
    """Every row of a roster: parsed (with its key) or refused with its reasons; blank rows skipped."""
    mapping = {i: key for i, h in enumerate(headers) if (key := column_of(roster, h))}
    result = RosterResult()
    seen: dict[str, int] = {}
    for number, row in rows:
        values = {key: row[i] if i < len(row) else None for i, key in mapping.items()}
        if not any(clean_text(v) for v in values.values()):
            continue
        clean, errors, warnings = parse_roster_row(
            roster, values, community_id=community_id, cells=cells, default_kind=default_kind
        )
        shown = "，".join(clean_text(v) for v in values.values() if clean_text(v))[:80]
        if not errors:
            key = roster_key(roster, community_id, clean)
            if key in seen:
                errors.append(f"与第 {seen[key]} 行重复")
            else:
                seen[key] = number
                result.rows.append(RosterRow(number, key, clean, tuple(warnings)))
                continue
        result.refused.append(RosterRefusal(number, shown, tuple(errors)))
    return result


def template_rows(roster: Roster) -> tuple[list[str], list[str]]:
    """The template's Chinese headers and its example row."""
    columns = COLUMNS[roster]
    return [c.label for c in columns], [c.example for c in columns]


def is_instruction_sheet(name: str) -> bool:
    """A sheet of explanations (填表说明), not data."""
    key = to_simplified(name)
    return any(word in key for word in ("说明", "填表", "示例说明", "注意事项"))
