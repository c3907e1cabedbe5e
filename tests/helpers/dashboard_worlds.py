"""Dashboard fixtures: a random world (fixed seed) and small worlds whose figures are computed by hand."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Assistance,
    Case,
    Community,
    GridCell,
    GridCollector,
    Household,
    Person,
    ReceptionConcern,
    ReceptionSession,
    ServicePoint,
    Visit,
)
from db.queries.kpis import Scope
from domain.kpis import Period
from domain.workflow import (
    FINISHED_STATUSES,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    Satisfaction,
)
from tests.factories import World, make_case, make_world, square

T = dt.datetime.fromisoformat


NOW = T("2026-11-20 10:00")


NOV = Period.month_of(NOW.date())


def second_community(session: Session, world: World) -> list[GridCell]:
    other = Community(subdistrict_id=world.community.subdistrict_id, name="第二社区", code="T02")
    session.add(other)
    session.flush()
    cells = []
    for i in range(2):
        cell = GridCell(
            community_id=other.id,
            code=f"T02-{i + 1:02d}",
            name=f"二社区第{i + 1}网格",
            boundary_geojson=square(112.95 + i * 0.002, 28.21),
            center_lat=28.211,
            center_lon=112.951 + i * 0.002,
        )
        session.add(cell)
        cells.append(cell)
    session.flush()
    for cell in cells:
        for j in range(4):
            session.add(Household(grid_cell_id=cell.id, building=f"{j + 1}栋", head_name="住户"))
    session.commit()
    return cells


def random_world(session: Session, seed: int = 42, cases: int = 260) -> World:
    rng = random.Random(seed)
    world = make_world(session, cells=3, households_per_cell=5)
    cells = world.cells + second_community(session, world)
    households = session.execute(select(Household.id, Household.grid_cell_id)).all()
    start = T("2025-09-01 08:00")
    span = int((NOW - start).total_seconds())
    for i in range(cases):
        cell = rng.choice(cells)
        accepted = start + dt.timedelta(seconds=rng.randrange(span))
        status = rng.choice(list(CaseStatus))
        handling = rng.choice(list(HandlingType))
        deadline = accepted + dt.timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 20))
        finished = None
        if status in FINISHED_STATUSES:
            finished = accepted + dt.timedelta(days=rng.randint(0, 15), hours=rng.randint(1, 9))
        followed = satisfaction = None
        if status in {CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED} or rng.random() < 0.05:
            followed = (finished or accepted) + dt.timedelta(days=rng.randint(1, 6))
            satisfaction = rng.choice(list(Satisfaction)).value
        make_case(
            session,
            world,
            case_no=f"MQ-R-{i:05d}",
            status=status.value,
            handling_type=handling.value,
            channel=rng.choice(list(Channel)).value,
            category_id=rng.choice(world.categories).id,
            community_id=cell.community_id,
            grid_cell_id=cell.id,
            accepted_at=accepted,
            deadline_at=None if rng.random() < 0.05 else deadline,
            response_due_at=accepted + dt.timedelta(days=1),
            first_response_at=None
            if rng.random() < 0.2
            else accepted + dt.timedelta(hours=rng.randint(1, 60)),
            finished_at=finished,
            handling_working_days=None if finished is None else rng.randint(0, 10),
            resolved_level=rng.choice([*[lv.value for lv in Level], None]) if finished else None,
            followed_up_at=followed,
            satisfaction=satisfaction,
            is_repeat=rng.random() < 0.15,
            assignee_id=rng.choice([world.users["staff"].id, world.users["secretary"].id]),
        )
    for _ in range(120):
        hh_id, cell_id = rng.choice(households)
        with_household = rng.random() < 0.85
        session.add(
            Visit(
                grid_cell_id=cell_id,
                household_id=hh_id if with_household else None,
                building=None if with_household else "5栋",
                visited_at=start + dt.timedelta(seconds=rng.randrange(span)),
                visitors="网格员甲",
                people_met=rng.randint(1, 4),
            )
        )
    for _ in range(50):
        _hh, cell_id = rng.choice(households)
        session.add(
            Assistance(
                grid_cell_id=cell_id,
                beneficiary="受助人",
                target_group="elderly_alone",
                kind="charity_meals",
                given_at=start + dt.timedelta(seconds=rng.randrange(span)),
                persons_helped=rng.randint(1, 20),
                helpers="志愿者",
            )
        )
    session.commit()
    return world


PERIODS = {
    "month": NOV,
    "quarter": Period.quarter_of(NOW.date()),
    "year": Period.year_of(NOW.date()),
    "custom": Period(T("2026-03-15 00:00"), T("2026-08-02 00:00")),
}


def scopes(session: Session, world: World) -> dict[str, Scope]:
    other = session.scalar(select(Community.id).where(Community.code == "T02"))
    return {
        "all": Scope(),
        "community": Scope(community_id=world.community.id),
        "other_community": Scope(community_id=other),
        "cell": Scope(grid_cell_id=world.cells[1].id),
        "category": Scope(category_id=world.categories[2].id),
        "channel": Scope(channel=Channel.HOTLINE.value),
        "assignee": Scope(assignee_id=world.users["staff"].id),
    }


def hand_world(session: Session) -> World:
    """Seven cases (five in November), five visits, three assistance records: see each test."""
    world = make_world(session, cells=2, households_per_cell=3)
    c1, c2 = world.cells
    hh = session.scalars(select(Household).order_by(Household.id)).all()

    def add(**fields: object) -> Case:
        return make_case(session, world, **fields)

    # 1 resolved on time, responded, 社区, 满意
    add(accepted_at=T("2026-11-02 09:00"), status="followed_up", deadline_at=T("2026-11-05 23:59:59"),
        response_due_at=T("2026-11-03 23:59:59"), first_response_at=T("2026-11-02 10:00"),
        finished_at=T("2026-11-04 15:00"), handling_working_days=2, resolved_level="community",
        followed_up_at=T("2026-11-06 09:00"), satisfaction="satisfied")  # fmt: skip
    # 2 answered late, slow response, 街道, 未评价
    add(accepted_at=T("2026-11-03 09:00"), status="followed_up", deadline_at=T("2026-11-06 23:59:59"),
        response_due_at=T("2026-11-04 23:59:59"), first_response_at=T("2026-11-05 10:00"),
        finished_at=T("2026-11-10 15:00"), handling_working_days=5, resolved_level="subdistrict",
        followed_up_at=T("2026-11-12 09:00"), satisfaction="no_answer", channel="mailbox")  # fmt: skip
    # 3 in progress and overdue, a repeat
    add(accepted_at=T("2026-11-05 09:00"), status="in_progress", deadline_at=T("2026-11-10 23:59:59"),
        response_due_at=T("2026-11-06 23:59:59"), first_response_at=T("2026-11-05 11:00"),
        is_repeat=True)  # fmt: skip
    # 4 a 退回件: out of 解决率
    add(accepted_at=T("2026-11-06 09:00"), status="returned", handling_type="return",
        deadline_at=T("2026-11-09 23:59:59"), response_due_at=T("2026-11-09 23:59:59"),
        first_response_at=T("2026-11-06 10:00"))  # fmt: skip
    # 5 waiting for materials in cell 2: past its deadline but paused, so not overdue
    add(accepted_at=T("2026-11-10 09:00"), status="awaiting_materials", grid_cell_id=c2.id,
        deadline_at=T("2026-11-13 23:59:59"), response_due_at=T("2026-11-11 23:59:59"))  # fmt: skip
    # 6 accepted in October, finished late in November, 社区, 基本满意
    add(accepted_at=T("2026-10-15 09:00"), status="followed_up", deadline_at=T("2026-11-02 23:59:59"),
        finished_at=T("2026-11-03 10:00"), handling_working_days=13, resolved_level="community",
        followed_up_at=T("2026-11-05 09:00"), satisfaction="basically_satisfied")  # fmt: skip
    # 7 accepted in October, still open and overdue
    add(accepted_at=T("2026-10-20 09:00"), status="accepted", deadline_at=T("2026-10-23 23:59:59"),
        handling_type="escalate")  # fmt: skip
    visits = [
        (c1.id, hh[0].id, None, "2026-11-03 10:00", 2),
        (c1.id, hh[0].id, None, "2026-11-12 10:00", 1),
        (c1.id, hh[1].id, None, "2026-11-15 10:00", 3),
        (c2.id, None, "9栋", "2026-11-16 10:00", 2),
        (c1.id, hh[2].id, None, "2026-10-08 10:00", 1),
    ]
    for cell_id, household_id, building, at, met in visits:
        session.add(
            Visit(grid_cell_id=cell_id, household_id=household_id, building=building,
                  visited_at=T(at), visitors="网格员甲", people_met=met)
        )  # fmt: skip
    for cell_id, at, persons in ((c1.id, "2026-11-08 12:00", 13), (c2.id, "2026-11-09 12:00", 5),
                                 (c1.id, "2026-10-09 12:00", 10)):  # fmt: skip
        session.add(
            Assistance(grid_cell_id=cell_id, beneficiary="李奶奶", target_group="elderly_alone",
                       kind="charity_meals", given_at=T(at), persons_helped=persons, helpers="志愿者")
        )  # fmt: skip
    leader = Person(name="王片长", kind="staff", title="社区副书记")
    collector = Person(name="赵党员", kind="party_member", is_party_member=True)
    session.add_all([leader, collector])
    session.flush()
    c1.leader_id = leader.id
    session.add(GridCollector(grid_cell_id=c1.id, person_id=collector.id))
    session.add(
        ServicePoint(community_id=world.community.id, kind="clinic", name="社区卫生站",
                     latitude=28.201, longitude=112.901)
    )  # fmt: skip
    session.commit()
    return world


HAND_TILES = {
    "走访次数": ("4", "走访人次 8", "+3"),
    "走访覆盖率": ("33.3%", "2 / 6 户", "+16.7 百分点"),
    "受理件数": ("5", "本期受理", "+3"),
    "解决率": ("50.0%", "2 / 4 件", "+0.0 百分点"),
    "按期办结率": ("33.3%", "1 / 3 件", None),
    "响应率": ("60.0%", "3 / 5 件", "+60.0 百分点"),
    "满意率": ("100.0%", "2 / 2 次回访", None),
    "帮扶人次": ("18", "本期帮扶", "+8"),
    "在办件数": ("3", "当前仍在办理", None),
    "逾期件数": ("2", "当前在办且已超期限", None),
    "平均办理时长": ("6.7 天", "本期办结 3 件", None),
    "重复信访率": ("20.0%", "1 / 5 件", "+20.0 百分点"),
    "社区化解率": ("50.0%", "1 / 2 件", "-50.0 百分点"),
}

HAND_TILES_TO_DATE = HAND_TILES | {
    "走访次数": ("4", "走访人次 8", "+4"),
    "走访覆盖率": ("33.3%", "2 / 6 户", "+33.3 百分点"),
    "帮扶人次": ("18", "本期帮扶", "+18"),
}
"""The page's 本月 on 20 November: 1–20 November against 12–31 October (the visit of 8 October
and the assistance of 9 October fall outside); ``HAND_TILES`` compares all of November with
2–31 October."""


def reception_world(session: Session) -> World:
    """Five sessions (three held in November, one in October, one still to come) and nine
    接待日 cases; the figures of each scope are worked out beside the tests."""
    world = make_world(session, cells=2, households_per_cell=3)
    c1, c2 = world.cells
    (other, _) = second_community(session, world)
    secretary = world.users["secretary"].id

    def held(community_id: int, at: str) -> ReceptionSession:
        reception = ReceptionSession(community_id=community_id, held_at=T(at), place="党群服务中心",
                                     created_by_id=secretary, created_at=T("2026-10-01 09:00"))  # fmt: skip
        session.add(reception)
        session.flush()
        return reception

    s1 = held(world.community.id, "2026-11-03 08:30")
    s2 = held(world.community.id, "2026-11-17 08:30")
    s3 = held(other.community_id, "2026-11-10 08:30")
    s4 = held(world.community.id, "2026-10-27 08:30")
    held(world.community.id, "2026-11-24 08:30")  # scheduled, not held yet: left out
    cases = [
        # S1: resolved and answered count; the 退回件 is out of 解决率's base → 2/2, open 0
        (s1, c1, "followed_up", "promised"),
        (s1, c2, "answered", "immediate"),
        (s1, c1, "returned", "return"),
        # S2: in progress, a merged duplicate (out of the base), resolved → 1/2, open 1
        (s2, c1, "in_progress", "promised"),
        (s2, c1, "merged", "promised"),
        (s2, c2, "resolved", "promised"),
        # S3 (second 社区): resolved, still accepted → 1/2, open 1
        (s3, other, "resolved", "immediate"),
        (s3, other, "accepted", "promised"),
        # S4 (October): resolved → 1/1, outside November
        (s4, c1, "resolved", "immediate"),
    ]
    for reception, cell, status, handling in cases:
        case = make_case(session, world, channel="reception_day", status=status,
                         handling_type=handling, grid_cell_id=cell.id,
                         community_id=cell.community_id, accepted_at=reception.held_at)  # fmt: skip
        session.add(ReceptionConcern(case_id=case.id, session_id=reception.id))
    session.commit()
    return world
