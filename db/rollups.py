"""KPI rollups: per-day sums of the dashboard's figures, kept exact in every writing transaction.

The dashboard reads ``kpi_days`` (one row per day and grid cell: cases, visits, assistance) and
``kpi_day_groups`` (one row per day, 社区 and breakdown group of the cases) instead of scanning
the records; a year of a 48-cell 街道 is some 18,000 + 33,000 rows whatever the number of cases.

**One definition.** What a record adds to the rollup rows is given once, as grouped SQL over
its table (``_SOURCES``), with the predicates of ``db.kpi_queries`` (解决率's base, resolved,
clock running …). ``rebuild`` runs it over every record; the write hook runs it over the
records a flush touches, once before the flush (subtracted) and once after (added), and adds
the difference to the rollup rows with an upsert in the same transaction. A transaction that
rolls back takes its rollup change with it; a stale writer (optimistic locking) fails before
anything is added.

**Every write path.** ORM writes (every service) go through the ``before_flush`` /
``after_flush`` hook registered below on all sessions (``import db`` registers it). Bulk
inserts that bypass the ORM call ``record_new_cases`` (ledger import) or ``rebuild`` (demo
generator) themselves. ``drift`` compares the rollups with a fresh computation: the test suite
checks it after every test, and ``python -m db.check_rollups --url …`` on a live database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    case,
    delete,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from db.kpi_queries import _CLOCK_RUNNING, _COUNTS_FOR_RESOLUTION, _OPEN, _RESOLVED
from db.models import Assistance, Base, Case, GridCell, KpiDay, KpiDayGroup, Visit
from domain.workflow import ANSWERED_FOLLOW_UPS, SATISFIED_ANSWERS, Level

DAYS: Table = KpiDay.__table__  # type: ignore[assignment]
GROUPS: Table = KpiDayGroup.__table__  # type: ignore[assignment]
DAY_KEY = ("day", "community_id", "grid_cell_id")
GROUP_KEY = ("day", "community_id", "dimension", "group_key")
DAY_MEASURES = tuple(c.name for c in DAYS.c if c.name not in DAY_KEY)
GROUP_MEASURES = tuple(c.name for c in GROUPS.c if c.name not in GROUP_KEY)

ID_CHUNK = 500
"""Record ids per ``IN (…)`` list (SQLite allows some 32,000 parameters per statement)."""

Key = tuple[Any, ...]
Counts = dict[Key, list[int]]
Where = Sequence[ColumnElement[bool]]
# (measures, statement): the statement selects the key columns, then one value per measure.
Contribution = tuple[Sequence[str], Select[Any]]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _day(column: Any) -> ColumnElement[Any]:
    """The calendar day of a naive local datetime (``DATE()`` on all three backends)."""
    return func.date(column)


def _codes(values: Iterable[object]) -> list[str]:
    return sorted(str(v) for v in values)


# --- what each record adds --------------------------------------------------------------------


def _case_days(where: Where) -> list[Contribution]:
    """A case counts on its acceptance, finishing, follow-up and deadline days."""

    def on(moment: Any, *values: ColumnElement[Any], only: Where = ()) -> Select[Any]:
        day = _day(moment)
        return (
            select(day, Case.community_id, Case.grid_cell_id, *values)
            .where(moment.is_not(None), *only, *where)
            .group_by(day, Case.community_id, Case.grid_cell_id)
        )

    at_community = and_(_RESOLVED, Case.resolved_level == Level.COMMUNITY.value)
    return [
        (
            (
                "accepted",
                "resolution_base",
                "resolved",
                "responded",
                "repeats",
                "resolved_at_community",
                "open_cases",
            ),
            on(
                Case.accepted_at,
                func.count(),
                _flag(_COUNTS_FOR_RESOLUTION),
                _flag(_RESOLVED),
                _flag(Case.first_response_at <= Case.response_due_at),
                _flag(Case.is_repeat.is_(True)),
                _flag(at_community),
                _flag(_OPEN),
            ),
        ),
        (
            ("finished", "finished_on_time", "handling_days", "finished_with_days"),
            on(
                Case.finished_at,
                func.count(),
                _flag(Case.finished_at <= Case.deadline_at),
                func.coalesce(func.sum(Case.handling_working_days), 0),
                func.count(Case.handling_working_days),
            ),
        ),
        (
            ("answered", "satisfied"),
            on(
                Case.followed_up_at,
                func.count(),
                _flag(Case.satisfaction.in_(_codes(SATISFIED_ANSWERS))),
                only=[Case.satisfaction.in_(_codes(ANSWERED_FOLLOW_UPS))],
            ),
        ),
        (("due_open",), on(Case.deadline_at, func.count(), only=[_CLOCK_RUNNING])),
    ]


def _case_groups(where: Where) -> list[tuple[str, Contribution]]:
    """(dimension, contribution): a case counts in one group of each breakdown on its acceptance day."""
    day = _day(Case.accepted_at)
    contributions: list[tuple[str, Contribution]] = []
    for dimension, key, only in (
        ("category", Case.category_id, ()),
        ("channel", Case.channel, ()),
        ("handling", Case.handling_type, ()),
        ("level", func.coalesce(Case.resolved_level, ""), (_RESOLVED,)),
    ):
        values: list[ColumnElement[Any]] = [func.count()]
        measures: tuple[str, ...] = ("resolved",)
        if dimension != "level":
            values = [func.count(), _flag(_COUNTS_FOR_RESOLUTION), _flag(_RESOLVED)]
            measures = ("accepted", "resolution_base", "resolved")
        stmt = (
            select(day, Case.community_id, key, *values)
            .where(*only, *where)
            .group_by(day, Case.community_id, key)
        )
        contributions.append((dimension, (measures, stmt)))
    return contributions


def _visit_days(where: Where) -> list[Contribution]:
    """A visit counts on its day in its grid cell (走访次数, 走访人次)."""
    day = _day(Visit.visited_at)
    stmt = (
        select(
            day, GridCell.community_id, Visit.grid_cell_id, func.count(), func.sum(Visit.people_met)
        )
        .join(GridCell, GridCell.id == Visit.grid_cell_id)
        .where(*where)
        .group_by(day, GridCell.community_id, Visit.grid_cell_id)
    )
    return [(("visits", "visit_persons"), stmt)]


def _assistance_days(where: Where) -> list[Contribution]:
    """An assistance record counts on its day in its grid cell (帮扶人次)."""
    day = _day(Assistance.given_at)
    stmt = (
        select(
            day, GridCell.community_id, Assistance.grid_cell_id, func.sum(Assistance.persons_helped)
        )
        .join(GridCell, GridCell.id == Assistance.grid_cell_id)
        .where(*where)
        .group_by(day, GridCell.community_id, Assistance.grid_cell_id)
    )
    return [(("assistance_persons",), stmt)]


@dataclass(frozen=True)
class _Source:
    """A table whose records feed the rollups, and what one of its records adds."""

    model: type[Base]
    columns: frozenset[str]
    """Columns some figure depends on: a change to any other column costs nothing."""
    days: Callable[[Where], list[Contribution]]
    groups: Callable[[Where], list[tuple[str, Contribution]]] | None = None


_SOURCES = (
    _Source(
        Case,
        frozenset(
            {
                "accepted_at",
                "status",
                "handling_type",
                "deadline_at",
                "response_due_at",
                "first_response_at",
                "finished_at",
                "handling_working_days",
                "resolved_level",
                "is_repeat",
                "satisfaction",
                "followed_up_at",
                "community_id",
                "grid_cell_id",
                "category_id",
                "channel",
            }
        ),
        _case_days,
        _case_groups,
    ),
    _Source(Visit, frozenset({"visited_at", "grid_cell_id", "people_met"}), _visit_days),
    _Source(
        Assistance, frozenset({"given_at", "grid_cell_id", "persons_helped"}), _assistance_days
    ),
)
_SOURCE_OF = {source.model: source for source in _SOURCES}


def _as_date(value: Any) -> dt.date:
    """``DATE()`` comes back as a string on SQLite and as a date elsewhere."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _add_rows(
    into: Counts,
    conn: Connection,
    contribution: Contribution,
    measures: Sequence[str],
    prefix: Key = (),
) -> None:
    """Run one contribution statement and add its rows to ``into`` (keyed day, 社区, …)."""
    names, stmt = contribution
    positions = [measures.index(m) for m in names]
    for day, community_id, third, *values in conn.execute(stmt):
        key = (_as_date(day), community_id, *prefix, third if not prefix else str(third))
        row = into.setdefault(key, [0] * len(measures))
        for position, value in zip(positions, values, strict=True):
            row[position] += int(value or 0)


