"""An exact, process-wide cache for dashboard aggregates, revalidated on every read.

Each entry is stored with the *data fingerprint* it was computed from: the highest id of
every append-only table the dashboard reads (cases, case_events, visits, assistance,
households, grid_cells, reception_sessions). Every write the app makes appends at least one of those rows
(a case change always appends a ``case_events`` row), so a write committed by any process
changes the fingerprint and the next read recomputes. ``clear_dashboard_cache()`` drops every
entry at once; write paths of this process call it after they commit. Entries that depend on
``now`` (overdue counts) also carry ``valid_until``: the next moment an open case's deadline
passes, after which they are recomputed. A hard ``MAX_AGE`` bounds anything written outside the
app without appending a row (a hand-made UPDATE in the database).

Nothing here imports streamlit: services, the bench and tests use the same cache.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.models import Assistance, Case, CaseEvent, GridCell, Household, ReceptionSession, Visit

T = TypeVar("T")

MAX_ENTRIES = 256
MAX_AGE_SECONDS = 600.0
"""Backstop for changes that append no row (edits made outside the app)."""

Fingerprint = tuple[Any, ...]


@dataclass
class _Entry:
    fingerprint: Fingerprint
    generation: int
    stored_at: float
    valid_until: dt.datetime | None
    value: Any


_lock = threading.Lock()
_entries: OrderedDict[Hashable, _Entry] = OrderedDict()
_generation = 0
_stats = {"hits": 0, "misses": 0}


def clear_dashboard_cache() -> None:
    """Forget every cached dashboard figure; call after any write is committed."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def cache_stats() -> dict[str, int]:
    """Hits and misses since start (for the bench and tests)."""
    with _lock:
        return dict(_stats, entries=len(_entries))


def data_fingerprint(session: Session) -> Fingerprint:
    """The database and the highest id of every table the dashboard reads."""
    row = session.execute(
        select(
            select(func.max(Case.id)).scalar_subquery(),
            select(func.max(CaseEvent.id)).scalar_subquery(),
            select(func.max(Visit.id)).scalar_subquery(),
            select(func.max(Assistance.id)).scalar_subquery(),
            select(func.max(Household.id)).scalar_subquery(),
            select(func.max(GridCell.id)).scalar_subquery(),
            select(func.max(ReceptionSession.id)).scalar_subquery(),
        )
    ).one()
    # The database's address keeps two databases with equal ids apart (tests, benches).
    return (_address(session), *row, _snapshot(session))


def _snapshot(session: Session) -> str:
    """PostgreSQL: the writing transactions in progress now (their ids), empty elsewhere.

    Ids are handed out before commit: a write whose id is below the highest one can commit
    after the cache was filled, leaving the highest ids unchanged. Such a write was in progress
    when the figures were computed, so it is in this list then and gone from it once committed:
    the fingerprint changes in every process. Writes that start and end between two refreshes
    do not touch the list (the highest ids show them). SQLite has one writer at a time;
    MySQL/MariaDB offer no cheap equivalent: there the cache's age limit bounds the delay.
    """
    if session.get_bind().dialect.name != "postgresql":
        return ""
    running = text(
        "SELECT string_agg(x::text, ',' ORDER BY x::text)"
        " FROM pg_snapshot_xip(pg_current_snapshot()) AS x"
    )
    return str(session.scalar(running) or "")


def _address(session: Session) -> str:
    """The database's address without its password (an engine or a connection's engine)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def territory_fingerprint(session: Session) -> Fingerprint:
    """The database and the highest id of the tables behind visits, coverage and assistance.

    Figures keyed by this survive case writes (which append cases and events only).
    """
    row = session.execute(
        select(
            select(func.max(Visit.id)).scalar_subquery(),
            select(func.max(Assistance.id)).scalar_subquery(),
            select(func.max(Household.id)).scalar_subquery(),
            select(func.max(GridCell.id)).scalar_subquery(),
        )
    ).one()
    return (_address(session), *row, _snapshot(session))


def cached(
    key: Hashable,
    compute: Callable[[], tuple[T, dt.datetime | None]],
    *,
    fingerprint: Fingerprint,
    now: dt.datetime | None = None,
) -> T:
    """The value stored under ``key`` if still exact, else ``compute()`` stored and returned.

    ``compute`` returns ``(value, valid_until)``; ``valid_until`` is None for values that do
    not depend on ``now``.
    """
    with _lock:
        entry = _entries.get(key)
        generation = _generation
        if (
            entry is not None
            and entry.fingerprint == fingerprint
            and entry.generation == generation
            and time.monotonic() - entry.stored_at < MAX_AGE_SECONDS
            and (entry.valid_until is None or (now is not None and now < entry.valid_until))
        ):
            _entries.move_to_end(key)
            _stats["hits"] += 1
            return cast(T, entry.value)
        _stats["misses"] += 1
    value, valid_until = compute()
    with _lock:
        if generation == _generation:  # a write cleared the cache meanwhile: do not store
            _entries[key] = _Entry(fingerprint, generation, time.monotonic(), valid_until, value)
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return value
