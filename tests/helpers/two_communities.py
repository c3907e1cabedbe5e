"""Two 社区 A and B of one 街道, each with a case, household, visit, assistance, 接待日 and audit entry.

The scope matrix (tests/test_scope_matrix.py) checks that A's people find none of B's records.
B's records carry markers (``B_MARKERS``) that appear nowhere in A.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.models import (
    Assistance,
    AuditEntry,
    Case,
    CaseEvent,
    Community,
    GridCell,
    Household,
    LoginEvent,
    Person,
    ReceptionConcern,
    ReceptionSession,
    Visit,
)
from db.seed import create_user
from domain.roles import Actor, Role
from tests.factories import NOW, World, make_case, make_world, password_hash, square

B_NAME = "乙社区居民钱多多"
B_PHONE = "13999990000"
B_CASE_NO = "MQ-T-B00001"
B_VISITOR = "乙网格员孙悟净"
B_BENEFICIARY = "乙社区困难户周某某"
B_PLACE = "乙社区党群服务中心"
B_USER = "bsecretary"
B_MARKERS = (B_NAME, B_PHONE, B_CASE_NO, B_VISITOR, B_BENEFICIARY, B_PLACE, B_USER)


@dataclass
class TwoCommunities:
    """社区 A (``world``) and 社区 B with one record of each kind."""

    world: World
    community_b: Community
    cell_b: GridCell
    case_a: Case
    case_b: Case

    def actor(self, role: Role) -> Actor:
        """A's user of ``role`` as ``actor_of`` builds it; the 街道 roles see every 社区."""
        user = self.world.users[role.value]
        cells = frozenset({self.world.cells[0].id}) if role is Role.GRIDWORKER else None
        unit = (
            None if role in (Role.SUBDISTRICT_LEADER, Role.SUBDISTRICT_STAFF) else user.community_id
        )
        return Actor(user.id, user.username, role, user.display_name, cells, unit)


def _records(
    session: Session, cell: GridCell, community: Community, marker: dict[str, str]
) -> None:
    household = Household(
        grid_cell_id=cell.id,
        building="9栋",
        head_name=marker["name"],
        phone=marker["phone"],
        address=f"{cell.name}9栋",
        members=2,
    )
    session.add(household)
    session.flush()
    at = NOW - dt.timedelta(days=2)
    session.add_all(
        [
            Visit(
                grid_cell_id=cell.id,
                household_id=household.id,
                visited_at=at,
                visitors=marker["visitor"],
                people_met=2,
                notes=marker["name"],
            ),
            Assistance(
                grid_cell_id=cell.id,
                household_id=household.id,
                beneficiary=marker["beneficiary"],
                target_group="elderly",
                kind="visit",
                given_at=at,
                persons_helped=1,
                helpers=marker["visitor"],
            ),
            ReceptionSession(
                community_id=community.id, held_at=at, place=marker["place"], created_at=at
            ),
            Person(name=marker["visitor"], kind="grid_worker", community_id=community.id),
        ]
    )
    session.flush()


def make_two_communities(session: Session) -> TwoCommunities:
    """社区 A (``make_world``) and B (one cell), each with a case, household, visit, 帮扶, 接待日."""
    world = make_world(session)
    community_b = Community(subdistrict=world.community.subdistrict, name="乙社区", code="T02")
    session.add(community_b)
    session.flush()
    cell_b = GridCell(
        community_id=community_b.id,
        code="T02-01",
        name="乙第1网格",
        boundary_geojson=square(113.0, 28.3),
        center_lat=28.301,
        center_lon=113.001,
    )
    session.add(cell_b)
    session.flush()
    user_b = create_user(
        session,
        username=B_USER,
        display_name="乙社区书记",
        role=Role.SECRETARY.value,
        password_hash=password_hash(),
        now=NOW,
        community_id=community_b.id,
    )
    _records(
        session,
        cell_b,
        community_b,
        {
            "name": B_NAME,
            "phone": B_PHONE,
            "visitor": B_VISITOR,
            "beneficiary": B_BENEFICIARY,
            "place": B_PLACE,
        },
    )
    _records(
        session,
        world.cells[0],
        world.community,
        {
            "name": "甲社区居民张三",
            "phone": "13812345678",
            "visitor": "甲网格员",
            "beneficiary": "甲社区困难户",
            "place": "甲社区服务站",
        },
    )
    session.add_all(
        [
            AuditEntry(at=NOW, username=B_USER, action="export", target="台账", detail=""),
            LoginEvent(at=NOW, username=B_USER, outcome="success"),
        ]
    )
    session.commit()
    case_a = make_case(session, world, assignee_id=world.users["staff"].id)
    case_b = make_case(
        session,
        world,
        case_no=B_CASE_NO,
        community_id=community_b.id,
        grid_cell_id=cell_b.id,
        reporter_name=B_NAME,
        reporter_phone=B_PHONE,
        description="乙社区反映楼道堆放杂物",
        assignee_id=world.users["staff"].id,
        deadline_at=NOW - dt.timedelta(hours=1),
    )
    for case in (case_a, case_b):
        session.add(CaseEvent(case_id=case.id, actor_id=None, at=NOW, action="accept"))
    reception_b = session.query(ReceptionSession).filter_by(community_id=community_b.id).one()
    session.add(ReceptionConcern(case_id=case_b.id, session_id=reception_b.id))
    session.commit()
    del user_b
    return TwoCommunities(world, community_b, cell_b, case_a, case_b)