def _contributions(conn: Connection, source: _Source, where: Where) -> tuple[Counts, Counts]:
    """What the records of ``source`` matching ``where`` add: (day rows, group rows)."""
    days: Counts = {}
    for contribution in source.days(where):
        _add_rows(days, conn, contribution, DAY_MEASURES)
    groups: Counts = {}
    for dimension, contribution in source.groups(where) if source.groups else []:
        _add_rows(groups, conn, contribution, GROUP_MEASURES, (dimension,))
    return days, groups


def _for_ids(conn: Connection, source: _Source, ids: Iterable[int]) -> tuple[Counts, Counts]:
    """``_contributions`` of the given records (in chunks of ``ID_CHUNK`` ids)."""
    wanted = sorted(set(ids))
    days: Counts = {}
    groups: Counts = {}
    id_column = source.model.__table__.c.id  # type: ignore[attr-defined]
    for k in range(0, len(wanted), ID_CHUNK):
        d, g = _contributions(conn, source, [id_column.in_(wanted[k : k + ID_CHUNK])])
        _merge(days, d, +1)
        _merge(groups, g, +1)
    return days, groups


def _merge(into: Counts, counts: Counts, sign: int) -> None:
    for key, values in counts.items():
        row = into.setdefault(key, [0] * len(values))
        for i, value in enumerate(values):
            row[i] += sign * value


