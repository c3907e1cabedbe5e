"""Scope matrix (issue 14): 社区 A's people find none of 社区 B's records; the 街道 finds all.

Table-driven over the read functions: a new read that lists or counts records gets one line in
``READS``; a read that ignores the actor's unit fails here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Case, Community
from db.queries import (
    assistance,
    audit,
    dashboard,
    imports,
    ledger,
    people,
    reception,
    repeats,
    territory,
    todo,
    visits,
)
from db.queries.access import NO_COMMUNITY, UNIT_MISSING, case_filters, unit_scope
from db.queries.cases import find_case_id
from db.queries.kpis import headline_kpis, kpi_snapshot
from db.queries.present import present_deck
from db.queries.reports import monthly_report
from db.queries.scope import Scope
from domain.errors import CaseNotFound, OutOfScope
from domain.kpis import Period
from domain.roles import Actor, Role
from services.cases import open_case
from tests.factories import NOW
from tests.helpers.cases import RULES
from tests.helpers.two_communities import (
    B_CASE_NO,
    B_MARKERS,
    B_NAME,
    B_PHONE,
    TwoCommunities,
    make_two_communities,
)

COMMUNITY_ROLES = (Role.SECRETARY, Role.STAFF, Role.GRIDWORKER)
SUBDISTRICT = (Role.SUBDISTRICT_LEADER, Role.SUBDISTRICT_STAFF)
MONTH = Period(NOW - dt.timedelta(days=20), NOW + dt.timedelta(days=1))

Read = Callable[[Session, Actor], Any]


def _community_b(session: Session) -> int:
    """社区 B's id (what a 社区 A user might ask for by hand)."""
    return session.scalars(select(Community.id).where(Community.name == "乙社区")).one()


def _asking_b(session: Session, actor: Actor) -> Scope:
    """The dashboard's scope when the actor's selector (or a crafted request) asks for 社区 B."""
    return unit_scope(actor, Scope(community_id=_community_b(session)))


def _own_monthly_report(session: Session, actor: Actor) -> Any:
    """The 月报 of the actor's own 社区 (the 街道 roles: 社区 B's, which they may read)."""
    community_id = actor.community_id or _community_b(session)
    return monthly_report(
        session, community_id=community_id, month=NOW.date(), now=NOW, actor=actor
    )


READS: dict[str, Read] = {
    "ledger_page": lambda s, a: ledger.ledger_page(
        s, filters=ledger.LedgerFilters(), now=NOW, actor=a, rules=RULES
    ),
    "ledger_search_number": lambda s, a: ledger.ledger_page(
        s, filters=ledger.LedgerFilters(text=B_CASE_NO), now=NOW, actor=a, rules=RULES
    ),
    "export_rows": lambda s, a: list(
        ledger.export_rows(s, filters=ledger.LedgerFilters(), now=NOW, actor=a, rules=RULES)
    ),
    "todo_lists": lambda s, a: todo.todo_lists(s, actor=a, now=NOW, rules=RULES),
    "todo_counts": lambda s, a: todo.todo_counts(s, actor=a, now=NOW, rules=RULES),
    "list_visits": lambda s, a: visits.list_visits(s, actor=a),
    "visit_coverage_by_cell": lambda s, a: visits.visit_coverage_by_cell(s, actor=a, period=MONTH),
    "list_assistance": lambda s, a: assistance.list_assistance(s, actor=a),
    "assistance_totals": lambda s, a: assistance.assistance_totals(s, actor=a, period=MONTH),
    "list_sessions": lambda s, a: reception.list_sessions(s, actor=a),
    "session_choices": lambda s, a: reception.session_choices(s, actor=a),
    "members": lambda s, a: people.members(s, actor=a),
    "liaison_by_cell": lambda s, a: people.liaison_by_cell(s, actor=a, period=MONTH),
    "audit_log": lambda s, a: audit.audit_log(
        s, start=NOW - dt.timedelta(days=30), end=NOW + dt.timedelta(days=1), actor=a
    ),
    "repeat_candidates_phone": lambda s, a: repeats.repeat_candidates(
        s, phone=B_PHONE, grid_cell_id=None, category_id=None, description=None, now=NOW, actor=a
    ),
    "grid_cell_choices": lambda s, a: territory.grid_cell_choices(s, actor=a),
    "community_choices": lambda s, a: territory.community_choices(s, actor=a),
    # the dashboard's cached views, with the scope pages/dashboard.DatabaseSource builds
    "dashboard_live": lambda s, a: dashboard.live_view(
        s, period=MONTH, now=NOW, scope=unit_scope(a)
    ),
    "dashboard_live_asking_b": lambda s, a: dashboard.live_view(
        s, period=MONTH, now=NOW, scope=_asking_b(s, a)
    ),
    "dashboard_analysis": lambda s, a: dashboard.analysis_view(
        s, period=MONTH, now=NOW, scope=unit_scope(a)
    ),
    "dashboard_analysis_asking_b": lambda s, a: dashboard.analysis_view(
        s, period=MONTH, now=NOW, scope=_asking_b(s, a)
    ),
    "dashboard_scope_choices": lambda s, a: dashboard.scope_choices(
        s, community_id=unit_scope(a).community_id
    ),
    "dashboard_comparison": lambda s, a: dashboard.cached_comparison(
        s, period=MONTH, now=NOW, min_cases=0, community_id=unit_scope(a).community_id
    ),
    "home_headline": lambda s, a: headline_kpis(s, period=MONTH, scope=unit_scope(a)),
    "present_deck": lambda s, a: present_deck(s, actor=a, now=NOW, min_cases=0),
    "monthly_report": _own_monthly_report,
    "import_batches": lambda s, a: imports.import_batches(s, actor=a),
}
"""Every read that lists records, by name; the output's text must not name B's records."""

