"""The demo 街道 is one example of a real setup (issue 13): its territory and people come
through the admin's setup services, and outside demo mode nothing in the app loads ``db.demo``."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from config import ROOT
from db import demo
from db.engine import make_engine
from db.models import (
    AuditEntry,
    Community,
    GridCell,
    Household,
    Person,
    RecordChange,
    ServicePoint,
    User,
)
from db.queries.rosters import community_cells
from domain.errors import PermissionDenied, ValidationFailed
from domain.ledger_import import NameIndex
from domain.reference import ServicePost, TargetGroup
from domain.roles import Actor, Role
from domain.rosters import COLUMNS, TAG_WORDS, Roster, parse_roster
from services.people import set_service_post
from services.rosters import import_roster
from services.users import NewAccount, UserError, create_accounts
from tests.factories import World, make_world, migrate

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 18, 0)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A demo database with few cases (the setup part is the same at any size)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('setup') / 'demo.db'}")
    migrate(engine)
    demo.generate(engine, cases=60, today=TODAY, with_events=False)
    yield engine
    engine.dispose()


def _changes(session: Session, entity: str, action: str) -> set[int]:
    return set(
        session.scalars(
            select(RecordChange.entity_id).where(
                RecordChange.entity == entity,
                RecordChange.action == action,
                RecordChange.username == "admin",
            )
        )
    )


def test_territory_and_people_are_recorded_as_the_admins_setup(engine: Engine) -> None:
    """Every cell, person, household and service point carries the history entry its setup
    service writes (the bulk writer writes none), and the imported ones their roster key."""
    with Session(engine) as session:
        cells = set(session.scalars(select(GridCell.id)))
        assert len(cells) == 48
        assert _changes(session, "grid_cell", "create") == cells
        assert _changes(session, "grid_cell", "boundary") == cells  # from a boundary file
        assert _changes(session, "grid_cell", "people") == cells  # 片长 and two 信息员 each
        for model, entity in (
            (Person, "people"),
            (Household, "households"),
            (ServicePoint, "service_points"),
        ):
            ids = set(session.scalars(select(model.id)))
            assert ids and _changes(session, entity, "import") == ids, entity
            assert session.scalar(select(func.count()).where(model.roster_key.is_(None))) == 0
        posts = set(session.scalars(select(Person.id).where(Person.service_post.is_not(None))))
        assert len(posts) == 4 * 32 and _changes(session, "person", "post") == posts
        # the schematic-map order is the cells' order in their boundary file
        for community_id in session.scalars(select(Community.id)):
            codes = session.scalars(
                select(GridCell.code)
                .where(GridCell.community_id == community_id)
                .order_by(GridCell.position)
            ).all()
            assert codes == sorted(codes) and len(codes) == 12


def test_the_demo_logins_come_from_the_first_admin_and_the_user_service(engine: Engine) -> None:
    with Session(engine) as session:
        entries = Counter(
            session.execute(select(AuditEntry.action, AuditEntry.target)).tuples().all()
        )
        users = session.scalars(select(User).order_by(User.id)).all()
        assert users[0].username == "admin"
        assert entries[("user.first_admin", "admin")] == 1
        assert {u.username for u in users[1:]} == {
            target for (action, target) in entries if action == "user.create"
        }
        assert len(users) == len(demo.DEMO_ACCOUNTS) + 3 * len(demo.COMMUNITIES)
        assert not any(u.must_change_password for u in users)


def _household_rows(session: Session, community_id: int) -> list[list[object]]:
    """The 社区's households written back into the 住户台账 template's columns."""
    word = {g.value: next(w for w, t in TAG_WORDS.items() if t == g.value) for g in TargetGroup}
    households = session.execute(
        select(Household, GridCell.code)
        .join(GridCell, GridCell.id == Household.grid_cell_id)
        .where(GridCell.community_id == community_id)
        .order_by(Household.id)
    ).all()
    values = [
        {
            "head_name": h.head_name,
            "building": h.building,
            "unit": h.unit,
            "room": h.room,
            "address": h.address,
            "members": h.members,
            "phone": h.phone,
            "grid_cell": code,
            "tags": "、".join(word[t.tag] for t in h.tags),
        }
        for h, code in households
    ]
    return [
        ["" if v.get(c.key) is None else v[c.key] for c in COLUMNS[Roster.HOUSEHOLDS]]
        for v in values
    ]


def test_importing_the_demo_households_again_adds_nothing(engine: Engine) -> None:
    """The demo's households are keyed as an import keys them: the same roster adds nothing."""
    with Session(engine) as session:
        community_id = session.scalars(select(Community.id).order_by(Community.id)).first()
        assert community_id is not None
        rows = _household_rows(session, community_id)
        headers = [c.label for c in COLUMNS[Roster.HOUSEHOLDS]]
        cells = NameIndex(community_cells(session, community_id=community_id), "网格")
        result = parse_roster(
            Roster.HOUSEHOLDS, headers, list(enumerate(rows, start=2)),
            community_id=community_id, cells=cells,
        )  # fmt: skip
        assert not result.refused and len(result.rows) == len(rows) > 300
        before = session.scalar(select(func.count()).select_from(Household))
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        outcome = import_roster(
            session, actor=Actor(admin.id, "admin", Role.ADMIN), roster=Roster.HOUSEHOLDS,
            community_id=community_id, result=result, now=NOW,
        )  # fmt: skip
        assert (outcome.added, outcome.skipped) == (0, len(rows))
        assert session.scalar(select(func.count()).select_from(Household)) == before


