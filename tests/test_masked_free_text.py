"""Free text beside a masked name is masked too (issue 16 item 8).

A description, visit note or assistance note that holds its own record's resident's name and a
mobile number: the ledger list and its .xlsx/CSV export and the dashboard's 诉求摘要 mask them
for every role (their 反映人 column is masked for every role); the 走访 and 帮扶 lists mask them
for the roles that do not see personal data and keep them for those that do.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from db.models import Assistance, Visit
from db.queries.assistance import list_assistance
from db.queries.dashboard_lists import escalated_cases, open_cases_of_cell, overdue_cases
from db.queries.ledger import LedgerFilters, ledger_page
from db.queries.scope import Scope
from db.queries.visits import list_visits
from domain.anonymise import ID_MASK, PHONE_MASK, mask_free_text
from domain.roles import Actor, Role
from tests.factories import NOW, World, make_case, make_world
from tests.helpers.cases import RULES, actor_of, export_xlsx_or_csv, subdistrict_actor

REPORTER, PHONE = "江帆", "13912345678"
HEAD = "张丹萍"
BENEFICIARY = "李桂芝"
DESCRIPTION = f"居民{REPORTER}下岗失业，户主{HEAD}，请回电{PHONE}"
MASKED_DESCRIPTION = f"居民江*下岗失业，户主张**，请回电{PHONE_MASK}"

ROLES = [*(r.value for r in Role), "subdistrict_whole"]
"""Every role with a 社区 account, and the 街道 leader over the whole 街道."""


def _actor(world: World, role: str) -> Actor:
    return subdistrict_actor(world) if role == "subdistrict_whole" else actor_of(world, role)


@dataclass
class Leaky:
    world: World
    case_no: str


def _leaky_world(session: Session) -> Leaky:
    """One overdue, one escalated case, a visit and an assistance record, each naming its resident."""
    world = make_world(session)
    head = world.households[0]
    head.head_name = HEAD
    common = {
        "reporter_name": REPORTER,
        "reporter_phone": PHONE,
        "household_id": head.id,
        "description": DESCRIPTION,
    }
    case = make_case(session, world, deadline_at=NOW - dt.timedelta(days=2), **common)
    make_case(session, world, status="escalated", escalated_to="街道", **common)
    session.add_all([
        Visit(grid_cell_id=head.grid_cell_id, household_id=head.id, visited_at=NOW,
              visitors="网格员甲", people_met=1, notes=f"{HEAD}说请回电{PHONE}"),
        Assistance(grid_cell_id=head.grid_cell_id, household_id=head.id, beneficiary=BENEFICIARY,
                   target_group="elderly", kind="visit", given_at=NOW, persons_helped=1,
                   helpers="网格员甲", notes=f"{BENEFICIARY}身份证430102198001011234，电话{PHONE}"),
    ])  # fmt: skip
    session.commit()
    return Leaky(world, case.case_no)


def test_mask_free_text_masks_phones_ids_and_the_records_names_only() -> None:
    text = f"{REPORTER}称邻居王大明身份证430102198001011234，电话0731-84561234，3栋2单元501室"
    assert mask_free_text(text, [REPORTER, None, ""]) == (
        f"江*称邻居王大明身份证{ID_MASK}，电话{PHONE_MASK}，3栋2单元501室"
    )
    assert mask_free_text(None, [REPORTER]) == ""


@pytest.mark.parametrize("role", ROLES)
def test_ledger_list_and_exports_mask_the_description_for_every_role(
    session: Session, role: str
) -> None:
    leaky = _leaky_world(session)
    actor = _actor(leaky.world, role)
    rows, total = ledger_page(session, filters=LedgerFilters(), now=NOW, actor=actor, rules=RULES)
    assert total == 2
    assert {r.description for r in rows} == {MASKED_DESCRIPTION}
    query: dict[str, Any] = {"filters": LedgerFilters(), "now": NOW, "actor": actor, "rules": RULES}
    csv_text = export_xlsx_or_csv(session, fmt="csv", **query).decode("utf-8-sig")
    assert csv_text.count(MASKED_DESCRIPTION) == 2
    sheet = load_workbook(io.BytesIO(export_xlsx_or_csv(session, **query))).active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells.count(MASKED_DESCRIPTION) == 2
    for leaked in (REPORTER, HEAD, PHONE):
        assert leaked not in csv_text
        assert not any(leaked in c for c in cells)


def test_dashboard_summaries_are_masked(session: Session) -> None:
    leaky = _leaky_world(session)
    cell = leaky.world.cells[0].id
    expected = MASKED_DESCRIPTION  # under 30 characters: not shortened
    for links in (
        overdue_cases(session, now=NOW, scope=Scope()),
        escalated_cases(session, now=NOW, scope=Scope()),
        open_cases_of_cell(session, cell_id=cell, now=NOW),
    ):
        assert [link.summary for link in links] == [expected] * len(links)
        assert links


@pytest.mark.parametrize("role", ROLES)
def test_visit_and_assistance_notes_masked_unless_the_role_sees_personal_data(
    session: Session, role: str
) -> None:
    leaky = _leaky_world(session)
    actor = _actor(leaky.world, role)
    visits = list_visits(session, actor=actor)
    helped = list_assistance(session, actor=actor)
    assert len(visits) == len(helped) == 1
    if actor.sees_personal_data:
        assert visits[0].place == f"1栋（{HEAD}）"
        assert visits[0].notes == f"{HEAD}说请回电{PHONE}"
        assert helped[0].beneficiary == BENEFICIARY
        assert helped[0].notes == f"{BENEFICIARY}身份证430102198001011234，电话{PHONE}"
    else:
        assert visits[0].place == "1栋（张**）"
        assert visits[0].notes == f"张**说请回电{PHONE_MASK}"
        assert helped[0].beneficiary == "李**"
        assert helped[0].notes == f"李**身份证{ID_MASK}，电话{PHONE_MASK}"
