"""Shared fixtures: real databases (SQLite files, PostgreSQL, MariaDB), each migrated fresh.

Server databases get a schema (PostgreSQL) or database (MariaDB) of their own per test
process, dropped afterwards, so runs never see each other's rows. When a server is not
reachable its tests skip with the reason, unless ``MINQING_REQUIRE_SERVICES=1`` (set by
``.ci/run``), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from db import search_index
from db.engine import make_engine, session_factory
from db.migrate import upgrade_to_head
from db.models import Base
from db.rollups import drift
from tests.factories import migrate

pytest_plugins = ["tests.helpers.anonymise"]  # the leaky_world fixture

PG_URL = os.environ.get("MINQING_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("MINQING_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
REQUIRE_SERVICES = os.environ.get("MINQING_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where every service must be in reach."""
    if REQUIRE_SERVICES:
        pytest.fail(f"MINQING_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _server_engine(kind: str) -> tuple[Engine, str]:
    tag = f"t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if kind == "postgresql":
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{tag}"'))
        url = admin.url.update_query_dict({"options": f"-csearch_path={tag}"})
        admin.dispose()
        return make_engine(url.render_as_string(hide_password=False)), tag
    admin = make_engine(MYSQL_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{tag}` CHARACTER SET utf8mb4"))
    url = admin.url.set(database=tag)
    admin.dispose()
    return make_engine(url.render_as_string(hide_password=False)), tag


def _drop_server(kind: str, tag: str) -> None:
    admin = make_engine(PG_URL if kind == "postgresql" else MYSQL_URL)
    with admin.begin() as conn:
        if kind == "postgresql":
            conn.execute(text(f'DROP SCHEMA "{tag}" CASCADE'))
        else:
            conn.execute(text(f"DROP DATABASE `{tag}`"))
    admin.dispose()


def _reachable(url: str) -> str | None:
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure to connect is a reason to skip
        return f"{url.split('@')[-1]} not reachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def _server_engines() -> Iterator[dict[str, Engine | str]]:
    """One migrated engine per server kind for the whole session (or the reason it is missing)."""
    engines: dict[str, Engine | str] = {}
    made: list[tuple[str, str, Engine]] = []
    for kind, url in (("postgresql", PG_URL), ("mysql", MYSQL_URL)):
        reason = _reachable(url)
        if reason:
            engines[kind] = reason
            continue
        engine, tag = _server_engine(kind)
        upgrade_to_head(engine)
        engines[kind] = engine
        made.append((kind, tag, engine))
    yield engines
    for kind, tag, engine in made:
        engine.dispose()
        _drop_server(kind, tag)


def assert_rollups_exact(engine: Engine) -> None:
    """The KPI rollups equal a fresh computation from the records (``db.rollups.drift``)."""
    with engine.connect() as conn:
        found = drift(conn)
    assert found == {}, "KPI rollups drifted from the records: " + "; ".join(
        f"{table}: {len(rows)} rows, e.g. {next(iter(rows.items()))}"
        for table, rows in found.items()
    )


def _check_rollups(request: pytest.FixtureRequest, engine: Engine) -> None:
    """After each test: whatever it wrote, the rollups and the text index still match.

    (Marker ``rollups_may_drift`` for a test that breaks them on purpose.)
    """
    if request.node.get_closest_marker("rollups_may_drift") is None:
        assert_rollups_exact(engine)
        with engine.connect() as conn:
            lost = search_index.missing(conn)
        assert lost == [], f"cases whose search grams differ from their text: {lost[:10]}"


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))


def migrated_sqlite(folder) -> Engine:
    """A fresh copy of the migrated template (``tests.factories.migrate``) as an engine."""
    engine = make_engine(f"sqlite:///{folder / 'test.db'}")
    migrate(engine)
    return engine


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path, _server_engines) -> Iterator[Engine]:
    """A freshly migrated, empty database of each kind (SQLite file, PostgreSQL, MariaDB)."""
    if request.param == "sqlite":
        eng = migrated_sqlite(tmp_path)
        yield eng
        _check_rollups(request, eng)
        eng.dispose()
        return
    found = _server_engines[request.param]
    if isinstance(found, str):
        unavailable(found)
    assert isinstance(found, Engine)
    _truncate(found)
    yield found
    _check_rollups(request, found)


@pytest.fixture
def sqlite_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A freshly migrated SQLite file (a copy of the template), for the embedded default only."""
    eng = migrated_sqlite(tmp_path)
    yield eng
    _check_rollups(request, eng)
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory over the parametrised ``engine``."""
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session over the parametrised ``engine``."""
    with sessions() as s:
        yield s
