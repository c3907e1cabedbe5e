"""The demo data generator: deterministic, a proper grid, rule-abiding cases, calibrated KPIs."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import DateTime

from db import demo
from db.engine import make_engine
from db.models import (
    Assistance,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Community,
    Deliberation,
    GridCell,
    GridCollector,
    Household,
    LiaisonLink,
    Person,
    PointRule,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
    ServicePoint,
    User,
    UserGridScope,
    Visit,
)
from db.queries.kpis import kpi_snapshot
from db.queries.predicates import OPEN
from db.seed import check_password
from domain import kpis
from domain.deadlines import (
    ClockRules,
    compute_deadline,
    end_of,
    extend_after_pause,
    handling_working_days,
    pauses_of,
    reopened_deadline,
    response_due,
)
from domain.deliberation import ORDER
from domain.kpis import AssistanceFacts, CaseFacts, Period, VisitFacts
from domain.people import DEFAULT_RULES
from domain.reference import AssistanceKind, TargetGroup
from domain.roles import Role
from domain.workflow import (
    FINISHED_STATUSES,
    FIRST_RESPONSE_ACTIONS,
    OPEN_STATUSES,
    Action,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    Satisfaction,
    TransitionError,
    next_status,
)
from tests.factories import migrate

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 18, 0)
YEAR = Period(dt.datetime(2025, 12, 1), dt.datetime(2026, 11, 23))
THIS_MONTH = Period.month_of(TODAY)

Ring = Sequence[Sequence[float]]


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The app's demo database, generated once for the module with a pinned ``today``."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    migrate(engine)
    assert demo.ensure_demo_data(engine, today=TODAY) is True
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def cases(demo_engine: Engine) -> list[dict]:
    with demo_engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(Case.__table__)).mappings()]


def _facts(rows: list[dict]) -> list[CaseFacts]:
    return [
        CaseFacts(
            accepted_at=r["accepted_at"],
            status=CaseStatus(r["status"]),
            handling_type=HandlingType(r["handling_type"]),
            deadline_at=r["deadline_at"],
            response_due_at=r["response_due_at"],
            first_response_at=r["first_response_at"],
            finished_at=r["finished_at"],
            handling_working_days=r["handling_working_days"],
            resolved_level=Level(r["resolved_level"]) if r["resolved_level"] else None,
            is_repeat=r["is_repeat"],
            satisfaction=Satisfaction(r["satisfaction"]) if r["satisfaction"] else None,
            followed_up_at=r["followed_up_at"],
        )
        for r in rows
    ]


# ---------------------------------------------------------------- determinism


def _fingerprint(engine: Engine) -> str:
    """A hash over every generated row (users' bcrypt hashes are salted, so left out)."""
    digest = hashlib.sha256()
    tables = [GridCell, Household, Person, Visit, Assistance, Case, CaseEvent, ServicePoint]
    tables += [LiaisonLink, PointRule, ReceptionSession, Deliberation]
    with engine.connect() as conn:
        for table in tables:
            for row in conn.execute(select(table.__table__).order_by(table.__table__.c.id)):
                digest.update(repr(tuple(row)).encode())
        for table in (ReceptionDeputy, ReceptionConcern):
            keys = table.__table__.primary_key.columns
            for row in conn.execute(select(table.__table__).order_by(*keys)):
                digest.update(repr(tuple(row)).encode())
        for row in conn.execute(select(User.username, User.role, User.person_id)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _small(tmp_path, name: str, seed: int) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    demo.generate(engine, cases=400, seed=seed, today=TODAY)
    return engine


def test_same_seed_and_today_give_identical_rows(tmp_path):
    first, second, other = (
        _small(tmp_path, f"{n}.db", s) for n, s in (("a", 7), ("b", 7), ("c", 8))
    )
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first) != _fingerprint(other)
    with first.connect() as conn:  # the 党建联户 rows are part of what is compared
        assert conn.execute(select(func.count(LiaisonLink.id))).scalar_one() > 0
    for engine in (first, second, other):
        engine.dispose()


def test_without_events_the_people_rows_come_without_deliberations(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'no-events.db'}")
    migrate(engine)
    report = demo.generate(engine, cases=400, seed=7, today=TODAY, with_events=False)
    assert "case_events" not in report.counts and "deliberations" not in report.counts
    assert report.counts["liaison_links"] > 0
    assert report.counts["point_rules"] == len(DEFAULT_RULES)
    engine.dispose()


def test_sqlite_fast_path_writes_sqlalchemys_own_datetime_format(demo_engine):
    """Raw strings must equal SQLAlchemy's, or range comparisons in SQL would break."""
    bind = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    with demo_engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT accepted_at, finished_at FROM cases WHERE finished_at IS NOT NULL LIMIT 1"
        ).one()
        parsed = conn.execute(
            select(Case.accepted_at, Case.finished_at).where(Case.finished_at.is_not(None)).limit(1)
        ).one()
    assert raw[0] == bind(parsed[0]) and raw[1] == bind(parsed[1])


