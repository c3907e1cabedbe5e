"""Ledger import helpers: the messy ledger, its .xlsx, one import run and the stored state."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, Category, GridCell, ImportRow
from db.queries.imports import preview_import
from domain.roles import Actor, Role
from services.ledger_import import read_ledger, run_import
from tests.factories import NOW, World
from tests.helpers.ledger_fixtures import MessyLedger, build_ledger

CELLS = ["第1网格", "第2网格", "第3网格"]


CATEGORIES = ["政策咨询", "矛盾纠纷", "困难救助", "环境卫生", "民生项目", "社区事务"]


def staff_actor(world: World, role: str = "staff") -> Actor:
    user = world.users[role]
    return Actor(
        user.id, user.username, Role(user.role), user.display_name, None, user.community_id
    )


@cache
def ledger() -> MessyLedger:
    """The fixture ledger (built once per test session)."""
    return build_ledger(CELLS, CATEGORIES)


@cache
def ledger_xlsx() -> bytes:
    return ledger().xlsx()


def import_ledger(sessions: sessionmaker[Session], world: World, data: bytes, name: str, **kw):
    with sessions() as s:
        preview = preview_import(
            s, ledger=read_ledger(data, name), today=NOW.date(), actor=staff_actor(world)
        )
    outcome = run_import(
        sessions,
        rows=preview.new_rows,
        source_name=name,
        actor=staff_actor(world),
        now=NOW,
        **kw,
    )
    return preview, outcome


def stored_state(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    """Everything an import decides, without database ids (comparable across databases)."""
    with sessions() as s:
        rows = s.execute(
            select(
                Case.case_no,
                ImportRow.fingerprint,
                ImportRow.row_number,
                Case.status,
                Case.handling_type,
                Case.channel,
                Case.accepted_at,
                Case.finished_at,
                Case.deadline_at,
                Case.description,
                Case.reporter_name,
                Case.reporter_phone,
                Category.name,
                GridCell.name,
            )
            .join(ImportRow, ImportRow.case_id == Case.id)
            .join(Category, Category.id == Case.category_id)
            .join(GridCell, GridCell.id == Case.grid_cell_id)
            .order_by(Case.case_no)
        )
        return [tuple(r) for r in rows]