# ---------------------------------------------------------------- outside demo mode

PROBE = textwrap.dedent(
    """
    import json, os, sys
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def demo_modules():
        return sorted(m for m in sys.modules if m == "db.demo" or m.startswith("db.demo."))

    at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
    at.text_input[0].input("boss")
    at.text_input[1].input("env-pass-2026!")
    at.button[0].click().run()
    at.run()
    assert not at.exception, at.exception
    seen = {
        "loaded": demo_modules(),
        "shown": [e.value for e in [*at.title, *at.markdown, *at.info]],
        "pages": sorted(m for m in sys.modules if m.startswith("pages.")),
    }
    # The control: the same interpreter in demo mode (login page only) does load db.demo.
    os.environ.update(MINQING_DEMO="1", DATABASE_URL=sys.argv[2])
    st.cache_resource.clear()
    at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
    assert not at.exception, at.exception
    seen["demo_mode_loaded"] = demo_modules()
    print(json.dumps(seen, ensure_ascii=False))
    """
)


def test_outside_demo_mode_the_app_never_loads_db_demo(tmp_path) -> None:
    """An empty production database, the first admin from the environment, logged in: no
    module of ``db.demo`` is loaded (run in a fresh interpreter, so other tests' imports stay
    out); the same probe in demo mode sees it (the login page lists the demo accounts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",  # empty: the app migrates it
        MINQING_DEMO="0",
        MINQING_SEED_DEMO="0",
        MINQING_COOKIE_KEY="k" * 40,
        MINQING_ADMIN_USERNAME="boss",
        MINQING_ADMIN_PASSWORD="env-pass-2026!",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "app.py"), f"sqlite:///{tmp_path / 'demo.db'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == []
    assert any("请先完成初始化" in text for text in seen["shown"])  # logged in, sent to setup
    assert "pages.setup" in seen["pages"] and len(seen["pages"]) > 15  # every page module loaded
    assert "db.demo" in seen["demo_mode_loaded"]


# ---------------------------------------------------------------- the two services the demo added


@pytest.fixture
def world_session(tmp_path) -> Iterator[tuple[Session, World]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    with Session(engine) as session:
        yield session, make_world(session)
    engine.dispose()


def test_create_accounts_checks_each_account_and_writes_all_or_none(world_session) -> None:
    session, world = world_session
    admin = Actor(world.users["admin"].id, "admin", Role.ADMIN)
    good = NewAccount("ws01", "王芳", Role.STAFF.value, world.community.id)
    for accounts, field, message in (
        ([good, NewAccount("staff", "重名", Role.STAFF.value)], "username", "已存在"),
        ([good, NewAccount("gw9", "无网格", Role.GRIDWORKER.value)], "grid_cell_ids", "至少分配"),
        ([good, NewAccount("x", "短名", Role.STAFF.value)], "username", "3–40 位"),
    ):
        with pytest.raises(UserError) as refused:
            create_accounts(
                session, actor=admin, accounts=accounts, password="shared-pass-2026",
                must_change_password=True, now=NOW,
            )  # fmt: skip
        assert message in refused.value.errors[field]
        assert session.scalar(select(User.id).where(User.username == "ws01")) is None
    gw = NewAccount("gw9", "李网格", Role.GRIDWORKER.value, world.community.id, None,
                    (world.cells[1].id,))  # fmt: skip
    made = create_accounts(
        session, actor=admin, accounts=[good, gw], password="shared-pass-2026",
        must_change_password=True, now=NOW,
    )  # fmt: skip
    assert [u.username for u in made] == ["ws01", "gw9"]
    assert made[0].password_hash == made[1].password_hash  # hashed once
    assert all(u.must_change_password for u in made)
    assert [c.id for c in made[1].grid_cells] == [world.cells[1].id]
    with pytest.raises(UserError):
        create_accounts(
            session, actor=Actor(world.users["staff"].id, "staff", Role.STAFF), accounts=[gw],
            password="shared-pass-2026", must_change_password=True, now=NOW,
        )  # fmt: skip


def test_set_service_post_only_for_party_members_with_a_known_post(world_session) -> None:
    session, world = world_session
    admin = Actor(world.users["admin"].id, "admin", Role.ADMIN)
    member = Person(name="党员甲", kind="party_member", community_id=world.community.id,
                    is_party_member=True, party_branch="第一党支部")  # fmt: skip
    resident = Person(name="群众乙", kind="volunteer", community_id=world.community.id,
                      is_party_member=False)  # fmt: skip
    session.add_all([member, resident])
    session.commit()
    for person, post, field, message in (
        (resident, ServicePost.AID.value, "person_id", "不是党员"),
        (member, "no-such-post", "post", "请选择岗位"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            set_service_post(session, actor=admin, person_id=person.id, post=post, now=NOW)
        assert message in refused.value.errors[field]
    with pytest.raises(PermissionDenied):
        staff = Actor(world.users["staff"].id, "staff", Role.STAFF)
        set_service_post(session, actor=staff, person_id=member.id, post="aid", now=NOW)
    set_service_post(session, actor=admin, person_id=member.id, post="aid", now=NOW)
    set_service_post(session, actor=admin, person_id=member.id, post="aid", now=NOW)  # no change
    session.refresh(member)
    assert member.service_post == "aid"
    history = session.scalars(
        select(RecordChange.after).where(
            RecordChange.entity == "person", RecordChange.action == "post"
        )
    ).all()
    assert history == ['{"service_post": "aid"}']
