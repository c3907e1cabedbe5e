"""导出全部设置 → 导入设置: a non-trivial 街道 set up through the services (two 社区, drawn and
schematic cells, a merge and a retirement, 1+2+X people, buildings, 党员 fields, households with
tags, service points, calendar notices) exports to one workbook plus GeoJSON and re-imports into
an empty database to the same rows; the same setup gives the same rows on every backend."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import make_engine, session_factory
from db.models import (
    Building,
    CalendarDay,
    Community,
    GridCell,
    GridCollector,
    Household,
    HouseholdTag,
    Person,
    ServicePoint,
    Subdistrict,
)
from db.queries.rosters import community_cells
from db.queries.setup_export import setup_snapshot
from db.queries.territory_admin import known_cells
from domain import geo
from domain.boundary_files import read_boundaries
from domain.boundary_plan import plan_boundaries
from domain.ledger_import import NameIndex
from domain.reference import ServicePost
from domain.roles import Actor, Role
from domain.rosters import Roster, parse_roster, template_rows
from services import territory
from services.calendar import save_days
from services.people import set_service_post
from services.rosters import import_roster, read_roster
from services.setup_export import (
    BOUNDARIES,
    WORKBOOK,
    SetupError,
    SetupPlan,
    import_setup,
    person_labels,
    read_setup,
    setup_zip,
)
from tests.factories import NOW, migrate
from tests.helpers.boundary_files import geojson_gcj02

ADMIN = Actor(1, "admin", Role.ADMIN)

PEOPLE = {
    "WS": [
        ["李红", "党员", "13907310002", "", "第一党支部", "第二党小组", "1998-07-01", "离退休", ""],
        ["王强", "网格员", "13907310003", "", "", "", "", "", ""],
        ["赵敏", "网格员", "13907310004", "", "", "", "", "", ""],
        ["张伟", "民情信息员", "13907310005", "", "", "", "", "", ""],
        ["张伟", "志愿者", "13907310006", "", "", "", "", "", ""],
        ["陈刚", "两代表一委员", "13907310007", "区人大代表", "", "", "", "", "文盛小区1-3栋"],
        ["周丽", "楼栋长", "", "", "", "", "", "", ""],
        ["孙建国", "党员", "13907310008", "", "第二党支部", "", "2005-03-12", "流动", ""],
    ],
    "ZH": [
        ["刘洋", "工作人员", "13907310009", "社区书记", "中和党支部", "", "2001-06-30", "在职", ""],
        ["张伟", "网格员", "13907310010", "", "", "", "", "", ""],
        ["黄芳", "网格员", "13907310011", "", "", "", "", "", ""],
    ],
}
HOUSEHOLDS = {
    "WS": [
        ["张桂英", "文盛小区", "3栋", "2单元", "301", "", "3", "13907311001", "第一网格", "低保户、独居老人"],
        ["李建", "文盛小区", "3栋", "1单元", "102", "", "2", "", "第一网格", ""],
        ["何平", "", "5栋", "", "", "文盛路 5 号", "1", "13907311002", "第二网格", "退役军人"],
        ["吴霞", "文盛小区", "7栋", "1单元", "501", "", "4", "", "第三网格", "流动儿童、单亲困难母亲"],
    ],
    "ZH": [
        ["郑红", "中和苑", "1栋", "", "101", "", "2", "13907311003", "中和一网格", "残疾人"],
        ["冯军", "中和苑", "2栋", "", "202", "", "1", "", "中和二网格", "特困党员"],
    ],
}  # fmt: skip
POINTS = {
    "WS": [["文盛社区党员服务站", "党员服务站", "28.2012", "112.9015", "文盛路 18 号"],
           ["文盛议事亭", "居民议事亭", "28.20231", "112.90277", ""]],
    "ZH": [["中和便民服务点", "便民服务点", "", "", "中和路 1 号"]],
}  # fmt: skip


def _xlsx(roster: Roster, rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(template_rows(roster)[0])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _roster(session: Session, community: Community, roster: Roster, rows: list[list[str]]) -> None:
    table = read_roster(_xlsx(roster, rows), "名册.xlsx", roster)
    cells = NameIndex(community_cells(session, community_id=community.id), "网格")
    result = parse_roster(roster, table.headers, table.rows, community_id=community.id, cells=cells)
    assert result.refused == []
    import_roster(session, actor=ADMIN, roster=roster, community_id=community.id, result=result,
                  now=NOW)  # fmt: skip


def _person(session: Session, name: str, phone: str | None) -> int:
    return session.scalars(
        select(Person.id).where(Person.name == name, Person.phone == phone)
    ).one()


def build_setup(session: Session) -> None:
    """The whole setup through the services, as an admin would do it page by page."""
    territory.create_subdistrict(session, actor=ADMIN, name="芙蓉街道", now=NOW)
    ws = territory.create_community(session, actor=ADMIN, name="文盛社区", code="WS", now=NOW)
    zh = territory.create_community(session, actor=ADMIN, name="中和社区", code="ZH", now=NOW)
    for community, code in ((ws, "WS"), (zh, "ZH")):
        _roster(session, community, Roster.PEOPLE, PEOPLE[code])
    set_service_post(session, actor=ADMIN, person_id=_person(session, "孙建国", "13907310008"),
                     post=ServicePost.PROBATION_CARE.value, now=NOW)  # fmt: skip
    cells = {}
    for community, code, name in (
        (ws, "WS-01", "第一网格"), (ws, "WS-02", "第二网格"), (ws, "WS-03", "第三网格"),
        (zh, "ZH-01", "中和一网格"), (zh, "ZH-02", "中和二网格"), (zh, "ZH-03", "中和三网格"),
    ):  # fmt: skip
        cells[code] = territory.create_cell(
            session, actor=ADMIN, community_id=community.id, code=code, name=name, now=NOW
        ).id
    features = read_boundaries("ws.geojson", geojson_gcj02(["第一网格", "第二网格", "第三网格"]))
    plan = plan_boundaries(features, key="名称", crs=geo.Crs.GCJ02, community_id=ws.id,
                           community_code="WS", community_name="文盛社区",
                           cells=known_cells(session))  # fmt: skip
    assert plan.problems == ()
    territory.apply_boundaries(session, actor=ADMIN, plan=plan, now=NOW)
    wang, zhao = _person(session, "王强", "13907310003"), _person(session, "赵敏", "13907310004")
    informant = _person(session, "张伟", "13907310005")
    territory.set_cell_people(session, actor=ADMIN, cell_id=cells["WS-01"],
                              leader_id=_person(session, "李红", "13907310002"),
                              collector_ids=[wang, informant], now=NOW)  # fmt: skip
    territory.set_cell_people(session, actor=ADMIN, cell_id=cells["WS-02"], leader_id=None,
                              collector_ids=[zhao, _person(session, "张伟", "13907310006")],
                              now=NOW)  # fmt: skip
    territory.set_cell_people(session, actor=ADMIN, cell_id=cells["ZH-01"],
                              leader_id=_person(session, "张伟", "13907310010"),
                              collector_ids=[], now=NOW)  # fmt: skip
    head = _person(session, "周丽", None)
    territory.add_building(session, actor=ADMIN, cell_id=cells["WS-01"], name="3栋",
                           head_person_id=head, now=NOW)  # fmt: skip
    old = territory.add_building(session, actor=ADMIN, cell_id=cells["WS-01"], name="4栋",
                                 head_person_id=None, now=NOW)  # fmt: skip
    territory.update_building(session, actor=ADMIN, building_id=old.id, name="4栋",
                              head_person_id=None, retire=True, now=NOW)  # fmt: skip
    territory.add_building(session, actor=ADMIN, cell_id=cells["WS-02"], name="5栋",
                           head_person_id=None, now=NOW)  # fmt: skip
    for community, code in ((ws, "WS"), (zh, "ZH")):
        _roster(session, community, Roster.HOUSEHOLDS, HOUSEHOLDS[code])
        _roster(session, community, Roster.SERVICE_POINTS, POINTS[code])
    # After the households: theirs stay in the merged (retired) cells.
    territory.merge_cells(session, actor=ADMIN, cell_ids=[cells["WS-02"], cells["WS-03"]],
                          code="WS-04", name="第二三网格", now=NOW)  # fmt: skip
    merged = session.scalars(select(GridCell.id).where(GridCell.code == "WS-04")).one()
    territory.rename_cell(session, actor=ADMIN, cell_id=merged, name="第二网格", now=NOW)
    territory.retire_cell(session, actor=ADMIN, cell_id=cells["ZH-03"], now=NOW)
    territory.reorder_cells(session, actor=ADMIN, community_id=zh.id,
                            order=[cells["ZH-02"], cells["ZH-01"]], now=NOW)  # fmt: skip
    save_days(session, actor=ADMIN, now=NOW, days={
        dt.date(2027, 1, 1): (False, "元旦"), dt.date(2027, 2, 7): (True, "春节调休"),
    })  # fmt: skip


# ---------------------------------------------------------------- the normalised dump


def _boundary(cell: GridCell) -> Any:
    shape = json.loads(cell.boundary_geojson)
    if cell.retired_at is not None and geo.is_schematic(shape):
        return "schematic"  # frozen wherever the square was when it retired: not carried
    return json.dumps(shape, sort_keys=True)


COORDINATES = "coordinates"
"""Float columns (cell centres, service points), compared on their own: on MariaDB they were
single precision until migration 0015 (112.9015 read back as 112.901, ~50 m)."""


def same_coordinates(request: pytest.FixtureRequest, engine: Engine, found: Any, want: Any) -> None:
    """Coordinates equal on every backend (double precision everywhere since migration 0015)."""
    assert found == want


def dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every setup table by natural keys: no surrogate ids, no timestamps, sorted."""
    comm = dict(session.execute(select(Community.id, Community.code)).tuples().all())
    cell = dict(session.execute(select(GridCell.id, GridCell.code)).tuples().all())
    person = {
        p.id: (comm.get(p.community_id or 0), p.kind, p.name, p.phone)
        for p in session.scalars(select(Person))
    }
    collectors: dict[int, list[Any]] = {}
    for cid, pid in session.execute(select(GridCollector.grid_cell_id, GridCollector.person_id)):
        collectors.setdefault(cid, []).append(person[pid])
    tags: dict[int, list[str]] = {}
    for hid, tag in session.execute(select(HouseholdTag.household_id, HouseholdTag.tag)):
        tags.setdefault(hid, []).append(tag)
    tables: dict[str, list[tuple[Any, ...]]] = {
        "subdistricts": [(n,) for n in session.scalars(select(Subdistrict.name))],
        "communities": [tuple(r) for r in session.execute(select(Community.name, Community.code))],
        "grid_cells": [
            (comm[c.community_id], c.code, c.name, c.position, person.get(c.leader_id or 0),
             sorted(collectors.get(c.id, [])), c.retired_at is not None,
             cell.get(c.successor_id or 0), _boundary(c))
            for c in session.scalars(select(GridCell))
        ],
        "buildings": [
            (cell[b.grid_cell_id], b.name, person.get(b.head_person_id or 0), b.retired_at is not None)
            for b in session.scalars(select(Building))
        ],
        "people": [
            (*person[p.id], p.is_party_member, p.party_branch, p.party_group, p.joined_party_on,
             p.party_status, p.title, p.service_scope, p.service_post, p.retired_at is not None)
            for p in session.scalars(select(Person))
        ],
        "households": [
            (cell[h.grid_cell_id], h.head_name, h.building, h.unit, h.room, h.address, h.members,
             h.phone, sorted(tags.get(h.id, [])), h.retired_at is not None)
            for h in session.scalars(select(Household))
        ],
        "service_points": [
            (comm[p.community_id], p.kind, p.name, p.retired_at is not None)
            for p in session.scalars(select(ServicePoint))
        ],
        COORDINATES: [
            ("cell", c.code, round(c.center_lat, 6), round(c.center_lon, 6))
            for c in session.scalars(select(GridCell)) if c.retired_at is None
        ] + [
            ("point", comm[p.community_id], p.name, round(p.latitude, 6), round(p.longitude, 6))
            for p in session.scalars(select(ServicePoint))
        ],
        "calendar": [tuple(r) for r in session.execute(
            select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name)
        )],
    }  # fmt: skip
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