# ---------------------------------------------------------------- the grid


def _area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def _inside(x: float, y: float, ring: Ring) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _cross(o: Sequence[float], a: Sequence[float], b: Sequence[float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _properly_cross(p1, p2, q1, q2) -> bool:  # type: ignore[no-untyped-def]
    """Segments cross at a point interior to both (touching or sharing an end is fine)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


@pytest.fixture(scope="module")
def cells(demo_engine: Engine) -> list[dict]:
    with demo_engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(GridCell.__table__)).mappings()]
    for row in rows:
        shape = json.loads(row["boundary_geojson"])
        assert shape["type"] == "Polygon"
        row["ring"] = [tuple(p) for p in shape["coordinates"][0]]
    return rows


def test_grid_has_40_to_60_cells_over_at_least_three_communities(cells):
    assert 40 <= len(cells) <= 60
    per_community = Counter(c["community_id"] for c in cells)
    assert len(per_community) >= 3
    assert all(n >= 8 for n in per_community.values())


def test_every_cell_is_a_valid_closed_ring_around_its_centre(cells):
    for cell in cells:
        ring = cell["ring"]
        assert ring[0] == ring[-1], cell["code"]
        assert len(set(ring)) >= 4
        assert _area(ring) > 0, "rings are counter-clockwise"
        edges = list(itertools.pairwise(ring))
        for (i, e), (j, f) in itertools.combinations(enumerate(edges), 2):
            if abs(i - j) > 1 and {i, j} != {0, len(edges) - 1}:
                assert not _properly_cross(*e, *f), f"{cell['code']} crosses itself"
        assert _inside(cell["center_lon"], cell["center_lat"], ring), cell["code"]
        assert 28.0 < cell["center_lat"] < 28.4 and 112.8 < cell["center_lon"] < 113.2


def test_cells_tile_the_map_without_overlaps(cells):
    """Neighbours share edges exactly (in opposite directions); no edges cross; no point is
    inside two cells."""
    directed = Counter(e for c in cells for e in itertools.pairwise(c["ring"]))
    assert max(directed.values()) == 1, "two cells run the same edge the same way"
    shared = sum(1 for (a, b) in directed if (b, a) in directed)
    assert shared > len(cells) * 2  # an interior lattice, not isolated squares

    boxes = {}
    for c in cells:
        xs, ys = [p[0] for p in c["ring"]], [p[1] for p in c["ring"]]
        boxes[c["id"]] = (min(xs), min(ys), max(xs), max(ys))
    for a, b in itertools.combinations(cells, 2):
        ax0, ay0, ax1, ay1 = boxes[a["id"]]
        bx0, by0, bx1, by1 = boxes[b["id"]]
        if ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0:
            continue
        for e in itertools.pairwise(a["ring"]):
            for f in itertools.pairwise(b["ring"]):
                assert not _properly_cross(*e, *f), (a["code"], b["code"])
        assert not _inside(a["center_lon"], a["center_lat"], b["ring"])
        own = [p for p in a["ring"] if p not in set(b["ring"])]  # shared corners lie on edges
        assert not any(_inside(x, y, b["ring"]) for x, y in own), (a["code"], b["code"])

    x0 = min(b[0] for b in boxes.values())
    y0 = min(b[1] for b in boxes.values())
    x1 = max(b[2] for b in boxes.values())
    y1 = max(b[3] for b in boxes.values())
    for i in range(60):
        for j in range(60):
            x = x0 + (x1 - x0) * (i + 0.437) / 60
            y = y0 + (y1 - y0) * (j + 0.611) / 60
            assert sum(_inside(x, y, c["ring"]) for c in cells) <= 1


def test_each_community_is_one_contiguous_block(cells):
    owner = {}
    for c in cells:
        for a, b in itertools.pairwise(c["ring"]):
            owner[a, b] = c
    neighbours = defaultdict(set)
    for (a, b), cell in owner.items():
        other = owner.get((b, a))
        if other is not None and other["community_id"] == cell["community_id"]:
            neighbours[cell["id"]].add(other["id"])
    for community in {c["community_id"] for c in cells}:
        members = {c["id"] for c in cells if c["community_id"] == community}
        seen, todo = set(), [next(iter(members))]
        while todo:
            here = todo.pop()
            if here not in seen:
                seen.add(here)
                todo.extend(neighbours[here] - seen)
        assert seen == members


def test_people_and_service_points_fill_the_grid(demo_engine, cells):
    rings = {c["id"]: c["ring"] for c in cells}
    with demo_engine.connect() as conn:
        collectors = Counter(conn.execute(select(GridCollector.grid_cell_id)).scalars())
        per_cell = Counter(conn.execute(select(Household.grid_cell_id)).scalars())
        points = conn.execute(select(ServicePoint.__table__)).mappings().all()
        posts = conn.execute(
            select(Person.service_post).where(Person.kind == "party_member")
        ).scalars()
        assert all(p is not None for p in posts)
    assert all(c["leader_id"] is not None for c in cells)
    assert set(collectors.values()) == {2} and len(collectors) == len(cells)
    assert all(30 <= per_cell[c["id"]] <= 80 for c in cells)
    kinds = Counter(p["kind"] for p in points)
    assert set(kinds) == {"party_station", "clinic", "police", "service_centre"}
    for point in points:
        assert any(
            _inside(point["longitude"], point["latitude"], rings[c["id"]])
            for c in cells
            if c["community_id"] == point["community_id"]
        ), point["name"]


# ---------------------------------------------------------------- cases


def test_case_numbers_are_gap_free_per_year_and_counters_continue(demo_engine, cases):
    ordered = sorted(cases, key=lambda r: (r["accepted_at"], r["id"]))
    per_year: dict[int, list[int]] = defaultdict(list)
    for row in ordered:
        prefix, year, seq = row["case_no"].split("-")
        assert prefix == "MQ" and int(year) == row["accepted_at"].year and len(seq) == 6
        per_year[int(year)].append(int(seq))
    assert set(per_year) == {2025, 2026}
    for seqs in per_year.values():
        assert seqs == list(range(1, len(seqs) + 1))
    with demo_engine.connect() as conn:
        counters = dict(
            conn.execute(select(CaseNumberCounter.year, CaseNumberCounter.last_seq)).tuples().all()
        )
    assert counters == {year: len(seqs) for year, seqs in per_year.items()}


def test_demo_size_and_mix(cases):
    assert 2500 <= len(cases) <= 3500
    channels = Counter(r["channel"] for r in cases)
    assert set(channels) == set(Channel)
    kinds = Counter(r["handling_type"] for r in cases)
    n = len(cases)
    assert kinds[HandlingType.IMMEDIATE] + kinds[HandlingType.PROMISED] > 0.65 * n
    assert 0.05 * n < kinds[HandlingType.SUPPLEMENT] + kinds[HandlingType.ESCALATE] < 0.25 * n
    assert 0.01 * n < kinds[HandlingType.RETURN] < 0.08 * n
    assert 0.01 * n < sum(r["is_anonymous"] for r in cases) < 0.15 * n
    assert all(r["version"] == 1 and r["updated_at"] >= r["accepted_at"] for r in cases)
    assert all(r["accepted_at"] <= NOW for r in cases)


def test_most_cases_get_their_first_response_in_time(cases):
    """The deadlines themselves are replayed in ``test_events_follow_the_state_machine``."""
    responded = sum(
        1
        for r in cases
        if r["first_response_at"] and r["first_response_at"] <= r["response_due_at"]
    )
    assert responded > 0.85 * len(cases)


def test_status_agrees_with_the_recorded_times(cases):
    for r in cases:
        status = CaseStatus(r["status"])
        if status in FINISHED_STATUSES:
            assert r["finished_at"] is not None and r["finished_at"] >= r["accepted_at"]
            assert r["resolved_level"] in set(Level)
            assert r["result"]
        else:
            assert r["finished_at"] is None
        if status in (CaseStatus.NOTIFIED, CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED):
            assert r["notified_at"] >= r["finished_at"] and r["notify_method"]
        if status in (CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED):
            assert r["followed_up_at"] >= r["notified_at"]
            assert r["satisfaction"] in {s.value for s in Satisfaction} - {"dissatisfied"}
        if status is CaseStatus.RETURNED:
            assert r["return_reason"] and r["handling_type"] == HandlingType.RETURN
        if status is CaseStatus.AWAITING_MATERIALS:
            assert r["paused_at"] is not None
        if status is CaseStatus.ESCALATED:
            assert r["escalated_to"] and r["escalation_due_at"]
        if r["is_anonymous"]:
            assert r["reporter_name"] is None and r["reporter_phone"] is None
    levels = Counter(r["resolved_level"] for r in cases if r["resolved_level"])
    assert levels[Level.COMMUNITY] > 0.8 * sum(levels.values())
    assert levels[Level.SUBDISTRICT] and levels[Level.DISTRICT] and levels[Level.HIGHER_DEPARTMENT]


def test_repeats_point_at_an_earlier_case_of_the_same_place_or_person(cases):
    by_id = {r["id"]: r for r in cases}
    repeats = [r for r in cases if r["is_repeat"]]
    assert 0.02 * len(cases) < len(repeats) < 0.15 * len(cases)
    for r in repeats:
        first = by_id[r["repeat_of_id"]]
        assert first["accepted_at"] <= r["accepted_at"]
        same_place = (first["grid_cell_id"], first["category_id"]) == (
            r["grid_cell_id"],
            r["category_id"],
        )
        assert same_place or (
            r["reporter_phone"] and r["reporter_phone"] == first["reporter_phone"]
        )
    assert all(r["repeat_of_id"] is None for r in cases if not r["is_repeat"])


def test_events_replay_each_case(demo_engine, cases):
    with demo_engine.connect() as conn:
        events = conn.execute(select(CaseEvent.__table__).order_by(CaseEvent.id)).mappings().all()
    history = defaultdict(list)
    for e in events:
        history[e["case_id"]].append(e)
    assert set(history) == {r["id"] for r in cases}
    for r in cases:
        steps = history[r["id"]]
        assert steps[0]["action"] == "accept" and steps[0]["to_status"] == "accepted"
        assert steps[0]["from_status"] is None and steps[0]["at"] == r["accepted_at"]
        assert steps[-1]["to_status"] == r["status"]
        assert [e["at"] for e in steps] == sorted(e["at"] for e in steps)
        for before, after in itertools.pairwise(steps):
            assert after["from_status"] == before["to_status"]
        assert all(e["note"] and e["actor_id"] for e in steps)


RULES = ClockRules(standard_limit_days=5, response_limit_days=2, return_limit_days=2)
"""Rules unlike the defaults, so that a generator ignoring them would show."""


def replay(case: dict, events: Sequence[dict], rules: ClockRules) -> list[str]:
    """Replay one case's events through ``domain.workflow`` and ``domain.deadlines``.

    Returns what disagrees: an action the state machine refuses from the state before it, a
    recorded move other than the one it makes, a stored status, deadline, response limit or
    办理时长 other than what the rules give.
    """
    no, kind, urgent = case["case_no"], case["handling_type"], case["is_urgent"]
    first, rest = events[0], events[1:]
    if (first["action"], first["from_status"], first["to_status"]) != ("accept", None, "accepted"):
        return [f"{no}: starts with {first['action']} → {first['to_status']}"]
    problems = []
    status = CaseStatus.ACCEPTED
    accepted = case["accepted_at"]
    deadline = compute_deadline(
        kind, accepted, promised_date=case["promised_date"], urgent=urgent, rules=rules
    )
    paused_at = None
    for event in rest:
        action = Action(event["action"])
        answer = json.loads(event["data"])["satisfaction"] if action is Action.FOLLOW_UP else None
        if event["from_status"] != status:
            problems.append(f"{no}: {action} recorded from {event['from_status']}, was {status}")
        try:
            status = next_status(status, action, answer).to_status
        except TransitionError as exc:
            return [*problems, f"{no}: {exc}"]
        if event["to_status"] != status:
            problems.append(f"{no}: {action} recorded to {event['to_status']}, leads to {status}")
        if action is Action.REQUEST_MATERIALS:
            paused_at = event["at"]
        elif action is Action.MATERIALS_RECEIVED and paused_at is not None:
            deadline = extend_after_pause(deadline, paused_at, event["at"])
        elif action is Action.ESCALATE or action is Action.ESCALATE_TO_SUBDISTRICT:
            deadline = max(deadline, case["escalation_due_at"])
            level = Level(json.loads(event["data"])["level"])  # what finish_level reads
            if level is Level.COMMUNITY or not case["escalated_to"].startswith(level.label):
                problems.append(f"{no}: escalated to {level} but recorded {case['escalated_to']}")
        elif action is Action.FOLLOW_UP and answer == Satisfaction.DISSATISFIED:
            deadline = reopened_deadline(event["at"], urgent=urgent, rules=rules)
    if case["status"] != status:
        problems.append(f"{no}: stored {case['status']}, events lead to {status}")
    responses = [e["at"] for e in rest if e["action"] in FIRST_RESPONSE_ACTIONS]
    if case["first_response_at"] != (responses[0] if responses else None):
        problems.append(f"{no}: first response {case['first_response_at']}, events {responses}")
    finishes = [e["at"] for e in rest if e["action"] in ("finish_resolved", "finish_answered")]
    if case["finished_at"] != (finishes[-1] if status in FINISHED_STATUSES else None):
        problems.append(f"{no}: finished {case['finished_at']}, events {finishes} ({status})")
    if case["deadline_at"] != deadline:
        problems.append(f"{no}: deadline {case['deadline_at']}, rules give {deadline}")
    if case["response_due_at"] != response_due(accepted, urgent=urgent, rules=rules):
        problems.append(f"{no}: response due {case['response_due_at']}")
    if case["finished_at"] is not None:
        pauses = pauses_of((e["action"], e["at"]) for e in events)
        days = handling_working_days(accepted, case["finished_at"], pauses=pauses)
        if case["handling_working_days"] != days:
            problems.append(f"{no}: 办理时长 {case['handling_working_days']}, rules give {days}")
    return problems


def test_events_follow_the_state_machine_and_the_configured_rules(engine):
    """Every case of a demo generated under ``RULES`` replays through the domain (3 backends)."""
    demo.generate(engine, cases=500, seed=11, today=TODAY, rules=RULES)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(Case.__table__)).mappings()]
        events = conn.execute(
            select(CaseEvent.__table__).order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
        ).mappings()
        history: dict[int, list[dict]] = defaultdict(list)
        for event in events:
            history[event["case_id"]].append(dict(event))
    assert len(rows) == 500 and set(history) == {r["id"] for r in rows}
    problems = [p for r in rows for p in replay(r, history[r["id"]], RULES)]
    assert problems == []
    moves = Counter(e["action"] for steps in history.values() for e in steps)
    for action in ("request_materials", "materials_received", "escalate", "follow_up", "return"):
        assert moves[action] > 0, action  # the replay saw every rule at work
    reopened = [
        e for steps in history.values() for e in steps if e["to_status"] == "in_progress"
        and e["action"] == "follow_up"
    ]  # fmt: skip
    assert reopened, "a 不满意 回访 reopened some case"


def test_the_replay_catches_an_illegal_transition(demo_engine, cases):
    """The check above can fail: an 归档 straight after 受理 is refused."""
    case = next(r for r in cases if r["status"] == CaseStatus.ARCHIVED)
    with demo_engine.connect() as conn:
        steps = [
            dict(e)
            for e in conn.execute(
                select(CaseEvent.__table__)
                .where(CaseEvent.case_id == case["id"])
                .order_by(CaseEvent.at, CaseEvent.id)
            ).mappings()
        ]
    assert replay(case, steps, ClockRules()) == []
    forged = [steps[0], {**steps[-1], "from_status": "accepted"}]
    assert replay(case, forged, ClockRules()) == [
        f"{case['case_no']}: 案件当前状态为「已受理」，不能执行「归档」"
    ]


def test_the_demo_follows_the_configured_rules_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("MINQING_RESPONSE_DAYS", "3")
    monkeypatch.setenv("MINQING_RETURN_DAYS", "4")
    rules = ClockRules(response_limit_days=3, return_limit_days=4)
    assert demo.configured_rules() == rules
    engine = make_engine(f"sqlite:///{tmp_path / 'configured.db'}")
    migrate(engine)
    demo.generate(engine, cases=300, seed=5, today=TODAY, with_events=False)
    with engine.connect() as conn:
        rows = conn.execute(select(Case.__table__)).mappings().all()
    for r in rows:
        assert r["response_due_at"] == response_due(
            r["accepted_at"], urgent=r["is_urgent"], rules=rules
        )
        if r["handling_type"] == HandlingType.RETURN:
            assert r["deadline_at"] == compute_deadline(
                HandlingType.RETURN, r["accepted_at"], urgent=r["is_urgent"], rules=rules
            )
    engine.dispose()


def test_this_month_has_cases_visits_and_assistance_and_open_work(demo_engine, cases):
    month = [r for r in cases if r["accepted_at"] in THIS_MONTH]
    assert len(month) > 100
    this_week = [r for r in cases if (TODAY - r["accepted_at"].date()).days < 7]
    assert any(r["status"] in OPEN_STATUSES for r in this_week)
    facts = _facts(cases)
    assert kpis.overdue_count(facts, NOW) > 0
    with demo_engine.connect() as conn:
        visits = conn.execute(
            select(func.count()).where(Visit.visited_at >= THIS_MONTH.start)
        ).scalar_one()
        helped = conn.execute(
            select(func.count()).where(Assistance.given_at >= THIS_MONTH.start)
        ).scalar_one()
    assert visits > 50 and helped > 5


# ---------------------------------------------------------------- calibration (DOMAIN.md)


def test_resolution_and_satisfaction_match_the_field_reports(cases):
    facts = _facts(cases)
    resolution = kpis.resolution_rate(facts, YEAR).rate
    satisfaction = kpis.satisfaction_rate(facts, YEAR).rate
    assert resolution is not None and 0.80 <= resolution <= 0.90
    assert satisfaction is not None and 0.92 <= satisfaction <= 0.98
    oldest = kpis.resolution_rate(facts, Period.month_of(dt.date(2025, 12, 1))).rate
    current = kpis.resolution_rate(facts, THIS_MONTH).rate
    assert oldest is not None and current is not None and oldest > resolution > current


def test_few_open_cases_are_overdue_and_the_year_looks_like_the_field_reports(demo_engine):
    """Issue 16: the demo showed 311 of 460 open cases overdue (a failing community)."""
    year = Period(dt.datetime(2025, 12, 1), dt.datetime(2026, 11, 23))
    with Session(demo_engine) as session:
        snap = kpi_snapshot(session, period=year, now=NOW, use_rollups=False)
        month = kpi_snapshot(session, period=THIS_MONTH, now=NOW, use_rollups=False)
        open_cases = session.execute(
            select(func.count()).select_from(Case).where(OPEN)
        ).scalar_one()
    assert 100 <= open_cases <= 450
    assert snap.overdue < 0.08 * open_cases
    assert snap.resolution.rate is not None and 0.80 <= snap.resolution.rate <= 0.90
    assert snap.satisfaction.rate is not None and 0.90 <= snap.satisfaction.rate <= 0.98
    # the current month: fresh cases still open, but most of it done and its callers content
    assert month.resolution.rate is not None and 0.55 <= month.resolution.rate < 0.90
    assert month.satisfaction.rate is not None and month.satisfaction.rate >= 0.88


def test_visits_cover_most_but_not_all_households(demo_engine):
    with demo_engine.connect() as conn:
        households = conn.execute(select(func.count(Household.id))).scalar_one()
        visits = [
            VisitFacts(v.visited_at, v.people_met, v.household_id)
            for v in conn.execute(select(Visit.visited_at, Visit.people_met, Visit.household_id))
        ]
        helped = [
            AssistanceFacts(a.given_at, a.persons_helped)
            for a in conn.execute(select(Assistance.given_at, Assistance.persons_helped))
        ]
        groups = set(conn.execute(select(Assistance.target_group)).scalars())
        kinds = set(conn.execute(select(Assistance.kind)).scalars())
    coverage = kpis.visit_coverage(visits, households, YEAR).rate
    assert coverage is not None and 0.8 <= coverage < 1.0
    assert 2000 <= kpis.visit_count(visits, YEAR) <= 8000
    assert all(1 <= v.people_met <= 4 for v in visits)
    assert kpis.assistance_person_count(helped, YEAR) > len(helped)
    assert groups == {g.value for g in TargetGroup}
    assert kinds == {k.value for k in AssistanceKind}


# ---------------------------------------------------------------- 党建联户 (issue 8)


def test_liaison_covers_most_but_not_all_households(demo_engine):
    with demo_engine.connect() as conn:
        households = conn.execute(select(func.count(Household.id))).scalar_one()
        covered = conn.execute(
            select(func.count(func.distinct(LiaisonLink.household_id)))
        ).scalar_one()
        links = conn.execute(select(LiaisonLink.__table__)).mappings().all()
        people = dict(conn.execute(select(Person.id, Person.kind)).tuples().all())
        party = set(conn.execute(select(Person.id).where(Person.is_party_member)).scalars())
        cell_of = dict(conn.execute(select(Household.id, Household.grid_cell_id)).tuples().all())
    assert 0.60 <= covered / households <= 0.95
    for link in links:
        assert (link["household_id"] is None) != (link["group_name"] is None)
        assert people[link["person_id"]] in ("party_member", "grid_worker") or (
            link["person_id"] in party
        )
        if link["household_id"] is not None:
            assert cell_of[link["household_id"]] == link["grid_cell_id"]
    groups = Counter(link["person_id"] for link in links if link["group_name"])
    members = [pid for pid, kind in people.items() if kind == "party_member"]
    assert all(1 <= groups[pid] <= 2 for pid in members), "1+2+X: one or two groups each"


def test_default_point_rules_are_seeded(demo_engine):
    with demo_engine.connect() as conn:
        rules = conn.execute(select(PointRule.rule_key, PointRule.points)).tuples().all()
    assert sorted(rules) == sorted((r.key, r.points) for r in DEFAULT_RULES)


def test_reception_sessions_hold_their_reception_day_cases(demo_engine, cases):
    by_id = {r["id"]: r for r in cases}
    with demo_engine.connect() as conn:
        sessions = conn.execute(select(ReceptionSession.__table__)).mappings().all()
        linked = conn.execute(select(ReceptionConcern.case_id, ReceptionConcern.session_id)).all()
        deputies = conn.execute(select(ReceptionDeputy.session_id, Person.kind).join(
            Person, Person.id == ReceptionDeputy.person_id)).all()  # fmt: skip
    per_session = Counter(session_id for _, session_id in linked)
    assert sum(1 for s in sessions if per_session[s["id"]] >= 1) >= 3
    held = {s["id"]: s for s in sessions}
    for case_id, session_id in linked:
        case, session = by_id[case_id], held[session_id]
        assert case["channel"] == Channel.RECEPTION_DAY
        assert case["accepted_at"].date() == session["held_at"].date()
        assert case["accepted_at"] >= session["held_at"]
        assert case["community_id"] == session["community_id"]
    for session in sessions:
        assert session["held_at"].weekday() == 1 and session["held_at"].hour < 12  # Tuesday a.m.
        assert 0 < (NOW - session["held_at"]).days <= 92
    kinds = defaultdict(list)
    for session_id, kind in deputies:
        kinds[session_id].append(kind)
    assert all(1 <= len(kinds[s["id"]]) <= 3 for s in sessions)
    assert {k for ks in kinds.values() for k in ks} == {"deputy"}


def test_deliberations_are_on_the_case_timeline(demo_engine, cases):
    by_id = {r["id"]: r for r in cases}
    with demo_engine.connect() as conn:
        meetings = (
            conn.execute(select(Deliberation.__table__).order_by(Deliberation.id)).mappings().all()
        )
        events = conn.execute(
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.data)
            .where(CaseEvent.action.in_(["deliberate", "deliberation_decision"]))
            .order_by(CaseEvent.id)
        ).all()
    per_case = defaultdict(list)
    for m in meetings:
        per_case[m["case_id"]].append(m)
    assert per_case and any(len(ms) == len(ORDER) for ms in per_case.values())
    for case_id, ms in per_case.items():
        assert [m["stage"] for m in ms] == [s.value for s in ORDER[: len(ms)]]
        dates = [m["meeting_date"] for m in ms]
        assert dates == sorted(dates) and dates[-1] <= TODAY
        steps = [(json.loads(e.data)["stage"], e.action) for e in events if e.case_id == case_id]
        expected = [(m["stage"], "deliberate") for m in ms]
        if len(ms) == len(ORDER):
            decided = ms[-1]
            expected.append((decided["stage"], "deliberation_decision"))
            case = by_id[case_id]
            assert case["assignee_id"] == decided["responsible_id"]
            assert case["deadline_at"] == end_of(decided["due_date"])
        assert steps == expected
        assert by_id[case_id]["status"] in OPEN_STATUSES


# ---------------------------------------------------------------- accounts and start-up


def test_demo_accounts_log_in_with_the_demo_password(demo_engine):
    with demo_engine.connect() as conn:
        users = {u.username: u for u in conn.execute(select(User.__table__))}
    assert [a[0] for a in demo.DEMO_ACCOUNTS] == [
        "admin",
        "secretary",
        "staff",
        "gridworker",
        "viewer",
        "jiedao",
        "jdstaff",
    ]
    for username, role, name in demo.DEMO_ACCOUNTS:
        user = users[username]
        assert user.role == Role(role) and user.display_name == name and user.is_active
    hashed = users["admin"].password_hash
    assert check_password("minqing-demo", hashed)
    assert not check_password("wrong-password", hashed)
    # The first admin is created as in production (its own hash); the other logins share one.
    shared = {u.password_hash for name, u in users.items() if name != "admin"}
    assert len(shared) == 1, "hashed once, reused"


def test_gridworker_is_scoped_to_the_cells_they_lead(demo_engine):
    with demo_engine.connect() as conn:
        user = conn.execute(select(User).where(User.username == "gridworker")).one()
        scope = set(
            conn.execute(
                select(UserGridScope.grid_cell_id).where(UserGridScope.user_id == user.id)
            ).scalars()
        )
        scoped = conn.execute(select(GridCell).where(GridCell.id.in_(scope))).all()
        assigned = conn.execute(
            select(func.count()).where(Case.assignee_id == user.id)
        ).scalar_one()
    assert 2 <= len(scope) <= 3
    assert len({c.community_id for c in scoped}) == 1
    assert {c.leader_id for c in scoped} == {user.person_id}
    assert assigned > 0


def test_ensure_demo_data_runs_once(demo_engine):
    def counts() -> dict[str, int]:
        with demo_engine.connect() as conn:
            return {
                t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (Community, Case, CaseEvent, User, Visit)
            }

    before = counts()
    assert demo.ensure_demo_data(demo_engine, today=TODAY) is False
    assert counts() == before


def test_cli_refuses_a_database_with_data(demo_engine, capsys):
    url = demo_engine.url.render_as_string(hide_password=False)
    assert demo.main(["--url", url, "--cases", "10", "--today", TODAY.isoformat()]) == 2
    assert "--replace" in capsys.readouterr().err