def _difference(before: Counts, after: Counts) -> Counts:
    """``after - before`` without the rows that did not change."""
    delta: Counts = {}
    _merge(delta, after, +1)
    _merge(delta, before, -1)
    return {key: values for key, values in delta.items() if any(values)}


def _upsert(
    conn: Connection, table: Table, keys: Sequence[str], measures: Sequence[str], delta: Counts
) -> None:
    """Add ``delta`` to the rollup rows, inserting missing ones, in key order (no deadlocks).

    ``INSERT … ON CONFLICT DO UPDATE`` (SQLite, PostgreSQL) or ``ON DUPLICATE KEY UPDATE``
    (MySQL/MariaDB): two transactions adding to the same new row cannot both insert it.
    """
    if not delta:
        return
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(measures, values, strict=True))}
        for key, values in sorted(delta.items())
    ]
    dialect = conn.dialect.name
    if dialect == "mysql":
        ins = mysql.insert(table)
        stmt: Any = ins.on_duplicate_key_update({m: table.c[m] + ins.inserted[m] for m in measures})
    else:
        ins = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        stmt = ins.on_conflict_do_update(
            index_elements=list(keys), set_={m: table.c[m] + ins.excluded[m] for m in measures}
        )
    conn.execute(stmt, rows)


def _apply(conn: Connection, days: Counts, groups: Counts) -> None:
    _upsert(conn, DAYS, DAY_KEY, DAY_MEASURES, days)
    _upsert(conn, GROUPS, GROUP_KEY, GROUP_MEASURES, groups)


def _everything(conn: Connection) -> tuple[Counts, Counts]:
    days: Counts = {}
    groups: Counts = {}
    for source in _SOURCES:
        d, g = _contributions(conn, source, [])
        _merge(days, d, +1)
        _merge(groups, g, +1)
    return days, groups


# --- public API ----------------------------------------------------------------------------


def rebuild(conn: Connection) -> None:
    """Recompute both rollup tables from every record (migration 0008, demo generator, repairs)."""
    conn.execute(delete(DAYS))
    conn.execute(delete(GROUPS))
    days, groups = _everything(conn)
    _apply(conn, days, groups)


def record_new_cases(conn: Connection, ids: Iterable[int]) -> None:
    """Add cases inserted without the ORM (bulk ``INSERT``) to the rollups, in their transaction."""
    _apply(conn, *_for_ids(conn, _SOURCE_OF[Case], ids))


def drift(conn: Connection) -> tuple[Counts, Counts]:
    """Rollup rows that differ from a fresh computation: (day rows, group rows); empty if exact."""

    def stored(table: Table, keys: Sequence[str], measures: Sequence[str]) -> Counts:
        columns = [table.c[k] for k in keys] + [table.c[m] for m in measures]
        return {
            (_as_date(row[0]), *row[1 : len(keys)]): [int(v) for v in row[len(keys) :]]
            for row in conn.execute(select(*columns))
        }

    days, groups = _everything(conn)
    return (
        _difference(stored(DAYS, DAY_KEY, DAY_MEASURES), days),
        _difference(stored(GROUPS, GROUP_KEY, GROUP_MEASURES), groups),
    )


# --- the write hook ------------------------------------------------------------------------

_PENDING = "minqing_rollups_before"


def _figures_changed(obj: Base, source: _Source) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in source.columns)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Note the stored records this flush changes or deletes, with what they add now."""
    session.info.pop(_PENDING, None)  # left over by a flush that failed
    stored: dict[_Source, list[int]] = defaultdict(list)
    for obj in session.dirty:
        source = _SOURCE_OF.get(type(obj))
        if source and obj.id is not None and _figures_changed(obj, source):  # type: ignore[attr-defined]
            stored[source].append(obj.id)  # type: ignore[attr-defined]
    for obj in session.deleted:
        source = _SOURCE_OF.get(type(obj))
        if source and obj.id is not None:  # type: ignore[attr-defined]
            stored[source].append(obj.id)  # type: ignore[attr-defined]
    new = [obj for obj in session.new if type(obj) in _SOURCE_OF]
    if not stored and not new:
        return
    conn = session.connection()
    before: tuple[Counts, Counts] = ({}, {})
    for source, ids in stored.items():
        d, g = _for_ids(conn, source, ids)
        _merge(before[0], d, +1)
        _merge(before[1], g, +1)
    session.info[_PENDING] = (dict(stored), new, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Add what the flushed records add now, minus what they added before, to the rollups."""
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    stored, new, (days_before, groups_before) = pending
    touched: dict[_Source, list[int]] = defaultdict(list)
    for source, ids in stored.items():
        touched[source].extend(ids)
    for obj in new:
        if obj.id is not None:
            touched[_SOURCE_OF[type(obj)]].append(obj.id)
    conn = session.connection()
    days_after: Counts = {}
    groups_after: Counts = {}
    for source, ids in touched.items():
        d, g = _for_ids(conn, source, ids)
        _merge(days_after, d, +1)
        _merge(groups_after, g, +1)
    _apply(conn, _difference(days_before, days_after), _difference(groups_before, groups_after))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
