"""A visit or assistance form saves once: a repeat of the same submit writes nothing, and a
saved form comes back empty (issue 16 item 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.engine import session_factory
from db.models import Assistance, AuditEntry, Case, FormSubmission, Visit
from db.queries.users import actor_of
from domain.deadlines import ClockRules
from domain.roles import Actor
from domain.validation import AssistanceDraft, CaseDraft, VisitDraft
from services import assistance as assistance_service
from services import visits as visit_service
from services.form_tokens import AlreadySaved, claim_token
from tests.factories import NOW, World, make_world
from tests.helpers.page_tests import open_as, page_world, submit

RULES = ClockRules()
TOKEN = "0123456789abcdef0123456789abcdef"


def _staff(session, world: World) -> Actor:  # type: ignore[no-untyped-def]
    actor = actor_of(session, username=world.users["staff"].username)
    assert actor is not None
    return actor


def _visit(world: World) -> VisitDraft:
    return VisitDraft(
        grid_cell_id=world.cells[0].id,
        visited_at=NOW - dt.timedelta(hours=1),
        visitors="王片长",
        people_met=2,
        household_id=world.households[0].id,
    )


def _concern(world: World) -> CaseDraft:
    return CaseDraft(
        category_id=world.categories[3].id,
        handling_type="immediate",
        description="楼道灯坏了一个多月，晚上不安全",
        reporter_name="李奶奶",
        reporter_phone="13912345678",
    )


def _assistance(world: World) -> AssistanceDraft:
    return AssistanceDraft(
        grid_cell_id=world.cells[0].id,
        given_at=NOW - dt.timedelta(days=1),
        beneficiary="李奶奶",
        target_group="elderly_alone",
        kind="charity_meals",
        persons_helped=13,
        helpers="党员志愿服务队",
    )


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model)))


def test_a_visit_token_saves_once(session: Session) -> None:
    world = make_world(session)
    staff = _staff(session, world)
    visit, _ = visit_service.record_visit(
        session,
        draft=_visit(world),
        concerns=[_concern(world)],
        actor=staff,
        now=NOW,
        rules=RULES,
        token=TOKEN,
    )
    with pytest.raises(AlreadySaved) as repeat:
        visit_service.record_visit(
            session,
            draft=_visit(world),
            concerns=[_concern(world)],
            actor=staff,
            now=NOW,
            rules=RULES,
            token=TOKEN,
        )
    assert repeat.value.target == f"走访 #{visit.id}"
    assert (_count(session, Visit), _count(session, Case)) == (1, 1)
    # Another filling of the form (a new token) is a new visit.
    visit_service.record_visit(
        session, draft=_visit(world), actor=staff, now=NOW, rules=RULES, token="f" * 32
    )
    assert _count(session, Visit) == 2
    entries = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert entries == ["visit.create", "visit.create"]


def test_an_assistance_token_saves_once(session: Session) -> None:
    world = make_world(session)
    staff = _staff(session, world)
    record = assistance_service.record_assistance(
        session, draft=_assistance(world), actor=staff, now=NOW, token=TOKEN
    )
    with pytest.raises(AlreadySaved) as repeat:
        assistance_service.record_assistance(
            session, draft=_assistance(world), actor=staff, now=NOW, token=TOKEN
        )
    assert repeat.value.target == f"帮扶 #{record.id}"
    assert _count(session, Assistance) == 1
    # A visit token does not block an assistance record and vice versa.
    visit_service.record_visit(
        session, draft=_visit(world), actor=staff, now=NOW, rules=RULES, token=TOKEN
    )
    assert (_count(session, Assistance), _count(session, Visit)) == (1, 1)


def test_a_racing_second_submit_fails_in_the_database(sessions) -> None:
    """Both submits passed the check before either saved: the primary key refuses the second."""
    with sessions() as first:
        world = make_world(first)
        staff = _staff(first, world)
        visit_service.record_visit(
            first, draft=_visit(world), actor=staff, now=NOW, rules=RULES, token=TOKEN
        )
    with sessions() as second:
        # what the second request would write after its (stale) check found nothing
        second.add(
            Visit(grid_cell_id=world.cells[0].id, visited_at=NOW, visitors="重复", people_met=1)
        )
        with pytest.raises(AlreadySaved):
            claim_token(
                second, form="visit", token=TOKEN, username="staff", target="走访 #?", now=NOW
            )
        second.commit()  # nothing left to commit: the transaction was rolled back
        assert _count(second, Visit) == 1
        assert _count(second, FormSubmission) == 1


# --- the pages under AppTest ------------------------------------------------------------------


def _visits_page() -> None:
    from pages.visits import render

    render()


def _assistance_page() -> None:
    from pages.assistance import render

    render()


@pytest.fixture
def page_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, World]]:
    """A small migrated SQLite world that the pages open through ``DATABASE_URL``."""
    yield from page_world(tmp_path, monkeypatch, modules=("pages.visits", "pages.assistance"))


_open = open_as
_submit = submit


def _rows(engine: Engine, model) -> int:  # type: ignore[no-untyped-def]
    with session_factory(engine)() as session:
        return _count(session, model)


def _fill_visit(at: AppTest, world: World) -> AppTest:
    at.selectbox(key="vi_cell").set_value(world.cells[0].id).run()
    at.selectbox(key="vi_household").set_value(world.households[0].id)
    at.selectbox(key="vi_c0_category").set_value(world.categories[3].id)
    at.selectbox(key="vi_c0_type").set_value("immediate")
    at.text_area(key="vi_c0_description").input("楼道灯坏了一个多月，晚上不安全")
    at.checkbox(key="vi_c0_anonymous").check()
    return at


def _replay_first_round(at: AppTest, form: str) -> AppTest:
    """What the browser does on a double tap: it sends the first filling's submit again."""
    if f"{form}_round" in at.session_state:
        at.session_state[f"{form}_round"] = 0
    return at.run()


