"""联户 coverage, 积分, 接待日 and 三议 services on every backend, against a hand-computed fixture.

The fixture (``people_world``): two cells of three households each.
- 第1网格: households h0 h1 h2; 赵党员 liaises with h0 and h1 and with 「一组」; h1 was visited
  this year (by 赵党员 and 王片长, who is not a person of the database), h2 only last year.
- 第2网格: households h3 h4 h5; 钱网格 (the grid worker's login) liaises with h3; h4 was
  visited this year (recorded by the grid worker's login).
- November 2026: 赵党员 helped once (第1网格); 钱网格 is 承办人 of case A (第2网格, finished
  before its deadline, follow-up 满意) and case B (finished late, follow-up 不满意).
So with the default rules (走访 2, 帮扶 3, 按期办结 5, 回访满意 2): 赵党员 2 + 3 = 5 and
钱网格 2 + 5 + 2 = 9.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import (
    Assistance,
    Case,
    CaseEvent,
    Deliberation,
    LiaisonLink,
    Person,
    PointRecord,
    ReceptionConcern,
    ReceptionSession,
    Visit,
)
from db.queries import people as people_queries
from db.queries import points as point_queries
from db.queries import reception as reception_queries
from db.queries.cases import case_detail
from db.queries.deliberation import deliberation_view
from domain.deadlines import ClockRules
from domain.deliberation import MeetingDraft
from domain.kpis import Period, Ratio
from domain.roles import Actor, Role
from domain.validation import CaseDraft as ReceptionConcernDraft
from domain.validation import mask_name
from domain.workflow import Action, TransitionError
from services import deliberation as deliberation_service
from services import people as people_service
from services import reception as reception_service
from services.cases import PermissionDenied, ValidationFailed
from services.reception import ReceptionDraft
from tests.factories import NOW, make_case, make_world

RULES = ClockRules()
YEAR = Period.year_of(NOW.date())
NOVEMBER = Period.month_of(NOW.date())


def actor_for(world, role: str) -> Actor:
    user = world.users[role]
    cells = frozenset(c.id for c in user.grid_cells) if role == "gridworker" else None
    return Actor(user.id, user.username, Role(role), user.display_name, cells, user.community_id)


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour)


@pytest.fixture
def people_world(session):
    world = make_world(session)
    h = world.households
    c0, c1 = world.cells
    zhao = Person(
        name="赵党员",
        kind="party_member",
        is_party_member=True,
        party_branch="第一党支部",
        service_post="aid",
        community_id=world.community.id,
    )
    qian = Person(
        name="钱网格",
        kind="grid_worker",
        is_party_member=True,
        party_branch="第二党支部",
        service_post="safety",
        community_id=world.community.id,
    )
    deputy = Person(name="孙代表", kind="deputy", title="人大代表")
    session.add_all([zhao, qian, deputy])
    session.flush()
    world.users["gridworker"].person_id = qian.id
    session.add_all(
        [
            LiaisonLink(person_id=zhao.id, grid_cell_id=c0.id, household_id=h[0].id),
            LiaisonLink(person_id=zhao.id, grid_cell_id=c0.id, household_id=h[1].id),
            LiaisonLink(person_id=zhao.id, grid_cell_id=c0.id, group_name="一组"),
            LiaisonLink(person_id=qian.id, grid_cell_id=c1.id, household_id=h[3].id),
        ]
    )
    visit = {"people_met": 2, "visitors": "赵党员、王片长"}
    session.add_all(
        [
            Visit(grid_cell_id=c0.id, household_id=h[1].id, visited_at=at(3), **visit),
            Visit(
                grid_cell_id=c1.id,
                household_id=h[4].id,
                visited_at=at(5),
                visitors="外来志愿者",
                people_met=1,
                recorded_by_id=world.users["gridworker"].id,
            ),
            Visit(
                grid_cell_id=c0.id,
                household_id=h[2].id,
                visited_at=dt.datetime(2025, 12, 1, 10),
                **visit,
            ),
            Assistance(
                grid_cell_id=c0.id,
                beneficiary="困难户",
                target_group="low_income",
                kind="charity_meals",
                given_at=at(10),
                persons_helped=1,
                helpers="赵党员",
            ),
        ]
    )
    session.commit()
    worker = world.users["gridworker"].id
    common = {"grid_cell_id": c1.id, "assignee_id": worker, "status": "followed_up"}
    make_case(
        session,
        world,
        finished_at=at(10),
        deadline_at=at(12, 23),
        followed_up_at=at(12),
        satisfaction="satisfied",
        **common,
    )
    make_case(
        session,
        world,
        finished_at=at(15),
        deadline_at=at(12, 23),
        followed_up_at=at(16),
        satisfaction="dissatisfied",
        **common,
    )
    world.people = {"zhao": zhao, "qian": qian, "deputy": deputy}  # type: ignore[attr-defined]
    return world


# --- 联户 coverage ---------------------------------------------------------------------------


def test_liaison_coverage_per_cell_matches_the_hand_computed_fixture(session, people_world):
    w = people_world
    h = [x.id for x in w.households]
    cells = people_queries.liaison_by_cell(session, actor=actor_for(w, "staff"), period=YEAR)
    assert [c.cell for c in cells] == ["第1网格", "第2网格"]
    first, second = cells
    assert first.coverage.covered == Ratio(2, 3)
    assert first.coverage.uncovered == (h[2],)
    assert first.coverage.not_visited == (h[0], h[2])
    assert (first.liaisons, first.groups) == (("赵党员",), ("一组",))
    assert second.coverage.covered == Ratio(1, 3)
    assert second.coverage.uncovered == (h[4], h[5])
    assert second.coverage.not_visited == (h[3], h[5])
    # A grid worker sees only their own cell.
    mine = people_queries.liaison_by_cell(session, actor=actor_for(w, "gridworker"), period=YEAR)
    assert [c.cell for c in mine] == ["第1网格"]


def test_cell_households_mask_heads_for_the_viewer_role_and_respect_scope(session, people_world):
    w = people_world
    rows = people_queries.cell_households(
        session, grid_cell_id=w.cells[0].id, actor=actor_for(w, "staff"), period=YEAR
    )
    assert [(r.liaisons, r.visited) for r in rows] == [
        (("赵党员",), False),
        (("赵党员",), True),
        ((), False),
    ]
    assert rows[0].place == f"1栋（{w.households[0].head_name}）"
    viewer = Actor(w.users["viewer"].id, "viewer", Role.VIEWER)
    masked = people_queries.cell_households(
        session, grid_cell_id=w.cells[0].id, actor=viewer, period=YEAR
    )
    assert masked[0].place == f"1栋（{mask_name(w.households[0].head_name)}）"
    with pytest.raises(PermissionDenied):
        people_queries.cell_households(
            session, grid_cell_id=w.cells[1].id, actor=actor_for(w, "gridworker"), period=YEAR
        )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"person_id": None}, {"person_id": "请选择联户的党员或网格员"}),
        ({"person": "deputy"}, {"person_id": "联户人须为党员或网格员"}),
        ({"household": None}, {"household_id": "请选择联系的住户，或填写居民小组"}),
        ({"household": 3}, {"household_id": "所选住户不在该网格内"}),
        ({"household": 0}, {"household_id": "该联户关系已存在"}),
        (
            {"household": None, "group_name": "组" * 61},
            {"group_name": "居民小组名称不能超过 60 字"},
        ),
    ],
)
def test_add_liaison_refuses_bad_input(session, people_world, fields, errors):
    w = people_world
    person = w.people[fields.get("person", "zhao")]
    household = fields.get("household", 2)
    before = session.scalar(select(func.count()).select_from(LiaisonLink))
    with pytest.raises(ValidationFailed) as refused:
        people_service.add_liaison(
            session,
            person_id=fields.get("person_id", person.id),
            grid_cell_id=w.cells[0].id,
            household_id=None if household is None else w.households[household].id,
            group_name=fields.get("group_name", ""),
            actor=actor_for(w, "staff"),
            now=NOW,
        )
    assert refused.value.errors == errors
    assert session.scalar(select(func.count()).select_from(LiaisonLink)) == before


def test_add_liaison_covers_the_household(session, people_world):
    w = people_world
    people_service.add_liaison(
        session,
        person_id=w.people["qian"].id,
        grid_cell_id=w.cells[0].id,
        household_id=w.households[2].id,
        actor=actor_for(w, "gridworker"),
        now=NOW,
    )
    first = people_queries.liaison_by_cell(session, actor=actor_for(w, "staff"), period=YEAR)[0]
    assert first.coverage.covered == Ratio(3, 3) and first.coverage.uncovered == ()
    with pytest.raises(ValidationFailed) as refused:
        people_service.add_liaison(
            session,
            person_id=w.people["qian"].id,
            grid_cell_id=w.cells[1].id,
            household_id=w.households[5].id,
            actor=actor_for(w, "gridworker"),
            now=NOW,
        )
    assert refused.value.errors == {"grid_cell_id": "只能维护您负责网格内的联户关系"}


def test_member_profile_lists_post_duties_and_work(session, people_world):
    w = people_world
    staff = actor_for(w, "staff")
    zhao = people_queries.member_profile(
        session, person_id=w.people["zhao"].id, actor=staff, period=YEAR
    )
    assert (zhao.post, zhao.branch, zhao.groups) == ("帮扶助困", "第一党支部", ("一组",))
    assert zhao.duties.startswith("结对帮扶困难群众")
    assert [v[0] for v in zhao.visits] == [at(3)]
    assert [a[2] for a in zhao.assistance] == ["爱心盒饭"]
    assert len(zhao.households) == 2
    qian = people_queries.member_profile(
        session, person_id=w.people["qian"].id, actor=staff, period=YEAR
    )
    assert [v[0] for v in qian.visits] == [at(5)]
    assert len(qian.cases) == 2 and all(c[2] == "已回访" for c in qian.cases)


# --- 积分 --------------------------------------------------------------------------------------


def monthly_totals(session, actor) -> dict[str, int]:
    table = point_queries.monthly_points(session, period=NOVEMBER, actor=actor)
    return {m.name: m.total for m in table.members}


def test_points_settle_by_the_rules_and_follow_an_edited_rule(session, people_world):
    w = people_world
    admin, staff = actor_for(w, "admin"), actor_for(w, "staff")
    assert people_service.settle_points(session, period=NOVEMBER, actor=admin, now=NOW) == 5
    assert monthly_totals(session, staff) == {"钱网格": 9, "赵党员": 5}
    table = point_queries.monthly_points(session, period=NOVEMBER, actor=staff)
    assert table.branches == {"第二党支部": 9, "第一党支部": 5}
    assert sum(r.points for r in table.records if r.person == "赵党员") == 5
    sources = sorted((r.person, r.source, r.points) for r in table.records)
    assert sources == [
        ("赵党员", "帮扶", 3),
        ("赵党员", "走访", 2),
        ("钱网格", "案件", 2),
        ("钱网格", "案件", 5),
        ("钱网格", "走访", 2),
    ]
    qian = next(m for m in table.members if m.name == "钱网格")
    assert qian.by_rule == {"visit": 2, "case_on_time": 5, "satisfied_follow_up": 2}

    people_service.update_point_rule(
        session,
        rule_key="visit",
        label="入户走访一次",
        points=10,
        active=True,
        actor=admin,
        now=NOW,
    )
    people_service.update_point_rule(
        session,
        rule_key="case_on_time",
        label="承办案件按期办结",
        points=5,
        active=False,
        actor=admin,
        now=NOW,
    )
    assert monthly_totals(session, staff) == {"钱网格": 9, "赵党员": 5}  # not yet settled
    people_service.settle_points(session, period=NOVEMBER, actor=admin, now=NOW)
    assert monthly_totals(session, staff) == {"钱网格": 12, "赵党员": 13}
    assert session.scalar(select(func.count()).select_from(PointRecord)) == 4


def test_points_scope_and_permissions(session, people_world):
    w = people_world
    people_service.settle_points(session, period=NOVEMBER, actor=actor_for(w, "admin"), now=NOW)
    # The grid worker's cell is 第1网格: only 赵党员's visit and assistance lie there.
    assert monthly_totals(session, actor_for(w, "gridworker")) == {"赵党员": 5}
    with pytest.raises(PermissionDenied):
        people_service.update_point_rule(
            session, rule_key="visit", label="x", points=1, active=True,
            actor=actor_for(w, "secretary"), now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        people_service.settle_points(session, period=NOVEMBER, actor=actor_for(w, "staff"), now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        people_service.update_point_rule(
            session, rule_key="visit", label="", points=1.5, active=True,
            actor=actor_for(w, "admin"), now=NOW,
        )  # fmt: skip
    assert refused.value.errors == {"label": "请填写规则名称", "points": "分值须为整数"}
    assert [r.points for r in point_queries.point_rules(session)] == [2, 3, 5, 2]


# --- 接待日 ------------------------------------------------------------------------------------


def reception(world, **overrides) -> ReceptionDraft:
    fields = {
        "community_id": world.community.id,
        "held_at": NOW.replace(hour=9),
        "place": "社区党群服务中心",
        "deputy_ids": [world.people["deputy"].id],
        "topic": "老旧小区改造",
    }
    fields.update(overrides)
    return ReceptionDraft(**fields)


def concern(world, **overrides) -> ReceptionConcernDraft:
    fields = {
        "grid_cell_id": world.cells[0].id,
        "category_id": world.categories[3].id,
        "handling_type": "promised",
        "description": "小区东门路灯不亮，晚上出行不安全",
        "reporter_name": "周阿姨",
        "reporter_phone": "13912345678",
        "promised_date": NOW.date() + dt.timedelta(days=7),
    }
    fields.update(overrides)
    return ReceptionConcernDraft(**fields)


def test_reception_concern_becomes_a_linked_case_with_channel_reception_day(session, people_world):
    w = people_world
    staff = actor_for(w, "staff")
    held = reception_service.schedule_session(session, draft=reception(w), actor=staff, now=NOW)
    case = reception_service.record_concern(
        session, session_id=held.id, concern=concern(w), actor=staff, now=NOW, rules=RULES
    )
    assert (case.channel, case.status, case.case_no) == (
        "reception_day",
        "accepted",
        "MQ-2026-000001",
    )
    link = session.get(ReceptionConcern, case.id)
    assert link is not None and link.session_id == held.id
    event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert event.action == "accept" and event.note == "接待日（2026-11-20 社区党群服务中心）受理"
    rows = reception_queries.list_sessions(session, actor=staff)
    assert [(r.deputies, r.cases, r.open_cases, r.resolved) for r in rows] == [
        ("孙代表（人大代表）", 1, 1, Ratio(0, 1))
    ]
    listed = reception_queries.session_cases(session, session_id=held.id, actor=staff)
    assert [(c.case_no, c.reporter, c.status) for c in listed] == [
        ("MQ-2026-000001", "周**", "已受理")
    ]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"place": " ", "deputy_ids": []},
            {"place": "请填写接待地点", "deputy_ids": "请至少选择一名接待的代表委员"},
        ),
        ({"held_at": None}, {"held_at": "请填写接待时间"}),
        ({"deputy": "zhao"}, {"deputy_ids": "接待人须为人大代表、政协委员或党代表"}),
    ],
)
def test_schedule_session_refuses_bad_input(session, people_world, overrides, errors):
    w = people_world
    if overrides.pop("deputy", None):
        overrides["deputy_ids"] = [w.people["zhao"].id]
    with pytest.raises(ValidationFailed) as refused:
        reception_service.schedule_session(
            session, draft=reception(w, **overrides), actor=actor_for(w, "staff"), now=NOW
        )
    assert refused.value.errors == errors
    assert session.scalar(select(func.count()).select_from(ReceptionSession)) == 0


def test_record_concern_refuses_and_writes_nothing(session, people_world):
    w = people_world
    staff = actor_for(w, "staff")
    later = reception_service.schedule_session(
        session, draft=reception(w, held_at=NOW + dt.timedelta(days=3)), actor=staff, now=NOW
    )
    with pytest.raises(ValidationFailed) as refused:
        reception_service.record_concern(
            session,
            session_id=later.id,
            concern=concern(w, description="短", reporter_phone="12345"),
            actor=staff,
            now=NOW,
            rules=RULES,
        )
    assert refused.value.errors == {
        "session_id": "该接待日尚未到，不能登记诉求",
        "description": "诉求内容太短，请至少写 5 个字",
        "reporter_phone": "电话号码格式不正确：手机为 11 位（如 13812345678），座机如 0731-84561234",
    }
    assert session.scalar(select(func.count()).select_from(Case)) == 2  # the fixture's two
    with pytest.raises(PermissionDenied):
        reception_service.schedule_session(
            session, draft=reception(w), actor=actor_for(w, "gridworker"), now=NOW
        )


# --- 三议 ---------------------------------------------------------------------------------------


def meeting(stage: str, day: int, **overrides) -> MeetingDraft:
    fields = {
        "stage": stage,
        "meeting_date": dt.date(2026, 11, day),
        "attendees": 9,
        "minutes": f"{stage} 讨论东门道路硬化方案",
    }
    fields.update(overrides)
    return MeetingDraft(**fields)


def test_deliberation_steps_show_on_the_case_timeline(session, people_world):
    w = people_world
    staff = actor_for(w, "staff")
    case = make_case(session, w)
    record = deliberation_service.record_meeting
    record(session, case_id=case.id, draft=meeting("party_group", 10), actor=staff, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        record(
            session, case_id=case.id, draft=meeting("members_assembly", 12), actor=staff, now=NOW
        )
    assert refused.value.errors["stage"] == "请按顺序召开：下一步应为「支委会」"
    record(session, case_id=case.id, draft=meeting("branch_committee", 12), actor=staff, now=NOW)
    worker = w.users["gridworker"]
    decision = meeting(
        "members_assembly",
        18,
        attendees=46,
        decision="由网格员牵头，物业配合，硬化东门道路",
        responsible_id=worker.id,
        due_date=dt.date(2026, 12, 1),
    )
    record(session, case_id=case.id, draft=decision, actor=staff, now=NOW)

    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.assignee_id == worker.id
    assert stored.deadline_at == dt.datetime(2026, 12, 1, 23, 59, 59)
    assert stored.status == "accepted"
    detail = case_detail(session, case_id=case.id, actor=staff, now=NOW, rules=RULES)
    steps = [(e.action_label, e.note, e.details) for e in detail.timeline]
    assert steps == [
        (
            "三议：会议审议",
            "党小组会（2026-11-10，到会 9 人）：party_group 讨论东门道路硬化方案",
            "",
        ),
        (
            "三议：会议审议",
            "支委会（2026-11-12，到会 9 人）：branch_committee 讨论东门道路硬化方案",
            "",
        ),
        (
            "三议：会议审议",
            "党员大会（2026-11-18，到会 46 人）：members_assembly 讨论东门道路硬化方案",
            "",
        ),
        (
            "三议：议定责任人和时限",
            "由网格员牵头，物业配合，硬化东门道路",
            "承办人：社区工作人员甲 → 网格员甲；办结期限：2026-11-22 → 2026-12-01",
        ),
    ]
    assert Action.DELIBERATE not in detail.actions  # recorded on the 三议 page, not as a form
    view = deliberation_view(session, case_id=case.id, actor=staff)
    assert view.next_stage is None
    assert [m.stage for m in view.meetings] == ["党小组会", "支委会", "党员大会"]
    assert view.meetings[-1].responsible == "网格员甲"


def test_deliberation_refusals_write_nothing(session, people_world):
    w = people_world
    staff = actor_for(w, "staff")
    finished = make_case(session, w, status="resolved")
    other_cell = make_case(session, w, grid_cell_id=w.cells[1].id)
    with pytest.raises(TransitionError):
        deliberation_service.record_meeting(
            session, case_id=finished.id, draft=meeting("party_group", 10), actor=staff, now=NOW
        )
    with pytest.raises(PermissionDenied):
        deliberation_service.record_meeting(
            session,
            case_id=other_cell.id,
            draft=meeting("party_group", 10),
            actor=actor_for(w, "gridworker"),
            now=NOW,
        )
    with pytest.raises(ValidationFailed) as refused:
        deliberation_service.record_meeting(
            session,
            case_id=other_cell.id,
            draft=meeting("party_group", 10, attendees=0, minutes=""),
            actor=staff,
            now=NOW,
        )
    assert refused.value.errors == {
        "attendees": "到会人数应在 1 到 10000 之间",
        "minutes": "请填写会议纪要",
    }
    assert session.scalar(select(func.count()).select_from(Deliberation)) == 0
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0