COUNTS: dict[str, Read] = {
    "count_sessions": lambda s, a: reception.count_sessions(s, actor=a),
    "kpi_snapshot.accepted": lambda s, a: (
        kpi_snapshot(s, period=MONTH, now=NOW, scope=unit_scope(a)).accepted
    ),
    "dashboard_live.accepted": lambda s, a: (
        dashboard.live_view(s, period=MONTH, now=NOW, scope=unit_scope(a)).current.accepted
    ),
    "home_headline.visits": lambda s, a: headline_kpis(s, period=MONTH, scope=unit_scope(a))[0],
    "home_headline.assistance_persons": lambda s, a: headline_kpis(
        s, period=MONTH, scope=unit_scope(a)
    )[2],
    "present_deck.cells.accepted": lambda s, a: sum(
        c.accepted for c in present_deck(s, actor=a, now=NOW, min_cases=0).cells
    ),
    "present_deck.headline.accepted": lambda s, a: (
        present_deck(s, actor=a, now=NOW, min_cases=0).headline.accepted
    ),
    "case_filters": lambda s, a: s.scalar(
        select(func.count()).select_from(Case).where(*case_filters(a))
    ),
}
"""Counts: the 街道 counts more than 社区 A's secretary (B's records are in it)."""


@pytest.fixture
def two(session: Session) -> TwoCommunities:
    dashboard.clear_dashboard_cache()
    return make_two_communities(session)


@pytest.mark.parametrize("name", sorted(READS))
def test_community_a_finds_none_of_b(session: Session, two: TwoCommunities, name: str) -> None:
    for role in COMMUNITY_ROLES:
        text = repr(READS[name](session, two.actor(role)))
        leaked = [m for m in B_MARKERS if m in text]
        assert leaked == [], f"{name} shows {role.value} of 社区 A: {leaked}"


SEEN_BY_SUBDISTRICT = {
    "ledger_page": B_CASE_NO,
    "ledger_search_number": B_CASE_NO,
    "export_rows": B_CASE_NO,
    "list_visits": "乙第1网格",
    "visit_coverage_by_cell": "乙第1网格",
    "list_sessions": "乙社区党群服务中心",
    "session_choices": "乙社区党群服务中心",
    "members": "乙网格员孙悟净",
    "audit_log": "bsecretary",
    "grid_cell_choices": "乙第1网格",
    "community_choices": "乙社区",
    "dashboard_live": "乙第1网格",
    "dashboard_live_asking_b": "乙第1网格",
    "dashboard_analysis": B_CASE_NO,  # overdue at NOW
    "dashboard_analysis_asking_b": B_CASE_NO,
    "dashboard_scope_choices": "乙第1网格",
    "dashboard_comparison": "乙社区",
    "present_deck": "乙第1网格",
    "monthly_report": "乙第1网格",
}


@pytest.mark.parametrize("name", sorted(SEEN_BY_SUBDISTRICT))
def test_subdistrict_finds_b(session: Session, two: TwoCommunities, name: str) -> None:
    for role in SUBDISTRICT:
        text = repr(READS[name](session, two.actor(role)))
        assert SEEN_BY_SUBDISTRICT[name] in text, (name, role)


