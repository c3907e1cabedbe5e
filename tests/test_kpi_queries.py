"""The KPIs computed in SQL agree with the reference functions of ``domain.kpis``.

(a) A random but deterministic world (``random.Random(42)``): every status, handling type,
level and answer, times on the period boundaries; ``kpi_snapshot`` must equal the pure
functions field for field, for several scopes, periods and moments, on every backend.
(b) A tiny world whose numbers are computed by hand and asserted literally.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from db.models import Assistance, Case, Community, GridCell, Household, Visit
from db.queries.kpis import (
    KpiSnapshot,
    Scope,
    assistance_facts,
    case_facts,
    headline_kpis,
    household_count,
    kpi_snapshot,
    visit_facts,
)
from domain import kpis
from domain.deadlines import compute_deadline, handling_working_days, response_due
from domain.kpis import AssistanceFacts, CaseFacts, Period, Ratio, VisitFacts
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
NOV = Period.month_of(dt.date(2026, 11, 1))


def reference_snapshot(
    cases: list[CaseFacts],
    visits: list[VisitFacts],
    assistance: list[AssistanceFacts],
    households: int,
    period: Period,
    now: dt.datetime,
) -> KpiSnapshot:
    """The snapshot the pure functions of ``domain.kpis`` give on the same facts."""
    return KpiSnapshot(
        visits=kpis.visit_count(visits, period),
        visit_persons=kpis.visit_person_count(visits, period),
        visit_coverage=kpis.visit_coverage(visits, households, period),
        accepted=kpis.accepted_count(cases, period),
        resolution=kpis.resolution_rate(cases, period),
        on_time=kpis.on_time_rate(cases, period),
        response=kpis.response_rate(cases, period),
        satisfaction=kpis.satisfaction_rate(cases, period),
        assistance_persons=kpis.assistance_person_count(assistance, period),
        overdue=kpis.overdue_count(cases, now),
        mean_handling_days=kpis.mean_handling_days(cases, period),
        repeat=kpis.repeat_rate(cases, period),
        community_resolution=kpis.community_resolution_rate(cases, period),
    )


# --- (a) the random world -----------------------------------------------------------------


@dataclass
class RandomWorld:
    """The rows written, with what each case's scope fields were, to filter in Python."""

    world: World
    cells: list[GridCell]
    households_by_cell: dict[int, list[int]]
    cases: list[tuple[CaseFacts, dict[str, object]]]
    visits: list[tuple[VisitFacts, int]]
    assistance: list[tuple[AssistanceFacts, int]]


BOUNDARIES = [
    T("2026-10-01 00:00:00"),
    T("2026-10-31 23:59:59"),
    T("2026-11-01 00:00:00"),
    T("2026-11-30 23:59:59"),
    T("2026-12-01 00:00:00"),
    T("2026-11-10 00:00:00"),
    T("2026-11-17 00:00:00"),
]


