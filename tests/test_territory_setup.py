"""Setting up the territory through the services: 社区, cells, 1+2+X, buildings, merge, split,
retire (with history rows), boundaries from a file, the schematic map and the GeoJSON round trip."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import Case, GridCell, Household, Person, RecordChange
from db.queries.territory import every_grid_cell_choice, grid_cell_choices
from db.queries.territory_admin import (
    boundary_export,
    known_cells,
    setup_steps,
    territory_cells,
)
from domain import geo
from domain.boundary_files import read_boundaries
from domain.boundary_plan import plan_boundaries
from domain.roles import Actor, Role
from services.territory import (
    TerritoryError,
    add_building,
    apply_boundaries,
    create_cell,
    create_community,
    create_subdistrict,
    merge_cells,
    rename_cell,
    reorder_cells,
    retire_cell,
    set_cell_people,
    split_cell,
    update_building,
)
from tests.factories import NOW, make_case, make_world, migrate
from tests.helpers.boundary_files import SHIPPED, geojson_gcj02, kml

ADMIN = Actor(1, "admin", Role.ADMIN)


def changes(session, entity: str, entity_id: int) -> list[str]:
    return list(session.scalars(
        select(RecordChange.action).where(
            RecordChange.entity == entity, RecordChange.entity_id == entity_id
        ).order_by(RecordChange.id)
    ))  # fmt: skip


def setup_two_communities(session):
    create_subdistrict(session, actor=ADMIN, name="芙蓉街道", now=NOW)
    ws = create_community(session, actor=ADMIN, name="文盛社区", code="WS", now=NOW)
    zh = create_community(session, actor=ADMIN, name="中和社区", code="ZH", now=NOW)
    return ws, zh


def test_an_empty_database_is_set_up_step_by_step(session):
    assert [s.missing for s in setup_steps(session)][:2] == ["尚未填写街道名称", "尚未添加网格"]
    ws, zh = setup_two_communities(session)
    with pytest.raises(TerritoryError, match=r"^社区「文盛社区」已存在$"):
        create_community(session, actor=ADMIN, name="文盛社区", code="X", now=NOW)
    with pytest.raises(TerritoryError, match=r"^只有管理员可以修改网格$"):
        create_cell(session, actor=Actor(2, "s", Role.SECRETARY), community_id=ws.id,
                    code="WS-01", name="第一网格", now=NOW)  # fmt: skip
    one = create_cell(
        session, actor=ADMIN, community_id=ws.id, code="WS-01", name="第一网格", now=NOW
    )
    create_cell(session, actor=ADMIN, community_id=ws.id, code="WS-02", name="第二网格", now=NOW)
    with pytest.raises(TerritoryError, match=r"^网格编码「WS-01」已被使用$"):
        create_cell(session, actor=ADMIN, community_id=zh.id, code="WS-01", name="甲", now=NOW)
    steps = {s.title: (s.count, s.missing) for s in setup_steps(session)}
    assert steps["街道与社区"] == (2, "")
    assert steps["网格"] == (2, "1 个社区还没有网格")
    assert geo.is_schematic(json.loads(one.boundary_geojson))
    rename_cell(session, actor=ADMIN, cell_id=one.id, name="文盛一网格", now=NOW)
    assert changes(session, "grid_cell", one.id) == ["create", "rename"]
    row = session.scalar(select(RecordChange).where(RecordChange.action == "rename"))
    assert (json.loads(row.before), json.loads(row.after), row.username) == (
        {"name": "第一网格"}, {"name": "文盛一网格"}, "admin",
    )  # fmt: skip


def test_one_leader_two_collectors_and_buildings_with_heads(session):
    world = make_world(session)
    people = [Person(name=f"党员{i}", kind="party_member", community_id=world.community.id)
              for i in range(4)]  # fmt: skip
    session.add_all(people)
    session.commit()
    cell = world.cells[0]
    a, b, c, d = (p.id for p in people)
    with pytest.raises(TerritoryError, match=r"^网格「第1网格」须有两名民情搜集义务人$"):
        set_cell_people(
            session, actor=ADMIN, cell_id=cell.id, leader_id=a, collector_ids=[b], now=NOW
        )
    with pytest.raises(TerritoryError, match=r"^片长不能同时是民情搜集义务人$"):
        set_cell_people(session, actor=ADMIN, cell_id=cell.id, leader_id=a, collector_ids=[a, b],
                        now=NOW)  # fmt: skip
    set_cell_people(
        session, actor=ADMIN, cell_id=cell.id, leader_id=a, collector_ids=[c, b], now=NOW
    )
    building = add_building(
        session, actor=ADMIN, cell_id=cell.id, name="3栋", head_person_id=d, now=NOW
    )
    with pytest.raises(TerritoryError, match=r"^网格「第1网格」已有楼栋「3栋」$"):
        add_building(
            session, actor=ADMIN, cell_id=cell.id, name="3栋", head_person_id=None, now=NOW
        )
    update_building(session, actor=ADMIN, building_id=building.id, name="3栋", head_person_id=d,
                    retire=True, now=NOW)  # fmt: skip
    (row,) = [r for r in territory_cells(session) if r.id == cell.id]
    assert (row.leader, sorted(row.collectors)) == ("党员0", ["党员1", "党员2"])
    assert [(b.name, b.head, b.retired) for b in row.buildings] == [("3栋", "党员3", True)]
    assert changes(session, "grid_cell", cell.id) == ["people"]
    assert changes(session, "building", building.id) == ["create", "retire"]


def test_merge_split_and_retire_keep_cases_and_leave_the_pickers(session):
    world = make_world(session, cells=3)
    a, b, c = world.cells
    make_case(session, world, grid_cell_id=a.id)
    with pytest.raises(TerritoryError, match=r"^请选择至少两个网格合并$"):
        merge_cells(session, actor=ADMIN, cell_ids=[a.id], code="T01-M", name="合并网格", now=NOW)
    merged = merge_cells(session, actor=ADMIN, cell_ids=[a.id, b.id], code="T01-M", name="合并网格",
                         now=NOW)  # fmt: skip
    session.refresh(a)
    assert (a.retired_at, a.successor_id) == (NOW, merged.id)
    # the union of two side-by-side squares is one 0.004 × 0.002 rectangle
    from shapely.geometry import shape

    assert shape(json.loads(merged.boundary_geojson)).area == pytest.approx(0.004 * 0.002)
    assert session.scalar(select(Case.grid_cell_id)) == a.id
    assert session.scalar(select(func.count()).select_from(Household).where(
        Household.grid_cell_id == a.id)) == 3  # fmt: skip
    parts = split_cell(session, actor=ADMIN, cell_id=c.id,
                       parts=[("T01-S1", "南片"), ("T01-S2", "北片")], now=NOW)  # fmt: skip
    session.refresh(c)
    assert c.successor_id == parts[0].id and c.retired_at == NOW
    retire_cell(session, actor=ADMIN, cell_id=parts[1].id, now=NOW)
    actor = Actor(world.users["admin"].id, "admin", Role.ADMIN)
    assert sorted(grid_cell_choices(session, actor=actor).values()) == [
        "测试社区 · 南片", "测试社区 · 合并网格",
    ]  # fmt: skip
    assert set(every_grid_cell_choice(session)) == {merged.id, parts[0].id}
    assert changes(session, "grid_cell", a.id) == ["merge"]
    assert changes(session, "grid_cell", c.id) == ["split"]
    assert changes(session, "grid_cell", parts[1].id) == ["create", "retire"]
    with pytest.raises(TerritoryError, match=r"^网格「第1网格」已停用$"):
        rename_cell(session, actor=ADMIN, cell_id=a.id, name="新名", now=NOW)


def test_boundaries_from_a_file_and_the_schematic_map_order(session):
    ws, _ = setup_two_communities(session)
    cells = [create_cell(session, actor=ADMIN, community_id=ws.id, code=f"WS-0{i}",
                         name=f"第{i}网格", now=NOW) for i in (1, 2, 3)]  # fmt: skip
    reorder_cells(session, actor=ADMIN, community_id=ws.id,
                  order=[cells[2].id, cells[0].id, cells[1].id], now=NOW)  # fmt: skip
    for cell in cells:
        session.refresh(cell)
    # 3 cells → 2 columns: 第3网格 first (north-west), then 第1网格 to its east
    assert cells[2].center_lon < cells[0].center_lon and cells[2].center_lat == cells[0].center_lat
    with pytest.raises(TerritoryError, match=r"^顺序须包含该社区的每个网格各一次$"):
        reorder_cells(session, actor=ADMIN, community_id=ws.id, order=[cells[0].id], now=NOW)
    features = read_boundaries("ws.geojson", geojson_gcj02(["第1网格", "新网格"]))
    plan = plan_boundaries(features, key="名称", crs=geo.Crs.GCJ02, community_id=ws.id,
                           community_code="WS", community_name="文盛社区",
                           cells=known_cells(session))  # fmt: skip
    assert plan.problems == ()
    assert apply_boundaries(session, actor=ADMIN, plan=plan, now=NOW) == 2
    session.refresh(cells[0])
    assert not geo.is_schematic(json.loads(cells[0].boundary_geojson))
    assert (cells[0].center_lat, cells[0].center_lon) == pytest.approx((28.201, 113.001), abs=1e-6)
    new = session.scalar(select(GridCell).where(GridCell.name == "新网格"))
    assert new.code == "WS-04" and changes(session, "grid_cell", new.id) == ["create", "boundary"]
    # the still-schematic cells are drawn east of the real ones
    session.refresh(cells[1])
    assert cells[1].center_lon > 113.004
    overlap = plan_boundaries(read_boundaries("x.kml", kml(["第2网格"])), key="name",
                              crs=geo.Crs.WGS84, community_id=ws.id, community_code="WS",
                              community_name="文盛社区", cells=known_cells(session))  # fmt: skip
    assert overlap.problems == ("网格「第2网格」的边界与网格「第1网格」重叠",)
    with pytest.raises(TerritoryError, match="重叠"):
        apply_boundaries(session, actor=ADMIN, plan=overlap, now=NOW)


def _import_all(session, data: bytes) -> None:
    features = read_boundaries("export.geojson", data)
    for cid, name, code in [(c.id, c.name, c.code) for c in _communities(session)]:
        plan = plan_boundaries(features, key="编码", code_key="编码", name_key="名称",
                               community_key="社区编码",
                               crs=geo.Crs.WGS84, community_id=cid, community_code=code,
                               community_name=name, cells=known_cells(session))  # fmt: skip
        if not plan.rows:
            continue
        assert plan.problems == ()
        apply_boundaries(session, actor=ADMIN, plan=plan, now=NOW)


def _communities(session):
    from db.models import Community

    return list(session.scalars(select(Community).order_by(Community.code)))


def test_exported_boundaries_reimport_into_an_empty_database_identically(tmp_path):
    databases = []
    for name in ("first", "second"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(engine)
        databases.append(engine)
    with session_factory(databases[0])() as session:
        _, zh = setup_two_communities(session)
        drawn = json.loads(geojson_gcj02(["一", "二"]))
        for index, feature in enumerate(drawn["features"], start=1):
            feature["properties"] = {
                "社区编码": "WS",
                "编码": f"WS-0{index}",
                "名称": f"第{index}网格",
            }
        _import_all(session, json.dumps(drawn).encode())
        create_cell(
            session, actor=ADMIN, community_id=zh.id, code="ZH-01", name="示意网格", now=NOW
        )
        exported = boundary_export(session)
    assert len(exported["features"]) == 3
    data = json.dumps(exported, ensure_ascii=False).encode()
    with session_factory(databases[1])() as session:
        setup_two_communities(session)
        _import_all(session, data)
        again = boundary_export(session)
    assert again == exported
    for engine in databases:
        engine.dispose()


SHIPPED_FILES = [
    ("文盛社区", "WS", "文盛社区_高德GCJ02.geojson", "名称", geo.Crs.GCJ02),
    ("中和社区", "ZH", "中和社区_奥维.kml", "name", geo.Crs.WGS84),
    ("荷花池社区", "HHC", "荷花池社区_GoogleEarth.kmz", "name", geo.Crs.WGS84),
    ("桂花园社区", "GHY", "桂花园社区_QGIS.zip", "名称", geo.Crs.WGS84),
]


def test_the_shipped_boundary_files_set_up_four_communities(session):
    folder = ROOT / "tests" / "data" / "boundaries"
    assert sorted(p.name for p in folder.iterdir()) == sorted(SHIPPED)
    create_subdistrict(session, actor=ADMIN, name="芙蓉街道", now=NOW)
    for name, code, filename, key, crs in SHIPPED_FILES:
        community = create_community(session, actor=ADMIN, name=name, code=code, now=NOW)
        features = read_boundaries(filename, (folder / filename).read_bytes())
        plan = plan_boundaries(features, key=key, crs=crs, community_id=community.id,
                               community_code=code, community_name=name,
                               cells=known_cells(session))  # fmt: skip
        assert plan.problems == ()
        assert apply_boundaries(session, actor=ADMIN, plan=plan, now=NOW) == 2
    rows = territory_cells(session)
    assert [(r.community, r.code, r.name, r.schematic) for r in rows][:3] == [
        ("桂花园社区", "GHY-01", "第一网格", False),
        ("桂花园社区", "GHY-02", "第二网格", False),
        ("荷花池社区", "HHC-01", "第一网格", False),
    ]
    exported = boundary_export(session)["features"]
    assert len(exported) == 8
    named = {f"{f['properties']['社区']}{f['properties']['名称']}": f["geometry"] for f in exported}
    assert geo.overlaps(named) == []
    wenshen = named["文盛社区第一网格"]["coordinates"][0]
    assert wenshen[0] == pytest.approx([113.0, 28.2], abs=1e-6)  # GCJ-02 → WGS-84


def test_a_new_cell_from_a_file_does_not_take_a_retired_cells_code(session):
    ws, _ = setup_two_communities(session)
    old = create_cell(
        session, actor=ADMIN, community_id=ws.id, code="WS-01", name="旧网格", now=NOW
    )
    retire_cell(session, actor=ADMIN, cell_id=old.id, now=NOW)
    plan = plan_boundaries(read_boundaries("x.kml", kml(["第一网格"])), key="name",
                           crs=geo.Crs.WGS84, community_id=ws.id, community_code="WS",
                           community_name="文盛社区", cells=known_cells(session))  # fmt: skip
    assert [(r.code, r.cell_id) for r in plan.rows] == [("WS-02", None)]
    assert apply_boundaries(session, actor=ADMIN, plan=plan, now=NOW) == 1
