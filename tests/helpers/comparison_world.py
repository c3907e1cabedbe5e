"""A 街道 of three 社区 whose 社区对比 figures are worked out by hand in ``tests/test_comparison.py``.

社区 A is ``dashboard_worlds.hand_world`` (测试社区), B is ``second_community`` (第二社区) with five
cases, C (第三社区) has one case and is under the ranking minimum.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import session_factory
from db.models import Assistance, Community, GridCell, Household, User, Visit
from tests.factories import World, make_case, square
from tests.helpers.dashboard_worlds import T, hand_world, second_community


def _visit(cell_id: int, household_id: int, at: str) -> Visit:
    return Visit(grid_cell_id=cell_id, household_id=household_id, visited_at=T(at),
                 visitors="网格员乙", people_met=1)  # fmt: skip


def _help(cell_id: int, at: str, persons: int) -> Assistance:
    return Assistance(grid_cell_id=cell_id, beneficiary="王大爷", target_group="elderly_alone",
                      kind="charity_meals", given_at=T(at), persons_helped=persons, helpers="志愿者")  # fmt: skip


def comparison_world(session: Session) -> World:
    """社区 A (hand_world), B (five cases, eight households) and C (one case, two households)."""
    world = hand_world(session)
    b1, b2 = second_community(session, world)
    b_community = b1.community_id
    b_households = {
        cell.id: [h.id for h in session.query(Household).filter_by(grid_cell_id=cell.id)]
        for cell in (b1, b2)
    }

    def add(cell: GridCell, **fields: object) -> None:
        make_case(session, world, community_id=cell.community_id, grid_cell_id=cell.id, **fields)

    # B1 resolved on time, 社区, 满意
    add(b1, accepted_at=T("2026-11-02 09:00"), status="followed_up", deadline_at=T("2026-11-06 23:59:59"),
        finished_at=T("2026-11-04 15:00"), handling_working_days=2, resolved_level="community",
        followed_up_at=T("2026-11-05 09:00"), satisfaction="satisfied")  # fmt: skip
    # B2 resolved late, 街道, 不满意
    add(b1, accepted_at=T("2026-11-03 09:00"), status="followed_up", deadline_at=T("2026-11-07 23:59:59"),
        finished_at=T("2026-11-12 10:00"), handling_working_days=6, resolved_level="subdistrict",
        followed_up_at=T("2026-11-13 09:00"), satisfaction="dissatisfied")  # fmt: skip
    # B3 answered on time, not followed up yet
    add(b2, accepted_at=T("2026-11-04 09:00"), status="answered", deadline_at=T("2026-11-10 23:59:59"),
        finished_at=T("2026-11-09 10:00"), handling_working_days=3, resolved_level="community")  # fmt: skip
    # B4 in progress, past its deadline on 20 November: 逾期
    add(
        b2,
        accepted_at=T("2026-11-05 09:00"),
        status="in_progress",
        deadline_at=T("2026-11-18 23:59:59"),
    )
    # B5 accepted in October (not in 受理), still open and 逾期
    add(
        b1,
        accepted_at=T("2026-10-20 09:00"),
        status="in_progress",
        deadline_at=T("2026-11-19 23:59:59"),
    )
    session.add_all([
        _visit(b1.id, b_households[b1.id][0], "2026-11-03 10:00"),
        _visit(b1.id, b_households[b1.id][0], "2026-11-14 10:00"),
        _visit(b2.id, b_households[b2.id][0], "2026-11-15 10:00"),
        _visit(b2.id, b_households[b2.id][1], "2026-10-10 10:00"),  # October: not this period
        _help(b1.id, "2026-11-06 12:00", 4),
        _help(b2.id, "2026-11-16 12:00", 3),
        _help(b2.id, "2026-10-16 12:00", 9),  # October
    ])  # fmt: skip
    session.commit()

    third = Community(subdistrict_id=world.community.subdistrict_id, name="第三社区", code="T03")
    session.add(third)
    session.flush()
    c1 = GridCell(community_id=third.id, code="T03-01", name="三社区第1网格",
                  boundary_geojson=square(112.96, 28.22), center_lat=28.221, center_lon=112.961)  # fmt: skip
    session.add(c1)
    session.flush()
    session.add_all(
        [Household(grid_cell_id=c1.id, building=f"{j + 1}栋", head_name="住户") for j in range(2)]
    )
    session.commit()
    # C1 in progress, past its deadline: 逾期
    add(
        c1,
        accepted_at=T("2026-11-05 09:00"),
        status="in_progress",
        deadline_at=T("2026-11-10 23:59:59"),
    )
    assert b_community != third.id
    return world


def at_subdistrict(engine: Engine, *usernames: str) -> None:
    """Make ``usernames`` people of the 街道 (no 社区 of their own: ``users.community_id`` NULL)."""
    with session_factory(engine)() as session:
        for user in session.scalars(select(User).where(User.username.in_(usernames))):
            user.community_id = None
        session.commit()