def _moment(rng: random.Random, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    """A whole-second moment in ``[first, last]``, now and then exactly on a period boundary."""
    if rng.random() < 0.08:
        return rng.choice(BOUNDARIES)
    return first + dt.timedelta(seconds=rng.randrange(int((last - first).total_seconds())))


def _random_case(rng: random.Random, status: CaseStatus, handling: HandlingType) -> CaseFacts:
    accepted = _moment(rng, T("2026-08-20 00:00"), T("2026-12-20 00:00"))
    urgent = rng.random() < 0.1
    promised = accepted.date() + dt.timedelta(days=rng.randrange(0, 20))
    deadline = compute_deadline(handling, accepted, promised_date=promised, urgent=urgent)
    due = response_due(accepted, urgent=urgent)
    first_response = None
    if rng.random() < 0.85:
        first_response = rng.choice(
            [due, accepted + dt.timedelta(minutes=rng.randrange(0, 5 * 24 * 60))]
        )
    reopened = status is CaseStatus.IN_PROGRESS and rng.random() < 0.3
    finished = None
    if status in FINISHED_STATUSES or reopened or rng.random() < 0.1:
        finished = rng.choice(
            [deadline, accepted + dt.timedelta(minutes=rng.randrange(0, 20 * 24 * 60))]
        )
    satisfaction = followed_up = None
    if status in (CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED) or reopened:
        satisfaction = Satisfaction.DISSATISFIED if reopened else rng.choice(list(Satisfaction))
        followed_up = (finished or accepted) + dt.timedelta(hours=rng.randrange(1, 24 * 10))
    days = None
    if finished is not None and rng.random() < 0.9:
        days = handling_working_days(accepted, finished)
    level = rng.choice([*Level, None]) if finished is not None else None
    return CaseFacts(
        accepted_at=accepted,
        status=status,
        handling_type=handling,
        deadline_at=None if rng.random() < 0.05 else deadline,
        response_due_at=None if rng.random() < 0.05 else due,
        first_response_at=first_response,
        finished_at=finished,
        handling_working_days=days,
        resolved_level=level,
        is_repeat=rng.random() < 0.2,
        satisfaction=satisfaction,
        followed_up_at=followed_up,
        updated_at=accepted,  # the row's updated_at (build_random_world)
    )


def build_random_world(session: Session, seed: int = 42, n_cases: int = 330) -> RandomWorld:
    """Two communities, five grid cells, 330 cases, 160 visits, 60 assistance records."""
    rng = random.Random(seed)
    world = make_world(session, cells=3, households_per_cell=6)
    other = Community(subdistrict_id=world.community.subdistrict_id, name="第二社区", code="T02")
    session.add(other)
    session.flush()
    for i in range(2):
        cell = GridCell(
            community_id=other.id,
            code=f"T02-{i + 1:02d}",
            name=f"第二社区第{i + 1}网格",
            boundary_geojson=square(113.0 + i * 0.002, 28.3),
            center_lat=28.301,
            center_lon=113.001 + i * 0.002,
        )
        session.add(cell)
        session.flush()
        for j in range(5):
            session.add(Household(grid_cell_id=cell.id, building=f"{j + 1}栋", head_name="住户"))
    session.flush()
    cells = list(session.query(GridCell).order_by(GridCell.id))
    households_by_cell: dict[int, list[int]] = {c.id: [] for c in cells}
    for hh in session.query(Household).order_by(Household.id):
        households_by_cell[hh.grid_cell_id].append(hh.id)
    assignees = [world.users["staff"].id, world.users["gridworker"].id, None]

    cases: list[tuple[CaseFacts, dict[str, object]]] = []
    combos = [(s, h) for s in CaseStatus for h in HandlingType]  # each pair at least once
    for i in range(n_cases):
        status, handling = (
            combos[i]
            if i < len(combos)
            else (rng.choice(list(CaseStatus)), rng.choice(list(HandlingType)))
        )
        facts = _random_case(rng, status, handling)
        cell = rng.choice(cells)
        where: dict[str, object] = {
            "community_id": cell.community_id,
            "grid_cell_id": cell.id,
            "category_id": rng.choice(world.categories[:3]).id,
            "channel": rng.choice([Channel.HOTLINE, Channel.MAILBOX, Channel.HOME_VISIT]).value,
            "assignee_id": rng.choice(assignees),
        }
        session.add(
            Case(
                case_no=f"MQ-R-{i:06d}",
                handling_type=facts.handling_type.value,
                status=facts.status.value,
                description="随机案件",
                first_handler_id=world.users["staff"].id,
                accepted_at=facts.accepted_at,
                deadline_at=facts.deadline_at,
                response_due_at=facts.response_due_at,
                first_response_at=facts.first_response_at,
                finished_at=facts.finished_at,
                handling_working_days=facts.handling_working_days,
                resolved_level=facts.resolved_level.value if facts.resolved_level else None,
                is_repeat=facts.is_repeat,
                satisfaction=facts.satisfaction.value if facts.satisfaction else None,
                followed_up_at=facts.followed_up_at,
                updated_at=facts.accepted_at,
                **where,
            )
        )
        cases.append((facts, where))

    visits: list[tuple[VisitFacts, int]] = []
    for _ in range(160):
        cell = rng.choice(cells)
        household = rng.choice([*households_by_cell[cell.id], None])
        facts = VisitFacts(
            _moment(rng, T("2026-09-01 00:00"), T("2026-12-31 00:00")),
            rng.randrange(1, 6),
            household,
        )
        session.add(
            Visit(
                grid_cell_id=cell.id,
                household_id=household,
                visited_at=facts.visited_at,
                visitors="网格员甲",
                people_met=facts.people_met,
            )
        )
        visits.append((facts, cell.id))

    assistance: list[tuple[AssistanceFacts, int]] = []
    for _ in range(60):
        cell = rng.choice(cells)
        facts = AssistanceFacts(
            _moment(rng, T("2026-09-01 00:00"), T("2026-12-31 00:00")), rng.randrange(1, 20)
        )
        session.add(
            Assistance(
                grid_cell_id=cell.id,
                beneficiary="空巢老人",
                target_group="橙",
                kind="慰问",
                given_at=facts.given_at,
                persons_helped=facts.persons_helped,
                helpers="党员志愿者",
            )
        )
        assistance.append((facts, cell.id))
    session.commit()
    return RandomWorld(world, cells, households_by_cell, cases, visits, assistance)


ScopeOf = Callable[[RandomWorld], Scope]
SCOPES: dict[str, ScopeOf] = {
    "everything": lambda w: Scope(),
    "community": lambda w: Scope(community_id=w.world.community.id),
    "other_community": lambda w: Scope(community_id=w.cells[-1].community_id),
    "grid_cell": lambda w: Scope(grid_cell_id=w.cells[1].id),
    "category": lambda w: Scope(category_id=w.world.categories[0].id),
    "channel": lambda w: Scope(channel=Channel.HOTLINE.value),
    "assignee": lambda w: Scope(assignee_id=w.world.users["gridworker"].id),
    "cell_category_channel": lambda w: Scope(
        community_id=w.world.community.id,
        grid_cell_id=w.cells[0].id,
        category_id=w.world.categories[1].id,
        channel=Channel.MAILBOX.value,
    ),
    "nowhere": lambda w: Scope(community_id=w.world.community.id, grid_cell_id=w.cells[-1].id),
}
PERIODS = [
    NOV,
    Period.month_of(dt.date(2026, 10, 1)),
    Period.quarter_of(dt.date(2026, 11, 1)),
    Period.year_of(dt.date(2026, 1, 1)),
    Period(T("2026-11-10 00:00"), T("2026-11-17 00:00")),
    Period.month_of(dt.date(2025, 1, 1)),
]
MOMENTS = [T("2026-11-20 10:00"), T("2026-11-24 23:59:59"), T("2026-12-25 00:00")]


def _in_territory(cell_id: int, scope: Scope, w: RandomWorld) -> bool:
    community = next(c.community_id for c in w.cells if c.id == cell_id)
    return (scope.grid_cell_id in (None, cell_id)) and (scope.community_id in (None, community))


def _in_scope(where: dict[str, object], scope: Scope) -> bool:
    return all(
        getattr(scope, key) is None or getattr(scope, key) == value for key, value in where.items()
    )


@pytest.fixture
def random_world(session: Session) -> RandomWorld:
    return build_random_world(session)


def test_random_world_covers_every_kind_of_case(random_world: RandomWorld):
    facts = [f for f, _ in random_world.cases]
    assert {f.status for f in facts} == set(CaseStatus)
    assert {f.handling_type for f in facts} == set(HandlingType)
    assert {f.resolved_level for f in facts} == {*Level, None}
    assert {f.satisfaction for f in facts} == {*Satisfaction, None}
    assert {f.is_repeat for f in facts} == {True, False}
    assert any(f.accepted_at == NOV.start for f in facts)
    assert any(f.accepted_at == NOV.end for f in facts)
    visited = [v.household_id for v, _ in random_world.visits if v.household_id]
    assert len(visited) > len(set(visited))  # some households visited twice


def test_loaders_return_the_rows_written(session: Session, random_world: RandomWorld):
    scope = Scope(grid_cell_id=random_world.cells[2].id)
    expected = [f for f, where in random_world.cases if _in_scope(where, scope)]
    assert case_facts(session, scope) == expected
    assert len(expected) > 30
    assert visit_facts(session, scope) == [
        v for v, cell in random_world.visits if cell == scope.grid_cell_id
    ]
    assert assistance_facts(session, scope) == [
        a for a, cell in random_world.assistance if cell == scope.grid_cell_id
    ]


@pytest.mark.parametrize("scope_name", list(SCOPES))
def test_sql_snapshot_equals_the_reference_functions(
    session: Session, random_world: RandomWorld, scope_name: str
):
    w = random_world
    scope = SCOPES[scope_name](w)
    cases = case_facts(session, scope)
    assert cases == [f for f, where in w.cases if _in_scope(where, scope)]
    visits = visit_facts(session, scope)
    assistance = assistance_facts(session, scope)
    households = sum(
        len(hh) for cell, hh in w.households_by_cell.items() if _in_territory(cell, scope, w)
    )
    assert household_count(session, scope) == households
    for period in PERIODS:
        for now in MOMENTS:
            got = kpi_snapshot(session, period=period, now=now, scope=scope)
            want = reference_snapshot(cases, visits, assistance, households, period, now)
            assert got == want, (scope_name, period, now)
            headline = headline_kpis(session, period=period, scope=scope)
            assert headline == (want.visits, want.resolution, want.assistance_persons)


def test_random_world_gives_non_trivial_numbers(session: Session, random_world: RandomWorld):
    """Guards the equality test against a fixture in which every figure is zero."""
    snap = kpi_snapshot(session, period=NOV, now=T("2026-11-20 10:00"))
    for ratio in (
        snap.resolution,
        snap.on_time,
        snap.response,
        snap.satisfaction,
        snap.repeat,
        snap.community_resolution,
        snap.visit_coverage,
    ):
        assert 0 < ratio.numerator < ratio.denominator
    assert snap.accepted > 40
    assert snap.overdue > 0
    assert snap.visits > 20 and snap.visit_persons > snap.visits
    assert snap.assistance_persons > 0
    assert snap.mean_handling_days is not None and snap.mean_handling_days > 0
    facts = [f for f, _ in random_world.cases]
    paused_past_due = [
        f
        for f in facts
        if f.status is CaseStatus.AWAITING_MATERIALS
        and f.deadline_at is not None
        and f.deadline_at < T("2026-11-20 10:00")
    ]
    assert paused_past_due  # the overdue count really had paused cases to leave out


def test_snapshot_takes_six_round_trips(
    engine: Engine, session: Session, random_world: RandomWorld
):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        kpi_snapshot(session, period=NOV, now=T("2026-11-20 10:00"), scope=Scope(channel="hotline"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 6
    assert all("count(" in s.lower() or "sum(" in s.lower() for s in selects)


# --- (b) a tiny world computed by hand ----------------------------------------------------


@dataclass
class TinyWorld:
    world: World
    cell0: int
    cell1: int


@pytest.fixture
def tiny(session: Session) -> TinyWorld:
    """Nine cases, six visits and three assistance records in two grid cells of one 社区.

    Period: November 2026; now: 2026-11-20 10:00.
    """
    w = make_world(session, cells=2, households_per_cell=3)
    c0, c1 = w.cells[0].id, w.cells[1].id
    hh = [h.id for h in w.households]  # 0–2 in cell 0, 3–5 in cell 1
    cat0, cat1 = w.categories[0].id, w.categories[1].id

    def add(
        cell: int, accepted: str, status: str, handling: str, deadline: str, **more: object
    ) -> None:
        times = {k: T(v) for k, v in more.items() if k.endswith("_at") and isinstance(v, str)}
        make_case(
            session,
            w,
            grid_cell_id=cell,
            accepted_at=T(accepted),
            status=status,
            handling_type=handling,
            deadline_at=T(deadline),
            **{"category_id": cat0, **more, **times},
        )

    # a: done on time, 社区, 满意
    add(c0, "2026-11-02 09:00", "followed_up", "promised", "2026-11-05 23:59:59",
        response_due_at="2026-11-03 23:59:59", first_response_at="2026-11-02 10:00",
        finished_at="2026-11-04 15:00", handling_working_days=2, resolved_level="community",
        satisfaction="satisfied", followed_up_at="2026-11-06 10:00")  # fmt: skip
    # b: answered late, responded late, 街道; the only case of the second category
    add(c0, "2026-11-03 09:00", "answered", "escalate", "2026-11-06 23:59:59",
        response_due_at="2026-11-04 23:59:59", first_response_at="2026-11-05 09:00",
        finished_at="2026-11-10 11:00", handling_working_days=5, resolved_level="subdistrict",
        category_id=cat1)  # fmt: skip
    # c: open, past its deadline → overdue
    add(c1, "2026-11-05 09:00", "in_progress", "supplement", "2026-11-10 23:59:59",
        response_due_at="2026-11-06 23:59:59", first_response_at="2026-11-05 10:00")  # fmt: skip
    # d: waiting for materials past its deadline → paused, not overdue; never responded
    add(c1, "2026-11-09 09:00", "awaiting_materials", "supplement", "2026-11-12 23:59:59",
        response_due_at="2026-11-10 23:59:59")  # fmt: skip
    # e: 退回件, returned
    add(c0, "2026-11-06 09:00", "returned", "return", "2026-11-09 23:59:59",
        response_due_at="2026-11-09 23:59:59", first_response_at="2026-11-06 11:00")  # fmt: skip
    # f: merged duplicate, a repeat
    add(c1, "2026-11-10 09:00", "merged", "promised", "2026-11-30 23:59:59",
        response_due_at="2026-11-11 23:59:59", first_response_at="2026-11-10 09:30",
        is_repeat=True)  # fmt: skip
    # g: accepted in October, escalated, overdue now
    add(c0, "2026-10-20 09:00", "escalated", "escalate", "2026-10-23 23:59:59",
        response_due_at="2026-10-21 23:59:59", first_response_at="2026-10-20 10:00")  # fmt: skip
    # h: 即办 the same day, 社区, a repeat; the follow-up call got no answer (未评价)
    add(c1, "2026-11-12 09:00", "followed_up", "immediate", "2026-11-12 23:59:59",
        response_due_at="2026-11-13 23:59:59", first_response_at="2026-11-12 09:05",
        finished_at="2026-11-12 16:00", handling_working_days=0, resolved_level="community",
        is_repeat=True, satisfaction="no_answer", followed_up_at="2026-11-16 10:00")  # fmt: skip
    # i: 不满意 on follow-up, reopened, due later
    add(c1, "2026-11-13 09:00", "in_progress", "promised", "2026-11-27 23:59:59",
        response_due_at="2026-11-16 23:59:59", first_response_at="2026-11-13 10:00",
        satisfaction="dissatisfied", followed_up_at="2026-11-18 10:00")  # fmt: skip

    visits = [
        (c0, hh[0], "2026-11-02 09:00", 3),
        (c0, hh[0], "2026-11-15 15:00", 2),  # the same household again
        (c1, hh[3], "2026-11-20 10:00", 1),
        (c0, hh[1], "2026-10-31 23:59:59", 4),  # October
        (c1, None, "2026-11-30 23:59:59", 2),  # a building, no household
        (c1, hh[4], "2026-12-01 00:00:00", 5),  # December
    ]
    for cell, household, at, met in visits:
        session.add(
            Visit(
                grid_cell_id=cell,
                household_id=household,
                visited_at=T(at),
                visitors="片长",
                people_met=met,
            )
        )
    for cell, at, persons in [
        (c0, "2026-11-05 11:00", 13),
        (c1, "2026-11-20 09:00", 2),
        (c0, "2026-10-31 12:00", 100),
    ]:
        session.add(
            Assistance(
                grid_cell_id=cell,
                beneficiary="空巢老人",
                target_group="橙",
                kind="爱心盒饭",
                given_at=T(at),
                persons_helped=persons,
                helpers="党员志愿者",
            )
        )
    session.commit()
    return TinyWorld(w, c0, c1)


NOW = T("2026-11-20 10:00")


def test_tiny_world_everything(session: Session, tiny: TinyWorld):
    snap = kpi_snapshot(session, period=NOV, now=NOW)
    assert snap == KpiSnapshot(
        visits=4,
        visit_persons=8,
        visit_coverage=Ratio(2, 6),
        accepted=8,
        resolution=Ratio(3, 6),  # a, b, h of a, b, c, d, h, i (e returned, f merged)
        on_time=Ratio(2, 3),  # a and h on time, b late
        response=Ratio(6, 8),  # b late, d never
        satisfaction=Ratio(1, 2),  # a 满意, i 不满意; h 未评价 left out
        assistance_persons=15,
        overdue=2,  # c and g; d is paused
        mean_handling_days=pytest.approx(7 / 3),
        repeat=Ratio(2, 8),
        community_resolution=Ratio(2, 3),
    )
    assert snap.resolution.percent() == "50.0%"
    assert headline_kpis(session, period=NOV) == (4, Ratio(3, 6), 15)


def test_tiny_world_by_grid_cell(session: Session, tiny: TinyWorld):
    first = kpi_snapshot(session, period=NOV, now=NOW, scope=Scope(grid_cell_id=tiny.cell0))
    assert first == KpiSnapshot(
        visits=2,
        visit_persons=5,
        visit_coverage=Ratio(1, 3),
        accepted=3,
        resolution=Ratio(2, 2),
        on_time=Ratio(1, 2),
        response=Ratio(2, 3),
        satisfaction=Ratio(1, 1),
        assistance_persons=13,
        overdue=1,
        mean_handling_days=3.5,
        repeat=Ratio(0, 3),
        community_resolution=Ratio(1, 2),
    )
    second = kpi_snapshot(session, period=NOV, now=NOW, scope=Scope(grid_cell_id=tiny.cell1))
    assert second == KpiSnapshot(
        visits=2,
        visit_persons=3,
        visit_coverage=Ratio(1, 3),
        accepted=5,
        resolution=Ratio(1, 4),
        on_time=Ratio(1, 1),
        response=Ratio(4, 5),
        satisfaction=Ratio(0, 1),
        assistance_persons=2,
        overdue=1,
        mean_handling_days=0.0,
        repeat=Ratio(2, 5),
        community_resolution=Ratio(1, 1),
    )


def test_category_scope_leaves_visits_and_assistance_alone(session: Session, tiny: TinyWorld):
    snap = kpi_snapshot(
        session, period=NOV, now=NOW, scope=Scope(category_id=tiny.world.categories[1].id)
    )
    assert (snap.accepted, snap.resolution, snap.on_time, snap.overdue) == (
        1,
        Ratio(1, 1),
        Ratio(0, 1),
        0,
    )
    assert (snap.visits, snap.visit_coverage, snap.assistance_persons) == (4, Ratio(2, 6), 15)


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        ("2026-10-23 23:59:59", 0),  # g is due until its day ends
        ("2026-10-24 00:00:00", 1),  # g
        ("2026-11-27 23:59:59", 2),  # c and g; i is due this very second
        ("2026-11-28 00:00:00", 3),  # the reopened case i has joined them
    ],
)
def test_overdue_around_a_deadline(session: Session, tiny: TinyWorld, now: str, overdue: int):
    assert kpi_snapshot(session, period=NOV, now=T(now)).overdue == overdue


def test_empty_scope_gives_undefined_rates(session: Session, tiny: TinyWorld):
    snap = kpi_snapshot(
        session, period=NOV, now=NOW, scope=Scope(community_id=tiny.world.community.id + 99)
    )
    assert snap == KpiSnapshot(
        visits=0,
        visit_persons=0,
        visit_coverage=Ratio(0, 0),
        accepted=0,
        resolution=Ratio(0, 0),
        on_time=Ratio(0, 0),
        response=Ratio(0, 0),
        satisfaction=Ratio(0, 0),
        assistance_persons=0,
        overdue=0,
        mean_handling_days=None,
        repeat=Ratio(0, 0),
        community_resolution=Ratio(0, 0),
    )
    assert snap.resolution.percent() == "—"


def test_previous_month_of_the_tiny_world(session: Session, tiny: TinyWorld):
    october = kpi_snapshot(session, period=NOV.month_before(), now=NOW)
    assert (
        october.accepted,
        october.visits,
        october.visit_persons,
        october.assistance_persons,
    ) == (1, 1, 4, 100)
    assert october.resolution == Ratio(0, 1)
