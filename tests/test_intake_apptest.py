"""The intake form under AppTest: each error at its field, typed values kept, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import local_now
from db.engine import make_engine, session_factory
from db.models import Case, CaseEvent
from tests.factories import World, make_case, make_world, migrate

SCRIPT = str(Path(__file__).parent / "apps" / "intake_page.py")
SAVE = "FormSubmitter:intake_form-保存受理"
PREVIEW = "FormSubmitter:intake_form-预览期限与重信提示"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A small migrated SQLite world that the page opens through ``DATABASE_URL``."""
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        world = make_world(session)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine, world
    st.cache_resource.clear()
    engine.dispose()


def open_form(username: str = "staff") -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    assert not at.exception, at.exception
    return at


def fill(at: AppTest, world: World, **overrides: object) -> AppTest:
    """Type a valid case into the form, then apply ``overrides`` (widget key → value)."""
    values: dict[str, object] = {
        "in_channel": "hotline",
        "in_category": world.categories[3].id,
        "in_name": "王大妈",
        "in_phone": "13812345678",
        "in_cell": world.cells[0].id,
        "in_description": "三号楼楼道堆满杂物，消防通道被堵",
        "in_type": "escalate",
    }
    values.update(overrides)
    for key, value in values.items():
        for kind in ("selectbox", "text_input", "text_area", "date_input", "checkbox"):
            found = [w for w in getattr(at, kind) if w.key == key]
            if found:
                found[0].set_value(value)
                break
        else:
            raise AssertionError(f"no widget {key}")
    return at


def cases_in(engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Case)))


