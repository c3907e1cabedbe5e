"""书记看板 figures on SQLite, PostgreSQL and MariaDB: every figure equals ``domain.kpis``.

Two fixtures: a random one (fixed seed) compared figure by figure with the pure functions
over the same rows, and a small one computed by hand whose tiles are checked literally.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dashboard_cache import cache_stats, clear_dashboard_cache
from db.models import (
    Assistance,
    Case,
    CaseEvent,
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
from db.queries import dashboard as dq
from db.queries.kpis import Scope, assistance_facts, case_facts, kpi_snapshot, visit_facts
from domain import kpis
from domain.deadlines import is_overdue
from domain.kpis import Period, Ratio
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    OPEN_STATUSES,
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


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_dashboard_cache()
    yield
    clear_dashboard_cache()


# --- the random fixture ----------------------------------------------------------------------


def _second_community(session: Session, world: World) -> list[GridCell]:
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


def _random_world(session: Session, seed: int = 42, cases: int = 260) -> World:
    rng = random.Random(seed)
    world = make_world(session, cells=3, households_per_cell=5)
    cells = world.cells + _second_community(session, world)
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


def _scopes(session: Session, world: World) -> dict[str, Scope]:
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
    world = _random_world(session)
    for scope_name, scope in _scopes(session, world).items():
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
            previous = _pure_snapshot(session, scope, period.previous())
            assert view.previous.resolution == previous["resolution"]
            assert view.previous.accepted == previous["accepted"]
            assert view.open_cases == sum(
                1 for c in case_facts(session, scope) if c.status in OPEN_STATUSES
            )


def test_cell_figures_equal_pure_functions_per_cell(session):
    world = _random_world(session)
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
    world = _random_world(session)
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
    assert sum(m.accepted for m in everything) > 200  # the fixture fills every month


def test_breakdowns_equal_pure_functions_per_group(session):
    world = _random_world(session)
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
    _random_world(session)
    rows = session.execute(select(Case.id, Case.status, Case.deadline_at, Case.accepted_at)).all()
    overdue_ids = {r.id for r in rows if is_overdue(r.status, r.deadline_at, NOW)}
    listed = dq.overdue_cases(session, now=NOW, scope=Scope(), limit=500)
    assert {c.case_id for c in listed} == overdue_ids
    assert len(listed) == kpis.overdue_count(case_facts(session), NOW)
    assert [c.deadline_at for c in listed] == sorted(c.deadline_at for c in listed)
    assert all(c.url == f"/case?id={c.case_id}" and c.days_overdue >= 0 for c in listed)
    top = dq.overdue_cases(session, now=NOW, scope=Scope(), limit=5)
    assert [c.case_id for c in top] == [c.case_id for c in listed[:5]]
    escalated = dq.escalated_cases(session, now=NOW, scope=Scope(), limit=500)
    assert {c.case_id for c in escalated} == {
        r.id for r in rows if r.status == CaseStatus.ESCALATED.value
    }
    assert all(c.status == "已上报" for c in escalated)


def test_ranking_leaves_out_small_cells(session):
    _random_world(session)
    cells = dq.cell_figures(session, period=NOV, now=NOW, scope=Scope())
    ranked = dq.cell_ranking(cells, min_cases=5)
    assert {c.cell_id for c in ranked} == {c.cell_id for c in cells if c.accepted >= 5}
    rates = [c.resolution.rate for c in ranked]
    assert rates == sorted(rates, reverse=True)


# --- the small fixture computed by hand ------------------------------------------------------


def _hand_world(session: Session) -> World:
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


def test_hand_computed_tiles(session):
    _hand_world(session)
    view = dq.live_view(session, period=NOV, now=NOW, scope=Scope())
    got = {
        t.label: (t.value, t.detail, t.delta)
        for t in dq.tiles(view.current, view.previous, open_cases=view.open_cases)
    }
    assert got == HAND_TILES


def test_hand_computed_cells_trend_and_panel(session):
    world = _hand_world(session)
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


def _reception_world(session: Session) -> World:
    """Five sessions (three held in November, one in October, one still to come) and nine
    接待日 cases; the figures of each scope are worked out beside the tests."""
    world = make_world(session, cells=2, households_per_cell=3)
    c1, c2 = world.cells
    (other, _) = _second_community(session, world)
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


def _figures(reception: dq.ReceptionFigures) -> tuple[list[tuple[str, int, int, Ratio]], tuple]:
    per_session = [
        (f"{r.held_at:%m-%d}", r.cases, r.open_cases, r.resolution) for r in reception.sessions
    ]
    return per_session, (len(reception.sessions), reception.cases, reception.open_cases,
                         reception.resolution)  # fmt: skip


def test_reception_figures_match_the_hand_computed_fixture(session):
    world = _reception_world(session)
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
    world = _reception_world(session)
    first = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    session.add(ReceptionSession(community_id=world.community.id, held_at=T("2026-11-19 08:30"),
                                 place="居民议事厅", created_at=T("2026-11-12 09:00")))  # fmt: skip
    session.commit()  # written elsewhere: no clear_dashboard_cache() here
    fresh = dq.analysis_view(session, period=NOV, now=NOW, scope=Scope())
    assert len(fresh.reception.sessions) == len(first.reception.sessions) + 1


# --- the cache is exact ----------------------------------------------------------------------


def test_cache_hits_until_a_row_is_appended(session):
    world = _hand_world(session)
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
    world = _hand_world(session)
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
    world = _hand_world(session)
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
    _hand_world(session)
    early = dq.live_view(session, period=NOV, now=T("2026-11-10 12:00"), scope=Scope())
    # Case 3's deadline (11-10 23:59:59) passes: the cached figure must not be reused.
    late = dq.live_view(session, period=NOV, now=T("2026-11-11 08:00"), scope=Scope())
    assert late.current.overdue == early.current.overdue + 1