def _sqlite(path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Any:
    """The setup built once on SQLite (its engine)."""
    engine = _sqlite(tmp_path_factory.mktemp("original") / "original.db")
    with session_factory(engine)() as session:
        build_setup(session)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def original(source) -> tuple[dict[str, list[tuple[Any, ...]]], bytes]:
    """The built setup's dump and its export (.zip)."""
    with session_factory(source)() as session:
        return dump(session), setup_zip(setup_snapshot(session, actor=ADMIN))


def test_the_setup_is_non_trivial(original):
    rows, _ = original
    cells = {r[1]: r for r in rows["grid_cells"]}
    assert cells["WS-02"][6:8] == (True, "WS-04") and cells["ZH-03"][6:8] == (True, None)
    assert {r[0] for r in rows["households"]} >= {"WS-02", "WS-03"}  # in merged cells
    assert any(r[3] is True for r in rows["buildings"])
    assert [r[2] for r in rows["people"] if r[-2]] == ["孙建国"]  # 设岗定责
    assert sum(1 for r in rows["people"] if r[2] == "张伟") == 3
    assert ("WS", "party_member", "李红", "13907310002", True, "第一党支部", "第二党小组",
            dt.date(1998, 7, 1), "离退休", None, None, None, False) in rows["people"]  # fmt: skip


def test_a_community_admin_exports_their_community_only(source):
    with session_factory(source)() as session:
        ws = session.scalars(select(Community.id).where(Community.code == "WS")).one()
        snapshot = setup_snapshot(session, actor=Actor(2, "ws_admin", Role.ADMIN, community_id=ws))
    assert [code for _, code in snapshot.communities] == ["WS"]
    assert {c.community_code for c in snapshot.cells} == {"WS"}
    assert {p.community_code for p in snapshot.people} == {"WS"}
    assert {h.community_code for h in snapshot.households} == {"WS"}
    assert {p.community_code for p in snapshot.points} == {"WS"}
    features = snapshot.boundaries["features"]
    assert isinstance(features, list)
    assert {f["properties"]["社区编码"] for f in features} == {"WS"}


def test_export_reimports_into_an_empty_database_to_the_same_rows(
    original, sessions, engine, request
):
    rows, archive = original
    plan = read_setup(archive, "全部设置.zip")
    assert plan.problems == []
    with sessions() as session:
        outcome = import_setup(session, actor=ADMIN, plan=plan, now=NOW)
    assert outcome.counts["住户台账"] == len(rows["households"])
    with sessions() as session:
        found = dump(session)
        again = setup_zip(setup_snapshot(session, actor=ADMIN))
    coordinates = found.pop(COORDINATES)
    assert found == {k: v for k, v in rows.items() if k != COORDINATES}
    same_coordinates(request, engine, coordinates, rows[COORDINATES])
    assert _members(again) == _members(archive)  # and it exports the same file contents


def _members(archive: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        from services.tabular import read_sheets

        return {
            "book": read_sheets(z.read(WORKBOOK), WORKBOOK),
            "shapes": json.loads(z.read(BOUNDARIES)),
        }


def test_the_same_setup_gives_identical_rows_on_every_backend(original, session, engine, request):
    rows, _ = original
    build_setup(session)
    found = dump(session)
    coordinates = found.pop(COORDINATES)
    assert found == {k: v for k, v in rows.items() if k != COORDINATES}
    same_coordinates(request, engine, coordinates, rows[COORDINATES])


def test_each_roster_sheet_of_the_export_imports_on_its_own(original, sessions):
    """基础数据 finds the roster it is asked for in the whole workbook (failed before: the people
    sheet, naming 姓名/类别/联系电话, was taken for a household roster lacking 所属网格)."""
    _, archive = original
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        book = z.read(WORKBOOK)
    for roster in Roster:
        table = read_roster(book, WORKBOOK, roster)
        assert table.sheet == f"{roster.label}·WS"
        assert [str(h) for h in table.headers] == template_rows(roster)[0]


def test_a_failure_midway_writes_nothing(sessions):
    plan = SetupPlan("芙蓉街道", communities=[("文盛社区", "WS"), ("文盛社区", "WS2")])
    with sessions() as session, pytest.raises(SetupError, match=r"^导入未完成，已全部撤销：社区「文盛社区」已存在$"):  # fmt: skip
        import_setup(session, actor=ADMIN, plan=plan, now=NOW)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subdistrict)) == 0
        assert session.scalar(select(func.count()).select_from(Community)) == 0