def test_subdistrict_lists_mask_b_residents(session: Session, two: TwoCommunities) -> None:
    leader = two.actor(Role.SUBDISTRICT_LEADER)
    rows, total = READS["ledger_page"](session, leader)
    assert total == 2
    text = repr(rows)
    assert B_NAME not in text and B_PHONE not in text


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_a_against_subdistrict(session: Session, two: TwoCommunities, name: str) -> None:
    own = COUNTS[name](session, two.actor(Role.SECRETARY))
    everything = COUNTS[name](session, two.actor(Role.SUBDISTRICT_LEADER))
    assert (own, everything) == (1, 2)


def test_every_listed_read_is_in_the_matrix() -> None:
    assert set(SEEN_BY_SUBDISTRICT) <= set(READS)
    assert len(READS) >= 27


def test_case_by_id_of_other_community_refused_and_recorded(
    session: Session, two: TwoCommunities
) -> None:
    for role in COMMUNITY_ROLES:
        actor = two.actor(role)
        with pytest.raises(OutOfScope) as caught:
            open_case(session, case_id=two.case_b.id, actor=actor, now=NOW, rules=RULES)
        assert caught.value.target == B_CASE_NO
    refused = session.execute(
        select(AuditEntry.username, AuditEntry.target).where(AuditEntry.action == "scope.refused")
    ).all()
    assert sorted(refused) == sorted(
        (two.world.users[r.value].username, B_CASE_NO) for r in COMMUNITY_ROLES
    )


def test_case_of_other_community_opens_for_subdistrict(
    session: Session, two: TwoCommunities
) -> None:
    detail = open_case(
        session,
        case_id=two.case_b.id,
        actor=two.actor(Role.SUBDISTRICT_STAFF),
        now=NOW,
        rules=RULES,
    )
    assert detail.case.case_no == B_CASE_NO
    assert detail.case.reporter_name != B_NAME  # masked until the audited reveal
    revealed = open_case(
        session,
        case_id=two.case_b.id,
        actor=two.actor(Role.SUBDISTRICT_LEADER),
        now=NOW,
        rules=RULES,
        reveal_personal=True,
    )
    assert (revealed.case.reporter_name, revealed.case.reporter_phone) == (B_NAME, B_PHONE)
    views = session.scalars(
        select(AuditEntry.username).where(AuditEntry.action == "personal_data.view")
    ).all()
    assert views == ["subdistrict_leader"]


def test_case_number_of_other_community_not_found(session: Session, two: TwoCommunities) -> None:
    assert find_case_id(session, case_no=B_CASE_NO, actor=two.actor(Role.STAFF)) is None
    found = find_case_id(session, case_no=B_CASE_NO, actor=two.actor(Role.SUBDISTRICT_STAFF))
    assert found == two.case_b.id


def test_unknown_case_is_not_found(session: Session, two: TwoCommunities) -> None:
    with pytest.raises(CaseNotFound):
        open_case(session, case_id=999_999, actor=two.actor(Role.STAFF), now=NOW, rules=RULES)


def test_community_role_without_unit_sees_nothing(session: Session, two: TwoCommunities) -> None:
    lost = Actor(two.world.users["staff"].id, "staff", Role.STAFF)
    assert lost.lacks_unit
    assert READS["ledger_page"](session, lost) == ([], 0)
    assert unit_scope(lost) == Scope(community_id=NO_COMMUNITY)
    with pytest.raises(OutOfScope, match=UNIT_MISSING):
        open_case(session, case_id=two.case_a.id, actor=lost, now=NOW, rules=RULES)
    admin = Actor(two.world.users["admin"].id, "admin", Role.ADMIN)
    assert not admin.lacks_unit
    assert READS["ledger_page"](session, admin)[1] == 2


def test_unit_scope_forces_own_community(two: TwoCommunities) -> None:
    secretary = two.actor(Role.SECRETARY)
    asked = Scope(community_id=two.community_b.id, channel="hotline")
    assert unit_scope(secretary, asked) == Scope(
        community_id=two.world.community.id, channel="hotline"
    )
    assert unit_scope(two.actor(Role.SUBDISTRICT_LEADER), asked) == asked


def test_monthly_report_of_other_community_refused(session: Session, two: TwoCommunities) -> None:
    for role in (Role.SECRETARY, Role.STAFF):
        with pytest.raises(OutOfScope) as caught:
            monthly_report(
                session,
                community_id=two.community_b.id,
                month=NOW.date(),
                now=NOW,
                actor=two.actor(role),
            )
        assert caught.value.target == "乙社区月报"


def test_present_deck_is_named_after_the_unit(session: Session, two: TwoCommunities) -> None:
    own = present_deck(session, actor=two.actor(Role.SECRETARY), now=NOW, min_cases=0)
    whole = present_deck(session, actor=two.actor(Role.SUBDISTRICT_LEADER), now=NOW, min_cases=0)
    assert (own.place, whole.place) == ("测试社区", "测试街道")