def errors_of(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize(
    ("overrides", "field_key", "message"),
    [
        (
            {"in_phone": "12345"},
            "in_phone",
            "电话号码格式不正确：手机为 11 位（如 13812345678），座机如 0731-84561234",
        ),
        ({"in_description": ""}, "in_description", "请填写诉求内容"),
        (
            {"in_type": "promised", "in_promised": local_now().date() - dt.timedelta(days=1)},
            "in_promised",
            "承诺办结日期不能早于受理日期",
        ),
    ],
)
def test_invalid_input_shows_message_keeps_values_writes_nothing(
    app_db, overrides, field_key, message
):
    engine, world = app_db
    at = fill(open_form(), world, **overrides)
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    shown = errors_of(at)
    assert message in shown
    assert shown[0] == "有 1 处需要修改，请查看各栏下方的提示。未保存任何内容。"
    # What the clerk typed is still there, including the field in error.
    assert at.text_input(key="in_name").value == "王大妈"
    assert at.selectbox(key="in_cell").value == world.cells[0].id
    assert at.selectbox(key="in_channel").value == "hotline"
    expected = overrides[field_key]
    widget = {
        "in_phone": at.text_input,
        "in_description": at.text_area,
        "in_promised": at.date_input,
    }[field_key]
    assert widget(key=field_key).value == expected
    assert not at.code  # no case number shown
    assert cases_in(engine) == 0


def test_valid_submission_creates_one_case_and_shows_its_number(app_db):
    engine, world = app_db
    at = fill(open_form(), world)
    at.button(key=PREVIEW).click().run()
    assert any(i.value.startswith("按当前填写：办结期限 ") for i in at.info)
    assert cases_in(engine) == 0  # a preview writes nothing
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    number = f"MQ-{local_now().year}-000001"
    assert [c.value for c in at.code] == [number]
    assert at.success[0].value.startswith("已受理。办结期限：")
    assert cases_in(engine) == 1
    with session_factory(engine)() as session:
        case = session.scalar(select(Case))
        assert (case.case_no, case.reporter_name, case.channel) == (number, "王大妈", "hotline")
        assert case.first_handler_id == world.users["staff"].id
        events = session.scalars(select(CaseEvent.action)).all()
        assert events == ["accept"]
    # The form is empty again for the next caller.
    assert at.text_area(key="in_description").value == ""
    assert at.selectbox(key="in_channel").value is None


def test_repeat_hint_can_link_the_new_case(app_db):
    engine, world = app_db
    with session_factory(engine)() as session:
        earlier = make_case(
            session,
            world,
            case_no="MQ-2026-000077",
            reporter_phone="13812345678",
            accepted_at=local_now() - dt.timedelta(days=3),
            deadline_at=local_now() + dt.timedelta(days=1),
        )
        earlier_id = earlier.id
    at = fill(open_form(), world)
    at.button(key=PREVIEW).click().run()
    assert [w.value for w in at.warning] == [
        "发现 1 件可能相关的案件，如为同一诉求请在下方关联为重信："
    ]
    repeat = at.selectbox(key="in_repeat")
    assert repeat.options == ["MQ-2026-000077（同一电话）"]
    repeat.set_value(earlier_id)
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    with session_factory(engine)() as session:
        new = session.scalar(select(Case).where(Case.id != earlier_id))
        assert (new.is_repeat, new.repeat_of_id) == (True, earlier_id)


def test_grid_worker_picks_only_own_cells(app_db):
    _, world = app_db
    at = open_form("gridworker")
    assert at.selectbox(key="in_cell").options == [f"测试社区 · {world.cells[0].name}"]


# ---------------------------------------------------------------------------------------------
# 上级转办: 上级工单号 and 上级期限


def test_order_fields_show_for_forwarded_cases_only(app_db):
    _, world = app_db
    at = fill(open_form(), world)
    at.run()
    assert [w.key for w in at.text_input if w.key == "in_external_no"] == []
    assert [w.key for w in at.date_input if w.key == "in_external_due"] == []
    at.selectbox(key="in_channel").set_value("forwarded").run()
    assert at.text_input(key="in_external_no").label == "上级工单号"
    assert at.date_input(key="in_external_due").label == "上级期限（可选）"


def test_forwarded_case_keeps_its_order_number_and_the_earlier_deadline(app_db):
    engine, world = app_db
    due = local_now().date() + dt.timedelta(days=1)
    at = fill(open_form(), world, in_channel="forwarded", in_type="immediate")
    at.run()
    fill(at, world, in_channel="forwarded", in_type="promised",
         in_promised=local_now().date() + dt.timedelta(days=20),
         in_external_no=" 12345-20261120-0007 ", in_external_due=due)  # fmt: skip
    at.button(key=PREVIEW).click().run()
    preview = [i.value for i in at.info if i.value.startswith("按当前填写：办结期限 ")]
    assert len(preview) == 1 and preview[0].startswith(f"按当前填写：办结期限 {due:%Y-%m-%d}")
    assert any(c.value.startswith("上级期限早于按规定计算的期限") for c in at.caption)
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    with session_factory(engine)() as session:
        case = session.scalar(select(Case))
        assert (case.channel, case.external_no) == ("forwarded", "12345-20261120-0007")
        assert case.deadline_at == dt.datetime.combine(due, dt.time(23, 59, 59))
        assert case.external_due_at == dt.datetime.combine(due, dt.time(23, 59, 59))


@pytest.mark.parametrize(
    ("overrides", "field_key", "message"),
    [
        ({"in_external_due": local_now().date() - dt.timedelta(days=1)}, "in_external_due",
         "上级期限不能早于受理日期"),
        ({"in_external_no": "1" * 41}, "in_external_no", "上级工单号不能超过 40 个字符"),
    ],
)  # fmt: skip
def test_bad_order_input_is_refused_at_its_field(app_db, overrides, field_key, message):
    engine, world = app_db
    at = fill(open_form(), world, in_channel="forwarded")
    at.run()
    fill(at, world, **{"in_channel": "forwarded", "in_external_no": "12345-0001", **overrides})
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    assert errors_of(at) == [
        "有 1 处需要修改，请查看各栏下方的提示。未保存任何内容。", message,
    ]  # fmt: skip
    widget = at.text_input if field_key == "in_external_no" else at.date_input
    assert widget(key=field_key).value == overrides[field_key]
    assert at.text_input(key="in_name").value == "王大妈"
    assert cases_in(engine) == 0