def test_only_an_empty_database_takes_an_import(original, sessions):
    _, archive = original
    plan = read_setup(archive, "全部设置.zip")
    with sessions() as session:
        territory.create_subdistrict(session, actor=ADMIN, name="别的街道", now=NOW)
        territory.create_community(session, actor=ADMIN, name="别的社区", code="B", now=NOW)
        with pytest.raises(
            SetupError, match=r"^数据库中已有社区或基础数据：导入设置只能用于空数据库$"
        ):
            import_setup(session, actor=ADMIN, plan=plan, now=NOW)
        with pytest.raises(SetupError, match=r"^只有街道的管理员可以导入全部设置$"):
            import_setup(
                session, actor=Actor(2, "a", Role.ADMIN, community_id=1), plan=plan, now=NOW
            )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(GridCell)) == 0
        assert session.scalars(select(Subdistrict.name)).all() == ["别的街道"]


def test_people_are_named_uniquely_in_the_cell_sheets():
    labels = person_labels([
        (1, "张伟", "139", "informant", "WS"), (2, "张伟", "138", "volunteer", "WS"),
        (3, "张伟", "138", "grid_worker", "WS"), (4, "李红", None, "staff", "WS"),
        (5, "王五", "137", "staff", "WS"), (6, "王五", "137", "staff", "ZH"),
    ])  # fmt: skip
    assert labels == {
        1: "张伟（139）", 2: "张伟（138，志愿者）", 3: "张伟（138，网格员）", 4: "李红",
        5: "王五（137，工作人员，WS）", 6: "王五（137，工作人员，ZH）",
    }  # fmt: skip


