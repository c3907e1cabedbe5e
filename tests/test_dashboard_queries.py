"""书记看板 figures on SQLite, PostgreSQL and MariaDB: every figure equals ``domain.kpis``.

Two fixtures: a random one (fixed seed) compared figure by figure with the pure functions
over the same rows, and a small one computed by hand whose tiles are checked literally.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dashboard_cache import cache_stats, clear_dashboard_cache
from db.models import (
    Case,
    CaseEvent,
    GridCell,
    Household,
    ReceptionConcern,
    ReceptionSession,
    Visit,
)
from db.queries import dashboard as dq
from db.queries import reception as reception_queries
from db.queries.kpis import assistance_facts, case_facts, kpi_snapshot, visit_facts
from db.queries.notices import notices
from db.queries.present import present_deck
from db.queries.scope import Scope
from domain import kpis
from domain.deadlines import is_overdue
from domain.kpis import Period, Ratio
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    ESCALATED_STATUSES,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    Channel,
    HandlingType,
    Level,
)
from tests.factories import make_case, make_world
from tests.helpers.cases import actor_of, subdistrict_actor
from tests.helpers.dashboard_worlds import (
    HAND_TILES,
    NOV,
    NOW,
    PERIODS,
    T,
    hand_world,
    random_world,
    reception_world,
    scopes,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_dashboard_cache()
    yield
    clear_dashboard_cache()


# --- the random fixture ----------------------------------------------------------------------


def _pure_snapshot(session: Session, scope: Scope, period: Period) -> dict[str, object]:
    cases = case_facts(session, scope)
    visits = visit_facts(session, scope)
    helped = assistance_facts(session, scope)
    territory = Scope(community_id=scope.community_id, grid_cell_id=scope.grid_cell_id)
    households = session.scalars(select(Household.grid_cell_id)).all()
    cells_in = {
        c.id
        for c in session.scalars(select(GridCell))
        if (territory.community_id is None or c.community_id == territory.community_id)
        and (territory.grid_cell_id is None or c.id == territory.grid_cell_id)
    }
    return {
        "visits": kpis.visit_count(visits, period),
        "visit_persons": kpis.visit_person_count(visits, period),
        "visit_coverage": kpis.visit_coverage(
            visits, sum(1 for h in households if h in cells_in), period
        ),
        "accepted": kpis.accepted_count(cases, period),
        "resolution": kpis.resolution_rate(cases, period),
        "on_time": kpis.on_time_rate(cases, period),
        "response": kpis.response_rate(cases, period),
        "satisfaction": kpis.satisfaction_rate(cases, period),
        "assistance_persons": kpis.assistance_person_count(helped, period),
        "overdue": kpis.overdue_count(cases, NOW),
        "mean_handling_days": kpis.mean_handling_days(cases, period),
        "repeat": kpis.repeat_rate(cases, period),
        "community_resolution": kpis.community_resolution_rate(cases, period),
    }


def _snapshot_dict(snapshot: object) -> dict[str, object]:
    return {name: getattr(snapshot, name) for name in snapshot.__dataclass_fields__}  # type: ignore[attr-defined]


def test_live_view_tiles_equal_pure_functions(session):
    world = random_world(session)
    for scope_name, scope in scopes(session, world).items():
        for period_name, period in PERIODS.items():
            view = dq.live_view(session, period=period, now=NOW, scope=scope)
            expected = _pure_snapshot(session, scope, period)
            got = _snapshot_dict(view.current)
            assert got.keys() == expected.keys()
            for name, value in expected.items():
                if name == "mean_handling_days" and value is not None:
                    assert got[name] == pytest.approx(value), (scope_name, period_name, name)
                else:
                    assert got[name] == value, (scope_name, period_name, name)
            previous = _pure_snapshot(session, scope, period.previous_same_length())
            assert view.previous.resolution == previous["resolution"]
            assert view.previous.accepted == previous["accepted"]
            assert view.open_cases == sum(
                1 for c in case_facts(session, scope) if c.status in OPEN_STATUSES
            )


def test_cell_figures_equal_pure_functions_per_cell(session):
    world = random_world(session)
    cells = session.scalars(select(GridCell).order_by(GridCell.id)).all()
    for period in PERIODS.values():
        figures = {
            f.cell_id: f for f in dq.cell_figures(session, period=period, now=NOW, scope=Scope())
        }
        assert set(figures) == {c.id for c in cells}
        for cell in cells:
            scope = Scope(grid_cell_id=cell.id)
            cases = case_facts(session, scope)
            visits = visit_facts(session, scope)
            households = session.scalars(
                select(Household.id).where(Household.grid_cell_id == cell.id)
            ).all()
            got = figures[cell.id]
            assert got.accepted == kpis.accepted_count(cases, period)
            assert got.resolution == kpis.resolution_rate(cases, period)
            assert got.overdue == kpis.overdue_count(cases, NOW)
            assert got.open_cases == sum(1 for c in cases if c.status.value in _open_codes())
            assert got.coverage == kpis.visit_coverage(visits, len(households), period)
            assert got.visits == kpis.visit_count(visits, period)
            assert got.assistance_persons == kpis.assistance_person_count(
                assistance_facts(session, scope), period
            )
    community_only = dq.cell_figures(
        session, period=NOV, now=NOW, scope=Scope(community_id=world.community.id)
    )
    assert [f.cell_id for f in community_only] == [c.id for c in world.cells]


def _open_codes() -> set[str]:
    from domain.workflow import OPEN_STATUSES

    return {s.value for s in OPEN_STATUSES}


def test_monthly_trend_equals_pure_functions_per_month(session):
    world = random_world(session)
    months = dq.trend_months(NOW.date(), 12)
    assert months[0] == Period(T("2025-12-01 00:00"), T("2026-01-01 00:00"))
    assert months[-1] == NOV
    for scope in (Scope(), Scope(grid_cell_id=world.cells[0].id), Scope(channel="hotline")):
        cases = case_facts(session, scope)
        trend = dq.monthly_trend(session, months=months, scope=scope)
        assert [m.period for m in trend] == months
        for month in trend:
            assert month.accepted == kpis.accepted_count(cases, month.period)
            assert month.resolution == kpis.resolution_rate(cases, month.period)
            assert month.satisfaction == kpis.satisfaction_rate(cases, month.period)
    everything = dq.monthly_trend(session, months=months, scope=Scope())
    # the fixture fills every month (the exact total moves with the random draws of the states)
    assert all(m.accepted > 5 for m in everything)
    assert sum(m.accepted for m in everything) > 150


def test_breakdowns_equal_pure_functions_per_group(session):
    world = random_world(session)
    period = PERIODS["year"]
    result = dq.breakdowns(session, period=period, scope=Scope())
    for group in result.by_category:
        cases = case_facts(session, Scope(category_id=int(group.key)))
        assert group.accepted == kpis.accepted_count(cases, period)
        assert group.resolution == kpis.resolution_rate(cases, period)
    for group in result.by_channel:
        cases = case_facts(session, Scope(channel=group.key))
        assert group.label == Channel(group.key).label
        assert group.resolution == kpis.resolution_rate(cases, period)
    every = case_facts(session)
    for group in result.by_handling:
        same = [c for c in every if c.handling_type.value == group.key]
        assert group.accepted == kpis.accepted_count(same, period)
        assert group.resolution == kpis.resolution_rate(same, period)
    assert sum(g.accepted for g in result.by_category) == kpis.accepted_count(every, period)
    assert {g.label for g in result.by_category} <= {c.name for c in world.categories}
    # Levels split 解决率's numerator; 社区 is 社区化解率's numerator.
    levels = dict(result.by_level)
    resolution = kpis.resolution_rate(every, period)
    assert sum(levels.values()) == resolution.numerator
    assert levels["社区"] == kpis.community_resolution_rate(every, period).numerator
    for level in Level:
        assert levels[level.label] == sum(
            1
            for c in every
            if c.accepted_at in period
            and c.status in FINISHED_STATUSES
            and c.status not in CLOSED_WITHOUT_RESULT
            and c.handling_type is not HandlingType.RETURN
            and c.resolved_level is level
        )


def test_overdue_and_escalated_lists(session):
    random_world(session)
    rows = session.execute(select(Case.id, Case.status, Case.deadline_at, Case.accepted_at)).all()
    overdue_ids = {r.id for r in rows if is_overdue(r.status, r.deadline_at, NOW)}
    listed = dq.overdue_cases(session, now=NOW, scope=Scope(), limit=500)
    assert {c.case_id for c in listed} == overdue_ids
    assert len(listed) == kpis.overdue_count(case_facts(session), NOW)
    assert [c.deadline_at for c in listed] == sorted(c.deadline_at for c in listed)
    assert all(c.days_overdue is not None and c.days_overdue >= 0 for c in listed)
    top = dq.overdue_cases(session, now=NOW, scope=Scope(), limit=5)
    assert [c.case_id for c in top] == [c.case_id for c in listed[:5]]
    escalated = dq.escalated_cases(session, now=NOW, scope=Scope(), limit=500)
    assert {c.case_id for c in escalated} == {r.id for r in rows if r.status in ESCALATED_STATUSES}
    assert {c.status for c in escalated} <= {"已上报", "待街道签收", "街道办理中"}


def test_ranking_leaves_out_small_cells(session):
    random_world(session)
    cells = dq.cell_figures(session, period=NOV, now=NOW, scope=Scope())
    ranked = dq.cell_ranking(cells, min_cases=5)
    assert {c.cell_id for c in ranked} == {c.cell_id for c in cells if c.accepted >= 5}
    rates = [c.resolution.rate for c in ranked]
    assert rates == sorted(rates, reverse=True)


# --- the small fixture computed by hand ------------------------------------------------------


def test_hand_computed_tiles(session):
    hand_world(session)
    view = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    got = {
        t.label: (t.value, t.detail, t.delta)
        for t in dq.tiles(view.current, view.previous, open_cases=view.open_cases)
    }
    assert got == HAND_TILES


def test_hand_computed_cells_trend_and_panel(session):
    world = hand_world(session)
    c1, c2 = world.cells
    view = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    cells = {c.cell_id: c for c in view.cells}
    assert (cells[c1.id].accepted, cells[c1.id].resolution) == (4, Ratio(2, 3))
    assert (cells[c1.id].open_cases, cells[c1.id].overdue) == (2, 2)
    assert (cells[c1.id].coverage, cells[c1.id].assistance_persons) == (Ratio(2, 3), 13)
    assert (cells[c2.id].accepted, cells[c2.id].resolution) == (1, Ratio(0, 1))
    assert (cells[c2.id].open_cases, cells[c2.id].overdue) == (1, 0)
    assert (cells[c2.id].coverage, cells[c2.id].assistance_persons) == (Ratio(0, 3), 5)
    assert [c.cell_id for c in dq.cell_ranking(view.cells, min_cases=2)] == [c1.id]
    assert [f["id"] for f in view.geojson["features"]] == [c1.id, c2.id]
    assert [(p.label, p.name) for p in view.service_points] == [("卫生站", "社区卫生站")]

    analysis = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    oct_, nov = analysis.trend[-2:]
    assert (nov.label, nov.accepted, nov.resolution, nov.satisfaction) == (
        "2026-11",
        5,
        Ratio(2, 4),
        Ratio(2, 2),
    )
    assert (oct_.label, oct_.accepted, oct_.resolution, oct_.satisfaction) == (
        "2026-10",
        2,
        Ratio(1, 2),
        Ratio(0, 0),
    )
    assert dict(analysis.breakdowns.by_level) == {"社区": 1, "街道": 1, "区": 0, "上级部门": 0}
    channels = {g.label: (g.accepted, g.resolution) for g in analysis.breakdowns.by_channel}
    assert channels == {"民情热线": (4, Ratio(1, 3)), "民情信箱": (1, Ratio(1, 1))}
    assert [(c.days_overdue, c.status) for c in analysis.overdue] == [
        (28, "已受理"),
        (10, "办理中"),
    ]

    panel = dq.cell_panel(session, cell_id=c1.id, period=NOV, now=NOW)
    assert panel is not None
    assert (panel.leader, panel.leader_title, panel.collectors) == (
        "王片长",
        "社区副书记",
        ["赵党员"],
    )
    assert panel.snapshot == kpi_snapshot(
        session, period=NOV, now=NOW, scope=Scope(grid_cell_id=c1.id)
    )
    assert panel.snapshot.accepted == 4 and panel.snapshot.overdue == 2
    assert (panel.open_total, [c.status for c in panel.open_cases]) == (2, ["已受理", "办理中"])
    assert panel.households == 3
    assert dq.cell_panel(session, cell_id=999_999, period=NOV, now=NOW) is None


# --- 接待日: sessions held and their cases' outcomes, computed by hand ------------------------


def _figures(reception: dq.ReceptionFigures) -> tuple[list[tuple[str, int, int, Ratio]], tuple]:
    per_session = [
        (f"{r.held_at:%m-%d}", r.cases, r.open_cases, r.resolution) for r in reception.sessions
    ]
    return per_session, (len(reception.sessions), reception.cases, reception.open_cases,
                         reception.resolution)  # fmt: skip


def test_reception_figures_match_the_hand_computed_fixture(session):
    world = reception_world(session)
    c2 = world.cells[1]
    everywhere = dq.reception_figures(session, period=NOV, now=NOW, scope=Scope())
    assert _figures(everywhere) == (
        [("11-17", 3, 1, Ratio(1, 2)), ("11-10", 2, 1, Ratio(1, 2)), ("11-03", 3, 0, Ratio(2, 2))],
        (3, 8, 2, Ratio(4, 6)),
    )
    assert [r.community for r in everywhere.sessions] == ["测试社区", "第二社区", "测试社区"]
    community = dq.reception_figures(
        session, period=NOV, now=NOW, scope=Scope(community_id=world.community.id)
    )
    assert _figures(community)[1] == (2, 6, 1, Ratio(3, 4))
    # A cell's scope: the sessions of its 社区, the cases of the cell.
    cell = dq.reception_figures(session, period=NOV, now=NOW, scope=Scope(grid_cell_id=c2.id))
    assert _figures(cell) == ([("11-17", 1, 0, Ratio(1, 1)), ("11-03", 1, 0, Ratio(1, 1))],
                              (2, 2, 0, Ratio(2, 2)))  # fmt: skip
    october = dq.reception_figures(
        session, period=Period.month_of(dt.date(2026, 10, 1)), now=NOW, scope=Scope()
    )
    assert _figures(october) == ([("10-27", 1, 0, Ratio(1, 1))], (1, 1, 0, Ratio(1, 1)))
    # The session of 11-24 counts once its day has come.
    later = dq.reception_figures(session, period=NOV, now=T("2026-11-24 08:00"), scope=Scope())
    assert _figures(later)[1] == (4, 8, 2, Ratio(4, 6))
    analysis = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    assert analysis.reception == everywhere


def test_a_new_reception_session_reaches_the_cached_dashboard(session):
    world = reception_world(session)
    first = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    session.add(ReceptionSession(community_id=world.community.id, held_at=T("2026-11-19 08:30"),
                                 place="居民议事厅", created_at=T("2026-11-12 09:00")))  # fmt: skip
    session.commit()  # written elsewhere: no clear_dashboard_cache() here
    fresh = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    assert len(fresh.reception.sessions) == len(first.reception.sessions) + 1


# --- the cache is exact ----------------------------------------------------------------------


def test_cache_hits_until_a_row_is_appended(session):
    world = hand_world(session)
    first = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    before = cache_stats()
    again = dq.live_view(session, period=NOV, now=NOW + dt.timedelta(minutes=5), scope=Scope())
    assert cache_stats()["hits"] == before["hits"] + 1
    assert again.current == first.current
    # A case written by another process (no clear_dashboard_cache here) is seen at once.
    make_case(session, world, case_no="MQ-T-NEW", accepted_at=T("2026-11-19 09:00"))
    fresh = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    assert fresh.current.accepted == first.current.accepted + 1


def test_a_case_write_keeps_the_visit_figures_and_a_visit_recomputes_them(session):
    world = hand_world(session)
    first = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    make_case(session, world, case_no="MQ-T-NEW2", accepted_at=T("2026-11-19 09:00"))
    before = cache_stats()
    after_case = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    stats = cache_stats()
    # The live view is recomputed; its visit figures (two periods, cells) come from the cache.
    assert (stats["misses"] - before["misses"], stats["hits"] - before["hits"]) == (1, 3)
    assert after_case.current.accepted == first.current.accepted + 1
    assert after_case.current.visits == first.current.visits
    household = session.scalar(select(Household).order_by(Household.id))
    session.add(
        Visit(
            grid_cell_id=household.grid_cell_id,
            household_id=household.id,
            visited_at=T("2026-11-19 15:00"),
            visitors="网格员甲",
            people_met=2,
        )
    )
    session.commit()
    after_visit = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    assert after_visit.current.visits == first.current.visits + 1
    assert after_visit.current.visit_persons == first.current.visit_persons + 2
    cell = next(c for c in after_visit.cells if c.cell_id == household.grid_cell_id)
    assert cell.visits == next(
        c.visits + 1 for c in first.cells if c.cell_id == household.grid_cell_id
    )


def test_cache_sees_an_update_that_appends_an_event(session):
    world = hand_world(session)
    first = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    case = session.scalar(select(Case).where(Case.status == "in_progress"))
    case.status = "resolved"
    case.finished_at = NOW
    session.add(CaseEvent(case_id=case.id, at=NOW, action="finish_resolved"))
    session.commit()
    fresh = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    assert fresh.current.resolution == Ratio(
        first.current.resolution.numerator + 1, first.current.resolution.denominator
    )
    assert fresh.current.overdue == first.current.overdue - 1
    assert world  # the world stays referenced for the session


def test_overdue_figures_follow_the_clock_without_writes(session):
    hand_world(session)
    early = dq.live_view(session, period=NOV, now=T("2026-11-10 12:00"), scope=Scope())
    # Case 3's deadline (11-10 23:59:59) passes: the cached figure must not be reused.
    late = dq.live_view(session, period=NOV, now=T("2026-11-11 08:00"), scope=Scope())
    assert late.current.overdue == early.current.overdue + 1


def test_reception_page_and_dashboard_show_one_resolution_rate(session):
    """One session, one resolved case and one open 退回件: 1/1 on the 接待日 page and the 书记看板.

    DOMAIN.md §6 leaves 退回件 out of 解决率's base; the 接待日 page once counted it (1/2).
    """
    world = make_world(session)
    cell = world.cells[0]
    reception = ReceptionSession(community_id=world.community.id, held_at=T("2026-11-10 08:30"),
                                 place="党群服务中心", created_by_id=world.users["secretary"].id,
                                 created_at=T("2026-11-01 09:00"))  # fmt: skip
    session.add(reception)
    session.flush()
    for status, handling in (("resolved", "immediate"), ("accepted", "return")):
        case = make_case(session, world, channel="reception_day", status=status,
                         handling_type=handling, grid_cell_id=cell.id,
                         accepted_at=reception.held_at)  # fmt: skip
        session.add(ReceptionConcern(case_id=case.id, session_id=reception.id))
    session.commit()

    (row,) = reception_queries.list_sessions(session, actor=actor_of(world, "secretary"))
    (figures,) = dq.reception_figures(session, period=NOV, now=NOW, scope=Scope()).sessions
    scanned = dq.reception_figures(session, period=NOV, now=NOW, scope=Scope(), use_rollups=False)
    assert row.resolved == Ratio(1, 1)
    assert figures.resolution == Ratio(1, 1)
    assert scanned.sessions[0].resolution == Ratio(1, 1)
    assert (row.cases, row.open_cases) == (figures.cases, figures.open_cases) == (2, 1)


def test_cell_panel_shows_no_days_overdue_for_a_paused_case(session):
    """A 补办件 waiting for materials has its clock stopped: no 逾期天数 (the case page shows none)."""
    world = make_world(session)
    cell = world.cells[0]
    paused = make_case(session, world, status="awaiting_materials", handling_type="supplement",
                       grid_cell_id=cell.id, accepted_at=NOW - dt.timedelta(days=340),
                       deadline_at=NOW - dt.timedelta(days=329))  # fmt: skip
    late = make_case(session, world, status="in_progress", handling_type="promised",
                     grid_cell_id=cell.id, accepted_at=NOW - dt.timedelta(days=20),
                     deadline_at=NOW - dt.timedelta(days=3))  # fmt: skip
    session.commit()
    panel = dq.cell_panel(session, cell_id=cell.id, period=NOV, now=NOW)
    assert panel is not None
    days = {link.case_id: link.days_overdue for link in panel.open_cases}
    assert days == {paused.id: None, late.id: 3}
    assert panel.snapshot.overdue == 1


def test_the_first_of_a_month_is_compared_with_the_day_before(session):
    """本月 on 1 December is 1 December, compared with 30 November — not with all of November.

    One case accepted on each day of November and one on the morning of 1 December: the
    projector and the dashboard's 本月 show 1 against 1, not 1 against 30 (受理件数 −29).
    """
    world = make_world(session)
    for day in range(1, 31):
        make_case(session, world, accepted_at=dt.datetime(2026, 11, day, 9, 0))
    make_case(session, world, accepted_at=T("2026-12-01 08:00"))
    session.commit()
    now = T("2026-12-01 09:30")
    deck = present_deck(session, actor=subdistrict_actor(world), now=now, min_cases=1)
    assert deck.month == Period(T("2026-12-01 00:00"), T("2026-12-02 00:00"))
    assert (deck.headline.accepted, deck.previous.accepted) == (1, 1)
    month_so_far = Period.month_of(now.date()).up_to(now.date())
    view = dq.live_view(session, period=month_so_far, now=now, scope=Scope())
    accepted = next(
        t for t in dq.tiles(view.current, view.previous, open_cases=0) if t.key == "accepted"
    )
    assert (accepted.value, accepted.delta) == ("1", "+0")


def test_notice_selection_equals_the_resolved_cases_of_the_period(session):
    """公示 (projector and PDF) lists exactly the cases of 解决率's numerator finished in the period."""
    world = random_world(session)
    for scope in (Scope(), Scope(community_id=world.community.id)):
        expected = sorted(
            c.finished_at.date()
            for c in case_facts(session, scope)
            if c.finished_at is not None
            and c.finished_at in NOV
            and c.status in FINISHED_STATUSES
            and c.status not in CLOSED_WITHOUT_RESULT
            and c.handling_type != HandlingType.RETURN
        )
        found = notices(session, period=NOV, scope=scope)
        assert len(found) == len(expected) > 0
        assert sorted(n.finished_on for n in found) == expected
