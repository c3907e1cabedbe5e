"""AppTest helpers for page tests: a migrated SQLite world the pages open, a logged-in run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.dashboard_cache import clear_dashboard_cache
from db.engine import make_engine, session_factory
from tests.factories import NOW, World, make_world, migrate


def page_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    modules: Iterable[str],
    extra: Callable[[Session], None] = lambda session: None,
    cells: int = 2,
) -> Iterator[tuple[Engine, World]]:
    """A small migrated world (``cells`` grid cells, plus ``extra``) that ``modules`` open at ``NOW``."""
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        world = make_world(session, cells=cells)
        extra(session)
        session.commit()
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    for module in modules:
        monkeypatch.setattr(f"{module}.local_now", lambda: NOW)
    st.cache_resource.clear()
    clear_dashboard_cache()
    yield engine, world
    st.cache_resource.clear()
    clear_dashboard_cache()
    engine.dispose()


def open_as(script: Callable[[], None], username: str = "staff") -> AppTest:
    """Run ``script`` under AppTest as the logged-in ``username``; no exception allowed."""
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    """Click the button labelled ``label`` and run; no exception allowed."""
    at = next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at
