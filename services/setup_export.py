"""导出全部设置 / 导入设置: the whole setup of a 街道 as one .xlsx workbook plus the cells'
boundaries as GeoJSON (both in one .zip), and its import into an empty database through the same
services the admin pages use (territory, rosters, calendar), all or nothing.

The workbook's roster sheets (住户台账, 人员名册, 服务点 of each 社区) carry exactly the headers of
the 基础数据 templates, so each one can also be imported on its own there. The territory sheets
(街道与社区, 网格, 楼栋) and 工作日历 are this export's own; 目录 says which sheet is which.
Carried: what is in use plus retired grid cells and buildings (cases and households keep their
cell). Not carried: retired people, households and service points, users (no roster exists for
them: create them again from the people), the boundaries of retired cells.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import GridCell
from db.queries.setup_export import (
    SetupSnapshot,
    cell_ids,
    community_ids,
    household_cell_names,
    people_in_use,
    setup_is_empty,
)
from db.queries.territory_admin import known_cells
from domain import geo
from domain.boundary_files import Feature, read_boundaries
from domain.boundary_plan import KnownCell, plan_boundaries
from domain.errors import CaseError
from domain.ledger_import import NameIndex, clean_text
from domain.people import post_label
from domain.reference import ServicePost
from domain.roles import Actor, Role
from domain.rosters import (
    PERSON_KIND_WORDS,
    TAG_WORDS,
    Roster,
    RosterResult,
    kind_label,
    parse_roster,
    template_rows,
)
from services import territory
from services.calendar import save_days
from services.history import record_change
from services.people import set_service_post
from services.rosters import RosterError, RosterFile, import_roster, roster_sheet
from services.tabular import MAX_FILE_BYTES, TableFileError, read_sheets

WORKBOOK = "设置导出.xlsx"
BOUNDARIES = "网格边界.geojson"
RETIRED_BOUNDARIES = "已停用网格边界.geojson"
ARCHIVE = "全部设置.zip"

INDEX_SHEET = "目录"
INDEX_HEADERS = ("工作表", "名册", "社区编码")
TERRITORY_SHEET = "街道与社区"
TERRITORY_HEADERS = ("街道", "社区名称", "社区编码")
CELL_SHEET = "网格"
CELL_HEADERS = (
    "社区编码",
    "网格编码",
    "网格名称",
    "顺序",
    "片长",
    "民情搜集义务人",
    "状态",
    "并入网格",
)
BUILDING_SHEET = "楼栋"
BUILDING_HEADERS = ("网格编码", "楼栋", "楼栋长", "状态")
POST_SHEET = "设岗定责"
POST_HEADERS = ("人员", "岗位")
CALENDAR_SHEET = "工作日历"
CALENDAR_HEADERS = ("日期", "类型", "名称")
NOTES_SHEET = "填表说明"
IN_USE, RETIRED = "在用", "已停用"
WORKDAY, HOLIDAY = "上班", "放假"
ROSTER_ORDER = (Roster.HOUSEHOLDS, Roster.PEOPLE, Roster.SERVICE_POINTS)

_TAG_WORD = {tag: word for word, tag in reversed(list(TAG_WORDS.items()))}
"""Stored tag → the first word that imports as it (低保户, 空巢老人, …)."""
_KIND_WORD = {kind: word for word, kind in reversed(list(PERSON_KIND_WORDS.items()))}
"""Stored person kind → the first word that imports as it (工作人员, 网格员, 党员, …)."""


class SetupError(ValueError):
    """A refused setup file or import; the message is Chinese."""


# ---------------------------------------------------------------- people named in the sheets


def person_labels(people: Iterable[tuple[int, str, str | None, str, str]]) -> dict[int, str]:
    """id → how the 网格 and 楼栋 sheets name a person: the name, or with phone, kind and 社区
    added until it is unique. ``people``: (id, name, phone, kind, 社区 code)."""
    rows = list(people)

    def level(row: tuple[int, str, str | None, str, str], depth: int) -> str:
        _, name, phone, kind, code = row
        extra = [phone or "无电话", _KIND_WORD.get(kind, kind), code][:depth]
        return f"{name}（{'，'.join(extra)}）" if extra else name

    labels: dict[int, str] = {}
    for depth in range(4):
        counts = Counter(level(r, depth) for r in rows if r[0] not in labels)
        for row in rows:
            if row[0] not in labels and (counts[level(row, depth)] == 1 or depth == 3):
                labels[row[0]] = level(row, depth)
    return labels


# ---------------------------------------------------------------- export


def _sheet_title(label: str, code: str, taken: set[str]) -> str:
    base = f"{label}·" + "".join("_" if ch in "[]:*?/\\" else ch for ch in code)
    title, n = base[:31], 1
    while title.lower() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(title.lower())
    return title


def _roster_rows(snapshot: SetupSnapshot, roster: Roster, code: str) -> list[list[object]]:
    keys = {
        Roster.HOUSEHOLDS: (
            "head_name",
            "estate",
            "building",
            "unit",
            "room",
            "address",
            "members",
            "phone",
            "grid_cell",
            "tags",
        ),
        Roster.PEOPLE: (
            "name",
            "kind",
            "phone",
            "title",
            "party_branch",
            "party_group",
            "joined_party_on",
            "party_status",
            "service_scope",
        ),
        Roster.SERVICE_POINTS: ("name", "kind", "latitude", "longitude", "address"),
    }[roster]
    out: list[list[object]] = []
    if roster is Roster.HOUSEHOLDS:
        for h in snapshot.households:
            if h.community_code == code:
                values: dict[str, object] = {
                    "head_name": h.head_name,
                    "building": h.building,
                    "unit": h.unit,
                    "room": h.room,
                    "address": h.address,
                    "members": h.members,
                    "phone": h.phone,
                    "grid_cell": h.cell_code if h.cell_retired else h.cell_name,
                    "tags": "、".join(_TAG_WORD.get(t, t) for t in h.tags),
                }
                out.append([values.get(k) or "" for k in keys])
    elif roster is Roster.PEOPLE:
        for p in snapshot.people:
            if p.community_code == code:
                values = {
                    "name": p.name,
                    "kind": _KIND_WORD.get(p.kind, p.kind),
                    "phone": p.phone,
                    "title": p.title,
                    "party_branch": p.party_branch,
                    "party_group": p.party_group,
                    "party_status": p.party_status,
                    "joined_party_on": p.joined_party_on.isoformat() if p.joined_party_on else "",
                    "service_scope": p.service_scope,
                }
                out.append([values.get(k) or "" for k in keys])
    else:
        for s in snapshot.points:
            if s.community_code == code:
                values = {
                    "name": s.name,
                    "kind": kind_label(s.kind),
                    "latitude": s.latitude,
                    "longitude": s.longitude,
                }
                out.append([values.get(k, "") for k in keys])
    return out


def setup_workbook(snapshot: SetupSnapshot) -> bytes:
    """The setup as one workbook: 目录, 街道与社区, 网格, 楼栋, each 社区's rosters, 工作日历."""
    labels = person_labels(
        (p.id, p.name, p.phone, p.kind, p.community_code) for p in snapshot.people
    )
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = NOTES_SHEET
    for line in (
        "本文件由「初始化向导 › 导出全部设置」生成，可在空数据库的「导入设置」中整体导入。",
        "住户台账、人员名册、服务点各工作表的列名与「基础数据」模板相同，也可单独导入（导入时选择对应社区）。",
        "设岗定责、工作日历与网格、楼栋一样，只能随整个文件导入。",
        "「目录」说明每个名册工作表属于哪个社区；网格、楼栋中的人员按人员名册中的姓名填写（重名时附电话等）。",
        "只导出在用的人员、住户和服务点；已停用的网格和楼栋一并导出；用户和密码不导出。",
    ):
        notes.append([line])
    index = book.create_sheet(INDEX_SHEET)
    index.append(list(INDEX_HEADERS))
    territory_sheet = book.create_sheet(TERRITORY_SHEET)
    territory_sheet.append(list(TERRITORY_HEADERS))
    for name, code in snapshot.communities:
        territory_sheet.append([snapshot.subdistrict or "", name, code])
    cells = book.create_sheet(CELL_SHEET)
    cells.append(list(CELL_HEADERS))
    for c in snapshot.cells:
        cells.append(
            [
                c.community_code,
                c.code,
                c.name,
                c.position if c.position is not None else "",
                labels.get(c.leader_id, "") if c.leader_id else "",
                "、".join(labels[p] for p in c.collector_ids if p in labels),
                RETIRED if c.retired else IN_USE,
                c.successor_code or "",
            ]
        )
    buildings = book.create_sheet(BUILDING_SHEET)
    buildings.append(list(BUILDING_HEADERS))
    for b in snapshot.buildings:
        head = labels.get(b.head_id, "") if b.head_id else ""
        buildings.append([b.cell_code, b.name, head, RETIRED if b.retired else IN_USE])
    posts = book.create_sheet(POST_SHEET)
    posts.append(list(POST_HEADERS))
    for p in snapshot.people:
        if p.service_post:
            posts.append([labels[p.id], post_label(p.service_post) or p.service_post])
    taken = {s.lower() for s in book.sheetnames} | {CALENDAR_SHEET}
    for roster in ROSTER_ORDER:
        for _, code in snapshot.communities:
            title = _sheet_title(roster.label, code, taken)
            sheet = book.create_sheet(title)
            sheet.append(template_rows(roster)[0])
            for row in _roster_rows(snapshot, roster, code):
                sheet.append(row)
            index.append([title, roster.label, code])
    calendar = book.create_sheet(CALENDAR_SHEET)
    calendar.append(list(CALENDAR_HEADERS))
    for day, workday, name in snapshot.calendar:
        calendar.append([day.isoformat(), WORKDAY if workday else HOLIDAY, name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def setup_zip(snapshot: SetupSnapshot) -> bytes:
    """The export as one .zip: 设置导出.xlsx, 网格边界.geojson (WGS-84, the cells in use) and,
    if any, 已停用网格边界.geojson (the drawn boundaries of retired cells)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(WORKBOOK, setup_workbook(snapshot))
        archive.writestr(BOUNDARIES, json.dumps(snapshot.boundaries, ensure_ascii=False, indent=1))
        if snapshot.retired_boundaries.get("features"):
            retired = json.dumps(snapshot.retired_boundaries, ensure_ascii=False, indent=1)
            archive.writestr(RETIRED_BOUNDARIES, retired)
    return out.getvalue()


# ---------------------------------------------------------------- reading an export


@dataclass(frozen=True)
class CellSpec:
    """A row of the 网格 sheet."""

    community_code: str
    code: str
    name: str
    position: int | None
    leader: str
    collectors: tuple[str, ...]
    retired: bool
    successor_code: str


@dataclass(frozen=True)
class BuildingSpec:
    """A row of the 楼栋 sheet."""

    cell_code: str
    name: str
    head: str
    retired: bool


@dataclass
class SetupPlan:
    """What 导入设置 would write, checked against itself; ``problems`` (Chinese) forbid it."""

    subdistrict: str
    communities: list[tuple[str, str]] = field(default_factory=list)
    cells: list[CellSpec] = field(default_factory=list)
    buildings: list[BuildingSpec] = field(default_factory=list)
    rosters: list[tuple[str, Roster, RosterFile]] = field(default_factory=list)
    calendar: dict[dt.date, tuple[bool, str]] = field(default_factory=dict)
    posts: dict[str, str] = field(default_factory=dict)
    """Person (as the sheets name them) → 设岗定责 post code."""
    features: list[Feature] = field(default_factory=list)
    retired_features: dict[str, Feature] = field(default_factory=dict)
    """Cell code → the drawn boundary a retired cell had."""
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


Row = tuple[int, dict[str, str]]


def _table(
    sheets: Mapping[str, Sequence[Sequence[object]]], name: str, headers: Sequence[str]
) -> list[Row]:
    """The sheet's rows by header (first row must carry every header); blank rows dropped."""
    rows = sheets.get(name)
    if rows is None:
        raise SetupError(f"这不是导出的设置文件：缺少工作表「{name}」")
    head = [clean_text(h) for h in rows[0]] if rows else []
    missing = [h for h in headers if h not in head]
    if missing:
        raise SetupError(f"工作表「{name}」缺少列：{'、'.join(missing)}")
    out: list[Row] = []
    for number, row in enumerate(rows[1:], start=2):
        values = {h: clean_text(row[i]) if i < len(row) else "" for i, h in enumerate(head)}
        if any(values.get(h) for h in headers):
            out.append((number, values))
    return out


def _unpack(data: bytes, filename: str) -> tuple[bytes, bytes | None, bytes | None]:
    """(workbook, boundaries, retired cells' boundaries) of an upload."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return data, None, None
    if not name.endswith(".zip"):
        raise SetupError(f"请上传导出的「{ARCHIVE}」（或其中的「{WORKBOOK}」）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {i.filename.rsplit("/", 1)[-1]: i for i in archive.infolist()}
        book = members.get(WORKBOOK) or next(
            (i for n, i in members.items() if n.lower().endswith(".xlsx")), None
        )
        if book is None:
            raise SetupError(f"压缩包中没有「{WORKBOOK}」")
        found = [book, members.get(BOUNDARIES), members.get(RETIRED_BOUNDARIES)]
        for info in found:
            if info is not None and info.file_size > MAX_FILE_BYTES:
                raise SetupError(f"压缩包中的「{info.filename}」过大")
        book_data, shapes, retired = (archive.read(i) if i else None for i in found)
        assert book_data is not None
        return book_data, shapes, retired
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise SetupError("压缩包无法打开，请上传导出的 .zip 文件") from exc


def _read_territory(plan: SetupPlan, sheets: Mapping[str, Sequence[Sequence[object]]]) -> None:
    seen_names: set[str] = set()
    for number, v in _table(sheets, TERRITORY_SHEET, TERRITORY_HEADERS):
        where = f"工作表「{TERRITORY_SHEET}」第 {number} 行"
        plan.subdistrict = plan.subdistrict or v["街道"]
        name, code = v["社区名称"], v["社区编码"]
        if not name or not code:
            plan.problems.append(f"{where}：缺少社区名称或社区编码")
        elif name in seen_names or code in dict(plan.communities).values():
            plan.problems.append(f"{where}：社区「{name}（{code}）」重复")
        else:
            seen_names.add(name)
            plan.communities.append((name, code))
    if not plan.subdistrict:
        plan.problems.append(f"工作表「{TERRITORY_SHEET}」缺少街道名称")
    codes = {code for _, code in plan.communities}
    for number, v in _table(sheets, CELL_SHEET, CELL_HEADERS):
        where = f"工作表「{CELL_SHEET}」第 {number} 行"
        position = v["顺序"]
        spec = CellSpec(
            v["社区编码"],
            v["网格编码"],
            v["网格名称"],
            int(position) if position.isdigit() else None,
            v["片长"],
            tuple(p for p in v["民情搜集义务人"].split("、") if p),
            v["状态"] == RETIRED,
            v["并入网格"],
        )
        if spec.community_code not in codes:
            plan.problems.append(
                f"{where}：社区编码「{spec.community_code}」不在「{TERRITORY_SHEET}」中"
            )
        elif not spec.code or not spec.name:
            plan.problems.append(f"{where}：缺少网格编码或网格名称")
        elif spec.code in {c.code for c in plan.cells}:
            plan.problems.append(f"{where}：网格编码「{spec.code}」重复")
        elif v["状态"] not in (IN_USE, RETIRED):
            plan.problems.append(f"{where}：状态「{v['状态']}」应为 {IN_USE} 或 {RETIRED}")
        elif position and spec.position is None:
            plan.problems.append(f"{where}：顺序「{position}」应为正整数")
        else:
            plan.cells.append(spec)
    active: set[tuple[str, str]] = set()
    for spec in plan.cells:
        if not spec.retired:
            if (spec.community_code, spec.name) in active:
                plan.problems.append(
                    f"社区「{spec.community_code}」有两个在用的网格「{spec.name}」"
                )
            active.add((spec.community_code, spec.name))
        if spec.successor_code and spec.successor_code not in {c.code for c in plan.cells}:
            plan.problems.append(f"网格「{spec.name}」并入的网格「{spec.successor_code}」不存在")
    known = {c.code for c in plan.cells}
    for number, v in _table(sheets, BUILDING_SHEET, BUILDING_HEADERS):
        where = f"工作表「{BUILDING_SHEET}」第 {number} 行"
        if v["网格编码"] not in known:
            plan.problems.append(f"{where}：网格编码「{v['网格编码']}」不在「{CELL_SHEET}」中")
        elif not v["楼栋"]:
            plan.problems.append(f"{where}：缺少楼栋名称")
        else:
            plan.buildings.append(
                BuildingSpec(v["网格编码"], v["楼栋"], v["楼栋长"], v["状态"] == RETIRED)
            )


def _read_rosters(plan: SetupPlan, sheets: Mapping[str, Sequence[Sequence[object]]]) -> None:
    codes = [code for _, code in plan.communities]
    labels = {r.label: r for r in Roster}
    people: list[tuple[int, str, str | None, str, str]] = []
    fake_cells = {
        code: {
            c.name: i
            for i, c in enumerate(plan.cells, 1)
            if c.community_code == code and not c.retired
        }
        | {c.code: i for i, c in enumerate(plan.cells, 1) if c.community_code == code}
        for code in codes
    }
    for number, v in _table(sheets, INDEX_SHEET, INDEX_HEADERS):
        where = f"工作表「{INDEX_SHEET}」第 {number} 行"
        roster, code, title = labels.get(v["名册"]), v["社区编码"], v["工作表"]
        if roster is None or code not in codes or title not in sheets:
            plan.problems.append(
                f"{where}：工作表「{title}」、名册「{v['名册']}」或社区编码「{code}」不对"
            )
            continue
        try:
            found = roster_sheet(title, sheets[title], roster)
        except RosterError as exc:
            plan.problems.append(str(exc))
            continue
        if found is None:
            plan.problems.append(f"工作表「{title}」没有{roster.label}的表头")
            continue
        plan.rosters.append((code, roster, found))
        result = _parse(roster, found, codes.index(code) + 1, NameIndex(fake_cells[code], "网格"))
        plan.counts[roster.label] = plan.counts.get(roster.label, 0) + len(result.rows)
        plan.problems.extend(
            f"工作表「{title}」第 {r.row_number} 行：{'；'.join(r.reasons)}" for r in result.refused
        )
        if roster is Roster.PEOPLE:
            for r in result.rows:
                people.append(
                    (
                        len(people) + 1,
                        str(r.values["name"]),
                        _opt(r.values.get("phone")),
                        str(r.values["kind"]),
                        code,
                    )
                )
    named = set(person_labels(people).values())
    for spec in plan.cells:
        for label in (spec.leader, *spec.collectors):
            if label and label not in named:
                plan.problems.append(f"网格「{spec.name}」的人员「{label}」不在人员名册中")
        if spec.collectors and len(spec.collectors) != 2:
            plan.problems.append(f"网格「{spec.name}」须有两名民情搜集义务人")
    for b in plan.buildings:
        if b.head and b.head not in named:
            plan.problems.append(f"楼栋「{b.name}」的楼栋长「{b.head}」不在人员名册中")
    if POST_SHEET in sheets:
        _read_posts(plan, sheets, named)


def _read_posts(
    plan: SetupPlan, sheets: Mapping[str, Sequence[Sequence[object]]], named: set[str]
) -> None:
    codes = {post.label: post.value for post in ServicePost}
    for number, v in _table(sheets, POST_SHEET, POST_HEADERS):
        where = f"工作表「{POST_SHEET}」第 {number} 行"
        if v["人员"] not in named:
            plan.problems.append(f"{where}：人员「{v['人员']}」不在人员名册中")
        elif v["岗位"] not in codes:
            plan.problems.append(f"{where}：岗位「{v['岗位']}」应为 {'、'.join(codes)} 之一")
        else:
            plan.posts[v["人员"]] = codes[v["岗位"]]


def _opt(value: object) -> str | None:
    return str(value) if value else None


def _parse(roster: Roster, table: RosterFile, community_id: int, cells: NameIndex) -> RosterResult:
    return parse_roster(roster, table.headers, table.rows, community_id=community_id, cells=cells)


def _read_calendar(plan: SetupPlan, sheets: Mapping[str, Sequence[Sequence[object]]]) -> None:
    if CALENDAR_SHEET not in sheets:
        return
    for number, v in _table(sheets, CALENDAR_SHEET, CALENDAR_HEADERS):
        where = f"工作表「{CALENDAR_SHEET}」第 {number} 行"
        try:
            day = dt.date.fromisoformat(v["日期"][:10])
        except ValueError:
            plan.problems.append(f"{where}：日期「{v['日期']}」应为 年-月-日")
            continue
        if v["类型"] not in (WORKDAY, HOLIDAY):
            plan.problems.append(f"{where}：类型「{v['类型']}」应为 {WORKDAY} 或 {HOLIDAY}")
            continue
        plan.calendar[day] = (v["类型"] == WORKDAY, v["名称"][:40] or v["类型"])


def _read_boundaries(plan: SetupPlan, data: bytes) -> None:
    try:
        plan.features = read_boundaries(BOUNDARIES, data)
    except geo.BoundaryError as exc:
        plan.problems.append(f"「{BOUNDARIES}」：{exc}")
        return
    placeholder: geo.Geometry = {"type": "Polygon", "coordinates": [], geo.SCHEMATIC: True}
    known = [
        KnownCell(
            i,
            [code for _, code in plan.communities].index(c.community_code) + 1,
            c.code,
            c.name,
            placeholder,
            c.retired,
        )
        for i, c in enumerate(plan.cells, start=1)
    ]
    for index, (name, code) in enumerate(plan.communities, start=1):
        check = _boundary_plan(plan.features, index, name, code, known)
        if check.rows:
            plan.problems.extend(check.problems)
            plan.counts["边界"] = plan.counts.get("边界", 0) + len(check.rows)


def _read_retired_boundaries(plan: SetupPlan, data: bytes) -> None:
    retired = {c.code: c for c in plan.cells if c.retired}
    try:
        features = read_boundaries(RETIRED_BOUNDARIES, data)
    except geo.BoundaryError as exc:
        plan.problems.append(f"「{RETIRED_BOUNDARIES}」：{exc}")
        return
    for feature in features:
        code = feature.properties.get("编码", "")
        cell = retired.get(code)
        if cell is None:
            plan.problems.append(f"「{RETIRED_BOUNDARIES}」：网格「{code}」不是已停用的网格")
            continue
        found = geo.problem(feature.geometry, cell.name)
        if found:
            plan.problems.append(f"「{RETIRED_BOUNDARIES}」：{found}")
            continue
        plan.retired_features[code] = feature


def _boundary_plan(
    features: Sequence[Feature], community_id: int, name: str, code: str, cells: Sequence[KnownCell]
) -> Any:
    return plan_boundaries(
        features,
        key="编码",
        code_key="编码",
        name_key="名称",
        community_key="社区编码",
        crs=geo.Crs.WGS84,
        community_id=community_id,
        community_code=code,
        community_name=name,
        cells=cells,
    )


def read_setup(data: bytes, filename: str) -> SetupPlan:
    """Read an export (.zip, or its .xlsx alone: cells then stay on the schematic map) and check
    it whole; refused with a Chinese message when it is not an export at all."""
    book, shapes, retired = _unpack(data, filename)
    try:
        sheets = dict(read_sheets(book, WORKBOOK))
    except TableFileError as exc:
        raise SetupError(str(exc)) from exc
    plan = SetupPlan("")
    _read_territory(plan, sheets)
    _read_rosters(plan, sheets)
    _read_calendar(plan, sheets)
    if shapes is not None:
        _read_boundaries(plan, shapes)
    if retired is not None:
        _read_retired_boundaries(plan, retired)
    plan.counts = {
        "社区": len(plan.communities),
        "网格": len(plan.cells),
        "楼栋": len(plan.buildings),
        **plan.counts,
        "设岗定责": len(plan.posts),
        "日历": len(plan.calendar),
    }
    return plan


# ---------------------------------------------------------------- importing


@dataclass(frozen=True)
class SetupOutcome:
    """What 导入设置 wrote, by kind (社区, 网格, 人员名册, …)."""

    counts: dict[str, int]


def import_setup(
    session: Session, *, actor: Actor, plan: SetupPlan, now: dt.datetime
) -> SetupOutcome:
    """Write a checked plan into an empty database through the admin services; all or nothing
    (the services' commits become savepoints of one transaction)."""
    if actor.role is not Role.ADMIN or actor.community_id is not None:
        raise SetupError("只有街道的管理员可以导入全部设置")
    if plan.problems:
        raise SetupError(f"文件有 {len(plan.problems)} 处问题，请修正后重新上传")
    session.rollback()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        outer = conn.begin()
        if conn.dialect.name == "sqlite":  # pysqlite opens no transaction before a SAVEPOINT
            conn.exec_driver_sql("BEGIN")
        inner = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            counts = _write(inner, actor, plan, now)
            inner.close()
            outer.commit()
        except BaseException:
            inner.close()
            outer.rollback()
            raise
    clear_dashboard_cache()
    return SetupOutcome(counts)


def _write(session: Session, actor: Actor, plan: SetupPlan, now: dt.datetime) -> dict[str, int]:
    if not setup_is_empty(session):
        raise SetupError("数据库中已有社区或基础数据：导入设置只能用于空数据库")
    try:
        territory.create_subdistrict(session, actor=actor, name=plan.subdistrict, now=now)
        for name, code in plan.communities:
            territory.create_community(session, actor=actor, name=name, code=code, now=now)
        if plan.calendar:
            save_days(session, actor=actor, days=plan.calendar, now=now)
        counts: dict[str, int] = {"社区": len(plan.communities), "日历": len(plan.calendar)}
        counts.update(_import_rosters(session, actor, plan, (Roster.PEOPLE,), now))
        _write_posts(session, actor, plan, now)
        counts["设岗定责"] = len(plan.posts)
        _write_cells(session, actor, plan, now)
        counts["网格"], counts["楼栋"] = len(plan.cells), len(plan.buildings)
        counts["边界"] = _write_boundaries(session, actor, plan, now)
        counts.update(
            _import_rosters(session, actor, plan, (Roster.HOUSEHOLDS, Roster.SERVICE_POINTS), now)
        )
    except (territory.TerritoryError, RosterError, CaseError) as exc:
        raise SetupError(f"导入未完成，已全部撤销：{exc}") from exc
    return counts


def _import_rosters(
    session: Session, actor: Actor, plan: SetupPlan, which: tuple[Roster, ...], now: dt.datetime
) -> dict[str, int]:
    ids = community_ids(session)
    counts: dict[str, int] = {}
    for code, roster, table in plan.rosters:
        if roster not in which:
            continue
        names = (
            household_cell_names(session, community_id=ids[code])
            if roster is Roster.HOUSEHOLDS
            else {}
        )
        result = _parse(roster, table, ids[code], NameIndex(names, "网格"))
        if result.refused:
            first = result.refused[0]
            raise SetupError(
                f"工作表「{table.sheet}」第 {first.row_number} 行：{'；'.join(first.reasons)}"
            )
        outcome = import_roster(
            session, actor=actor, roster=roster, community_id=ids[code], result=result, now=now
        )
        counts[roster.label] = counts.get(roster.label, 0) + outcome.added
    return counts


def _write_posts(session: Session, actor: Actor, plan: SetupPlan, now: dt.datetime) -> None:
    people = {label: pid for pid, label in person_labels(people_in_use(session)).items()}
    for label, post in plan.posts.items():
        set_service_post(session, actor=actor, person_id=people[label], post=post, now=now)


def _write_cells(session: Session, actor: Actor, plan: SetupPlan, now: dt.datetime) -> None:
    """Retired cells first (each created, given its people and buildings, then retired, so an
    active cell may reuse a retired one's name), then the active ones; then positions and
    successors as exported."""
    communities = community_ids(session)
    names = {code: name for name, code in plan.communities}
    people = {label: pid for pid, label in person_labels(people_in_use(session)).items()}
    for spec in sorted(plan.cells, key=lambda c: not c.retired):
        cell = territory.create_cell(
            session,
            actor=actor,
            community_id=communities[spec.community_code],
            code=spec.code,
            name=spec.name,
            now=now,
        )
        if spec.leader or spec.collectors:
            territory.set_cell_people(
                session,
                actor=actor,
                cell_id=cell.id,
                leader_id=people[spec.leader] if spec.leader else None,
                collector_ids=[people[c] for c in spec.collectors],
                now=now,
            )
        for b in plan.buildings:
            if b.cell_code != spec.code:
                continue
            head = people[b.head] if b.head else None
            made = territory.add_building(
                session, actor=actor, cell_id=cell.id, name=b.name, head_person_id=head, now=now
            )
            if b.retired:
                territory.update_building(
                    session,
                    actor=actor,
                    building_id=made.id,
                    name=b.name,
                    head_person_id=head,
                    retire=True,
                    now=now,
                )
        if spec.code in plan.retired_features:
            community = communities[spec.community_code]
            shape = _boundary_plan(
                [plan.retired_features[spec.code]],
                community,
                names[spec.community_code],
                spec.community_code,
                known_cells(session),
            )
            territory.apply_boundaries(session, actor=actor, plan=shape, now=now)
        if spec.retired:
            territory.retire_cell(session, actor=actor, cell_id=cell.id, now=now)
    ids = cell_ids(session)
    for spec in plan.cells:
        stored = session.get(GridCell, ids[spec.code])
        assert stored is not None
        successor = ids[spec.successor_code] if spec.successor_code else None
        before = {"position": stored.position, "successor_id": stored.successor_id}
        after = {"position": spec.position, "successor_id": successor}
        if before != after:
            stored.position, stored.successor_id = spec.position, successor
            record_change(
                session,
                entity="grid_cell",
                entity_id=stored.id,
                action="import",
                before=before,
                after=after,
                username=actor.username,
                now=now,
            )
    territory.relayout(session)
    session.commit()


def _write_boundaries(session: Session, actor: Actor, plan: SetupPlan, now: dt.datetime) -> int:
    written = 0
    for name, code in plan.communities:
        check = _boundary_plan(
            plan.features, community_ids(session)[code], name, code, known_cells(session)
        )
        if check.rows:
            written += territory.apply_boundaries(session, actor=actor, plan=check, now=now)
    return written