def test_visit_form_saved_twice_keeps_one_visit(page_db: tuple[Engine, World]) -> None:
    engine, world = page_db
    at = _open(_visits_page)
    at = _submit(_fill_visit(at, world), "保存走访")
    assert (_rows(engine, Visit), _rows(engine, Case)) == (1, 1)
    assert [t.value for t in at.toast] == [
        "走访已保存，发现的问题已受理为案件：" + _case_no(engine)
    ]
    at = _submit(_fill_visit(_replay_first_round(at, "visit"), world), "保存走访")
    assert (_rows(engine, Visit), _rows(engine, Case)) == (1, 1)
    assert "已保存，未重复提交。" in [i.value for i in at.info]
    assert not at.error, [e.value for e in at.error]


def _case_no(engine: Engine) -> str:
    with session_factory(engine)() as session:
        return str(session.scalar(select(Case.case_no)))


def test_saved_visit_form_comes_back_empty(page_db: tuple[Engine, World]) -> None:
    engine, world = page_db
    at = _open(_visits_page)
    at = _submit(_fill_visit(at, world), "保存走访")
    fields = {str(w.key): w.value for w in at.selectbox}
    assert [v for k, v in fields.items() if k.startswith("vi_")] == [None] * len(
        [k for k in fields if k.startswith("vi_")]
    )
    assert {w.key: w.value for w in at.text_area if "description" in str(w.key)} == {
        f"vi_c{i}_description.1": "" for i in range(3)
    }
    # An untouched second save asks for the place, not for 诉求内容 of a stale concern.
    at = _submit(at, "保存走访")
    messages = [e.value for e in at.error]
    assert "请选择网格" in messages or any("网格" in m for m in messages), messages
    assert not any(m.startswith("请填写诉求内容") for m in messages), messages
    assert _rows(engine, Visit) == 1


def test_assistance_form_saved_twice_keeps_one_record_and_prefills_helper(
    page_db: tuple[Engine, World],
) -> None:
    engine, world = page_db
    at = _open(_assistance_page)
    assert at.text_input(key="as_helpers").value == world.users["staff"].display_name

    def fill(at: AppTest) -> AppTest:
        at.selectbox(key="as_cell").set_value(world.cells[0].id).run()
        at.text_input(key="as_beneficiary").input("李奶奶")
        at.selectbox(key="as_group").set_value("elderly_alone")
        at.selectbox(key="as_kind").set_value("charity_meals")
        return at

    at = _submit(fill(at), "保存帮扶")
    assert _rows(engine, Assistance) == 1
    assert [t.value for t in at.toast] == ["帮扶记录已保存（受助 1 人次）。"]
    assert at.selectbox(key="as_kind.1").value is None  # the new round starts empty
    assert at.text_input(key="as_helpers.1").value == world.users["staff"].display_name
    at = _submit(fill(_replay_first_round(at, "assistance")), "保存帮扶")
    assert _rows(engine, Assistance) == 1
    assert "已保存，未重复提交。" in [i.value for i in at.info]
