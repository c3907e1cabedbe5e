"""台账导入 within the unit (issue 14): a 社区 clerk imports only into their own 社区."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import AuditEntry, Case, ImportRow
from db.queries.imports import ImportPreview, import_batches, preview_import
from domain.errors import OutOfScope
from domain.roles import Actor, Role
from services.ledger_import import read_ledger, run_import
from tests.factories import NOW
from tests.helpers.two_communities import TwoCommunities, make_two_communities

LEDGER = (
    "受理日期,诉求内容,网格,类别\n"
    "2026-03-02,楼道堆放杂物影响通行,第1网格,环境卫生\n"
    "2026-03-03,路灯不亮影响夜间出行,乙社区乙第1网格,环境卫生\n"
    "2026-03-04,小区门口积水,T02-01,环境卫生\n"
).encode()


@pytest.fixture
def two(session: Session) -> TwoCommunities:
    return make_two_communities(session)


def _admin(two: TwoCommunities) -> Actor:
    """The admin: 街道-wide, and may import."""
    user = two.world.users["admin"]
    return Actor(user.id, user.username, Role.ADMIN, user.display_name)


def _preview(session: Session, actor: Actor) -> ImportPreview:
    return preview_import(
        session, ledger=read_ledger(LEDGER, "台账.csv"), today=NOW.date(), actor=actor
    )


def test_community_clerk_preview_refuses_rows_of_another_community(
    session: Session, two: TwoCommunities
) -> None:
    preview = _preview(session, two.actor(Role.STAFF))
    assert [r.row_number for r in preview.new_rows] == [2]
    assert {r.row_number: r.reason for r in preview.refused} == {
        3: "网格「乙社区乙第1网格」属于其他社区（乙社区），只能导入本社区的记录",
        4: "网格「T02-01」属于其他社区（乙社区），只能导入本社区的记录",
    }


def test_subdistrict_preview_takes_every_community(session: Session, two: TwoCommunities) -> None:
    preview = _preview(session, two.actor(Role.SUBDISTRICT_STAFF))
    assert [r.row_number for r in preview.new_rows] == [2, 3, 4]
    assert [r.grid_cell_id for r in preview.new_rows] == [
        two.world.cells[0].id,
        two.cell_b.id,
        two.cell_b.id,
    ]


def test_run_import_refuses_rows_of_another_community_and_records_it(
    sessions: sessionmaker[Session], two: TwoCommunities
) -> None:
    with sessions() as s:
        rows = _preview(s, two.actor(Role.SUBDISTRICT_STAFF)).new_rows
    clerk = two.actor(Role.STAFF)
    with pytest.raises(OutOfScope, match="其他社区"):
        run_import(sessions, rows=rows, source_name="台账.csv", actor=clerk, now=NOW)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ImportRow)) == 0
        refused = s.execute(
            select(AuditEntry.username, AuditEntry.target).where(
                AuditEntry.action == "scope.refused"
            )
        ).all()
    assert refused == [("staff", "台账.csv")]


def test_import_history_is_narrowed_to_the_unit(
    sessions: sessionmaker[Session], two: TwoCommunities
) -> None:
    with sessions() as s:
        rows = _preview(s, _admin(two)).new_rows
    run_import(
        sessions,
        rows=rows[1:],
        source_name="乙台账.csv",
        actor=_admin(two),
        now=NOW,
    )
    run_import(
        sessions, rows=rows[:1], source_name="甲台账.csv", actor=two.actor(Role.STAFF), now=NOW
    )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 5
        own = import_batches(s, actor=two.actor(Role.SECRETARY))
        everything = import_batches(s, actor=two.actor(Role.SUBDISTRICT_LEADER))
    assert [(b["文件"], b["导入件数"]) for b in own] == [("甲台账.csv", 1)]
    assert sorted((b["文件"], b["导入件数"]) for b in everything) == [
        ("乙台账.csv", 2),
        ("甲台账.csv", 1),
    ]
