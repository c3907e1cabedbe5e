"""基础数据 rosters: messy rows refused with Chinese reasons, idempotent import, edits with history,
users from people with one-time passwords."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from db.models import Household, HouseholdTag, Person, RecordChange, User
from db.queries.rosters import community_cells, household_list, roster_counts
from db.queries.users import actor_of
from domain.ledger_import import NameIndex
from domain.rosters import Roster, parse_roster
from services.rosters import (
    RosterError,
    edit_record,
    import_roster,
    read_roster,
    retire_record,
    template_xlsx,
    users_for_people,
)
from tests.factories import NOW, make_world

HOUSEHOLDS_CSV = """住户台账（文盛社区）,,,,,,
户主,楼栋,单元,室,人口数,联系电话,所属网格,类别
王秀兰,３栋,２单元,３０１,３,１３９０７３１０００１,第一网格,低保户、獨居老人
李建國,5栋,1单元,101,2,1390731,第1网格,
,6栋,1单元,102,2,13907310003,第二网格,
赵四,7栋,1单元,201,2,13907310004,第九网格,
钱五,8栋,2单元,202,abc,13907310005,第二网格,富裕户
王秀兰,３栋,２单元,３０１,３,１３９０７３１０００１,第一网格,低保户
"""


def _admin(session):
    actor = actor_of(session, username="admin")
    assert actor is not None
    return actor


def _parse(session, world, data: bytes, name: str, roster=Roster.HOUSEHOLDS, kind=None):
    table = read_roster(data, name, roster)
    cells = NameIndex(community_cells(session, community_id=world.community.id), "网格")
    return parse_roster(
        roster, table.headers, table.rows, community_id=world.community.id, cells=cells,
        default_kind=kind,
    )  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_household_rows_refused_with_chinese_reasons(session, encoding):
    world = make_world(session)
    result = _parse(session, world, HOUSEHOLDS_CSV.encode(encoding), "住户.csv")
    assert [r.row_number for r in result.rows] == [3]
    good = result.rows[0].values
    assert (good["building"], good["unit"], good["room"], good["phone"]) == (
        "3栋",
        "2单元",
        "301",
        "13907310001",
    )
    assert good["tags"] == ["low_income", "elderly_alone"]  # 獨居老人 read as 独居老人
    reasons = {r.row_number: r.reasons for r in result.refused}
    assert reasons[4] == ("联系电话「1390731」格式不正确",)
    assert reasons[5] == ("缺少「户主」",)
    assert reasons[6][0].startswith("网格「第九网格」不存在")
    assert reasons[7] == (
        "人口数「abc」应为 1–30 的整数",
        "类别「富裕户」无法识别（可填：低保户、残疾人、空巢老人、独居老人、流动儿童、下岗失业、单亲困难母亲、退役军人、特困党员）",
    )
    assert reasons[8] == ("与第 3 行重复",)


def test_importing_a_roster_twice_adds_nothing(session):
    world = make_world(session)
    admin = _admin(session)
    before = session.scalar(select(func.count()).select_from(Household))
    result = _parse(session, world, HOUSEHOLDS_CSV.encode("gbk"), "住户.csv")
    first = import_roster(
        session,
        actor=admin,
        roster=Roster.HOUSEHOLDS,
        community_id=world.community.id,
        result=result,
        now=NOW,
    )
    again = _parse(session, world, HOUSEHOLDS_CSV.encode("utf-8"), "住户.csv")
    second = import_roster(
        session,
        actor=admin,
        roster=Roster.HOUSEHOLDS,
        community_id=world.community.id,
        result=again,
        now=NOW,
    )
    assert (first.added, first.skipped, second.added, second.skipped) == (1, 0, 0, 1)
    assert session.scalar(select(func.count()).select_from(Household)) == before + 1
    tags = set(
        session.scalars(
            select(HouseholdTag.tag).join(Household).where(Household.head_name == "王秀兰")
        )
    )
    assert tags == {"low_income", "elderly_alone"}
    counts = {c.community_id: c for c in roster_counts(session)}
    assert counts[world.community.id].households == before + 1


def test_party_roster_template_reads_back_and_imports(session):
    world = make_world(session)
    admin = _admin(session)
    for roster in Roster:
        table = read_roster(template_xlsx(roster), "模板.xlsx", roster)
        assert table.sheet == roster.label  # the 填表说明 sheet is skipped
        assert len(table.rows) == 1
    result = _parse(
        session, world, template_xlsx(Roster.PEOPLE), "党员.xlsx", Roster.PEOPLE, "party_member"
    )
    assert result.refused == []
    outcome = import_roster(
        session,
        actor=admin,
        roster=Roster.PEOPLE,
        community_id=world.community.id,
        result=result,
        now=NOW,
    )
    assert outcome.added == 1
    person = session.scalars(select(Person).where(Person.name == "李红")).one()
    assert (person.kind, person.party_status, person.party_group, str(person.joined_party_on)) == (
        "party_member",
        "离退休",
        "第二党小组",
        "1998-07-01",
    )


def test_people_rows_refused(session):
    world = make_world(session)
    data = "姓名,类别,入党时间,党员状态\n张三,党员,不详,在职\n李四,厨师,,\n王五,党员,2001-07-01,退休\n".encode()
    result = _parse(session, world, data, "名册.csv", Roster.PEOPLE)
    reasons = {r.row_number: r.reasons for r in result.refused}
    assert reasons[2] == ("入党时间「不详」不是可识别的日期",)
    assert reasons[3][0].startswith("类别「厨师」无法识别")
    assert [r.values["party_status"] for r in result.rows] == ["离退休"]


def test_a_file_without_the_roster_header_is_refused():
    with pytest.raises(RosterError, match="没有找到住户台账的表头"):
        read_roster(b"a,b\n1,2\n", "x.csv", Roster.HOUSEHOLDS)
    with pytest.raises(RosterError, match="只支持"):
        read_roster(b"x", "x.pdf", Roster.HOUSEHOLDS)


def test_edits_and_retirement_write_record_changes_and_masking_applies(session):
    world = make_world(session)
    admin = _admin(session)
    household = world.households[0]
    changed = edit_record(
        session,
        actor=admin,
        entity="household",
        record_id=household.id,
        changes={"phone": "13907319999", "head_name": household.head_name},
        now=NOW,
    )
    assert changed == 1
    retire_record(session, actor=admin, entity="household", record_id=household.id, now=NOW)
    changes = session.scalars(
        select(RecordChange).where(RecordChange.entity == "household").order_by(RecordChange.id)
    ).all()
    assert [c.action for c in changes] == ["update", "retire"]
    assert json.loads(changes[0].after or "{}") == {"phone": "13907319999"}
    assert session.get(Household, household.id) is not None
    viewer = actor_of(session, username="viewer")
    assert viewer is not None
    row = next(
        r
        for r in household_list(session, actor=viewer, community_id=world.community.id)
        if r["编号"] == household.id
    )
    assert row["联系电话"] == "139****9999"
    assert row["状态"] == "已停用"
    with pytest.raises(RosterError, match="该记录已停用"):
        retire_record(session, actor=admin, entity="household", record_id=household.id, now=NOW)


def test_users_from_people_get_one_time_passwords_and_must_change_them(session):
    world = make_world(session)
    admin = _admin(session)
    people = [
        Person(name=f"网格员{i}", kind="grid_worker", community_id=world.community.id)
        for i in range(2)
    ]
    session.add_all(people)
    session.commit()
    made = users_for_people(
        session, actor=admin, person_ids=[p.id for p in people], role="gridworker",
        community_id=world.community.id, grid_cell_ids=[world.cells[1].id], prefix="gw", now=NOW,
    )  # fmt: skip
    assert [m[0] for m in made] == [f"gw{p.id:04d}" for p in people]
    assert len({m[2] for m in made}) == 2 and all(len(m[2]) == 12 for m in made)
    user = session.scalars(select(User).where(User.username == made[0][0])).one()
    assert (user.must_change_password, user.person_id, user.community_id) == (
        True,
        people[0].id,
        world.community.id,
    )
    assert [c.id for c in user.grid_cells] == [world.cells[1].id]