def _edited(archive: bytes, sheet: str, row: int, column: int, value: str) -> bytes:
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        book = load_workbook(io.BytesIO(z.read(WORKBOOK)))
    book[sheet].cell(row=row, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("sheet", "row", "column", "value", "problem"),
    [
        ("网格", 2, 5, "查无此人", "网格「第一网格」的人员「查无此人」不在人员名册中"),
        ("网格", 3, 1, "XX", "工作表「网格」第 3 行：社区编码「XX」不在「街道与社区」中"),
        ("网格", 2, 7, "作废", "工作表「网格」第 2 行：状态「作废」应为 在用 或 已停用"),
        ("住户台账·WS", 2, 9, "幸福里", "工作表「住户台账·WS」第 2 行：网格「幸福里」不存在"),
        ("设岗定责", 2, 2, "站岗", "工作表「设岗定责」第 2 行：岗位「站岗」应为 政策宣讲、"),
        ("工作日历", 2, 1, "明年元旦", "工作表「工作日历」第 2 行：日期「明年元旦」应为 年-月-日"),
    ],
)
def test_a_broken_export_is_refused_with_chinese_reasons(
    original, sheet, row, column, value, problem
):
    _, archive = original
    plan = read_setup(_edited(archive, sheet, row, column, value), WORKBOOK)
    assert any(p.startswith(problem) for p in plan.problems), plan.problems


def test_not_an_export_is_refused():
    with pytest.raises(
        SetupError, match=r"^请上传导出的「全部设置.zip」（或其中的「设置导出.xlsx」）$"
    ):
        read_setup(b"x", "a.pdf")
    with pytest.raises(SetupError, match=r"^压缩包无法打开，请上传导出的 .zip 文件$"):
        read_setup(b"not a zip", "a.zip")
    with pytest.raises(SetupError, match=r"^这不是导出的设置文件：缺少工作表「街道与社区」$"):
        read_setup(_xlsx(Roster.PEOPLE, PEOPLE["ZH"]), "人员.xlsx")
