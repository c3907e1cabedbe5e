"""KPI rollups: per-day sums of the dashboard's figures, kept exact in every writing transaction.

The dashboard reads three small tables instead of scanning the records: ``kpi_days`` (one row
per day and grid cell: cases, visits, assistance), ``kpi_day_groups`` (one row per day, 社区 and
breakdown group of the cases) and ``kpi_open_days`` (open cases per cell and deadline day, only
while there are some). A year of a 48-cell 街道 is some 18,000 + 33,000 rows, whatever the
number of cases.

**One definition.** What a record adds to the rollup rows is given once, as grouped SQL over
its table (``_SOURCES``), with the predicates of ``db.queries.kpis`` (解决率's base, resolved,
clock running …). ``rebuild`` runs it over every record; the write hook runs it over the
records a flush touches, once before the flush (subtracted) and once after (added), and adds
the difference to the rollup rows with an upsert in the same transaction. A transaction that
rolls back takes its rollup change with it; a stale writer (optimistic locking) fails before
anything is added.

**Every write path.** ORM writes (every service) go through the ``before_flush`` /
``after_flush`` hook registered below on all sessions (``import db`` registers it). Bulk
inserts and deletes that bypass the ORM call ``record_new_cases`` (ledger import),
``forget_cases`` (bench clean-up) or ``rebuild`` (demo generator) themselves. ``drift``
compares the rollups with a fresh computation: the test suite checks it after every test that
uses a database fixture, and ``python -m db.check_rollups --url …`` on a live database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any, cast

from sqlalchemy import (
    Alias,
    ColumnElement,
    Connection,
    Date,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    inspect,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.util import ClauseAdapter

from db.models import (
    NO_DEADLINE,
    Assistance,
    Base,
    Case,
    GridCell,
    KpiDay,
    KpiDayGroup,
    KpiOpenDay,
    KpiReception,
    ReceptionConcern,
    Visit,
)
from db.queries import predicates as states
from domain.workflow import ANSWERED_FOLLOW_UPS, SATISFIED_ANSWERS, Level

ID_CHUNK = 500
"""Record ids per ``IN (…)`` list (SQLite allows some 32,000 parameters per statement)."""


@dataclass(frozen=True)
class _Rollup:
    """A rollup table: its key columns, its measures, whether rows at zero are deleted."""

    table: Table
    keys: tuple[str, ...]
    drop_zero_rows: bool = False

    @cached_property
    def measures(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table.c if c.name not in self.keys)

    def key_of(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """A key as stored: dates as dates (SQLite returns strings), text keys as text."""
        return tuple(convert(value) for convert, value in zip(self.converters, values, strict=True))

    @cached_property
    def converters(self) -> tuple[Callable[[Any], Any], ...]:
        return tuple(_converter(self.table.c[name].type) for name in self.keys)


def _converter(kind: Any) -> Callable[[Any], Any]:
    if isinstance(kind, Date):
        return _as_date
    return str if isinstance(kind, String) else int


DAYS = _Rollup(KpiDay.__table__, ("day", "community_id", "grid_cell_id"))  # type: ignore[arg-type]
GROUPS = _Rollup(
    KpiDayGroup.__table__,  # type: ignore[arg-type]
    ("day", "community_id", "dimension", "group_key"),
)
OPEN_DAYS = _Rollup(
    KpiOpenDay.__table__,  # type: ignore[arg-type]
    ("deadline_day", "community_id", "grid_cell_id"),
    drop_zero_rows=True,
)
RECEPTION = _Rollup(
    KpiReception.__table__,  # type: ignore[arg-type]
    ("session_id", "community_id", "grid_cell_id"),
)
ROLLUPS = (DAYS, GROUPS, OPEN_DAYS, RECEPTION)

Key = tuple[Any, ...]
Counts = dict[Key, list[int]]
Figures = dict[_Rollup, Counts]
Where = Sequence[ColumnElement[bool]]


@dataclass(frozen=True)
class Contribution:
    """A grouped statement: the rollup's key columns, then one value per named measure."""

    rollup: _Rollup
    measures: tuple[str, ...]
    stmt: Select[Any]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _day(column: Any) -> ColumnElement[Any]:
    """The calendar day of a naive local datetime (``DATE()`` on all three backends)."""
    return func.date(column)


def _codes(values: Iterable[object]) -> list[str]:
    return sorted(str(v) for v in values)


@lru_cache(maxsize=8192)
def _as_date(value: Any) -> dt.date:
    """``DATE()`` comes back as a string on SQLite and as a date elsewhere."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# --- what each record adds --------------------------------------------------------------------


def _case_contributions(where: Where) -> list[Contribution]:
    """A case counts on its acceptance, finishing and follow-up days, in one group of each
    breakdown, while open under its deadline day, and under its 接待日 session if it has one."""

    def on(moment: Any, *values: ColumnElement[Any], only: Where = ()) -> Select[Any]:
        day = _day(moment)
        return (
            select(day, Case.community_id, Case.grid_cell_id, *values)
            .where(moment.is_not(None), *only, *where)
            .group_by(day, Case.community_id, Case.grid_cell_id)
        )

    at_community = and_(states.RESOLVED, Case.resolved_level == Level.COMMUNITY.value)
    deadline_day = func.coalesce(_day(Case.deadline_at), literal(NO_DEADLINE, Date))
    found = [
        Contribution(
            DAYS,
            (
                "accepted",
                "resolution_base",
                "resolved",
                "responded",
                "repeats",
                "resolved_at_community",
            ),
            on(
                Case.accepted_at,
                func.count(),
                _flag(states.COUNTS_FOR_RESOLUTION),
                _flag(states.RESOLVED),
                _flag(Case.first_response_at <= Case.response_due_at),
                _flag(Case.is_repeat.is_(True)),
                _flag(at_community),
            ),
        ),
        Contribution(
            DAYS,
            ("finished", "finished_on_time", "handling_days", "finished_with_days"),
            on(
                Case.finished_at,
                func.count(),
                _flag(Case.finished_at <= Case.deadline_at),
                func.coalesce(func.sum(Case.handling_working_days), 0),
                func.count(Case.handling_working_days),
            ),
        ),
        Contribution(
            DAYS,
            ("answered", "satisfied"),
            on(
                Case.followed_up_at,
                func.count(),
                _flag(Case.satisfaction.in_(_codes(SATISFIED_ANSWERS))),
                only=[Case.satisfaction.in_(_codes(ANSWERED_FOLLOW_UPS))],
            ),
        ),
        Contribution(
            OPEN_DAYS,
            ("open_cases", "clock_running"),
            select(
                deadline_day,
                Case.community_id,
                Case.grid_cell_id,
                func.count(),
                _flag(states.CLOCK_RUNNING),
            )
            .where(states.OPEN, *where)
            .group_by(deadline_day, Case.community_id, Case.grid_cell_id),
        ),
    ]
    found.append(
        Contribution(
            RECEPTION,
            ("cases", "open_cases", "resolution_base", "resolved"),
            select(
                ReceptionConcern.session_id,
                Case.community_id,
                Case.grid_cell_id,
                func.count(),
                _flag(states.OPEN),
                _flag(states.COUNTS_FOR_RESOLUTION),
                _flag(states.RESOLVED),
            )
            .join(ReceptionConcern, ReceptionConcern.case_id == Case.id)
            .where(*where)
            .group_by(ReceptionConcern.session_id, Case.community_id, Case.grid_cell_id),
        )
    )
    accepted_day = _day(Case.accepted_at)
    for dimension, key, only in (
        ("category", Case.category_id, ()),
        ("channel", Case.channel, ()),
        ("handling", Case.handling_type, ()),
        ("level", func.coalesce(Case.resolved_level, ""), (states.RESOLVED,)),
    ):
        values: list[ColumnElement[Any]] = [func.count()]
        measures: tuple[str, ...] = ("resolved",)
        if dimension != "level":
            values = [func.count(), _flag(states.COUNTS_FOR_RESOLUTION), _flag(states.RESOLVED)]
            measures = ("accepted", "resolution_base", "resolved")
        stmt = (
            select(accepted_day, Case.community_id, literal_column(f"'{dimension}'"), key, *values)
            .where(*only, *where)
            .group_by(accepted_day, Case.community_id, key)
        )
        found.append(Contribution(GROUPS, measures, stmt))
    return found


def _visit_contributions(where: Where) -> list[Contribution]:
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
    return [Contribution(DAYS, ("visits", "visit_persons"), stmt)]


def _assistance_contributions(where: Where) -> list[Contribution]:
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
    return [Contribution(DAYS, ("assistance_persons",), stmt)]


@dataclass(frozen=True)
class _Source:
    """A table whose records feed the rollups, and what one of its records adds."""

    model: type[Base]
    columns: frozenset[str]
    """Columns some figure depends on: a change to any other column costs nothing."""
    contributions: Callable[[Where], list[Contribution]]


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
        _case_contributions,
    ),
    _Source(Visit, frozenset({"visited_at", "grid_cell_id", "people_met"}), _visit_contributions),
    _Source(
        Assistance,
        frozenset({"given_at", "grid_cell_id", "persons_helped"}),
        _assistance_contributions,
    ),
)
_SOURCE_OF = {source.model: source for source in _SOURCES}


# --- adding up -----------------------------------------------------------------------------


def _empty() -> Figures:
    return {rollup: {} for rollup in ROLLUPS}


def _collect(
    into: Figures,
    conn: Connection,
    contributions: Sequence[Contribution],
    params: dict[str, Any] | None = None,
) -> None:
    """Add what the records matching the ``contributions``' statements add to ``into``."""
    for c in contributions:
        rollup = c.rollup
        width = len(rollup.keys)
        positions = [rollup.measures.index(m) for m in c.measures]
        counts = into[rollup]
        size = len(rollup.measures)
        for row in conn.execute(c.stmt, params or {}):
            key = rollup.key_of(row[:width])
            values = counts.get(key)
            if values is None:
                values = counts[key] = [0] * size
            for position, value in zip(positions, row[width:], strict=True):
                values[position] += int(value or 0)


_BY_KEY = "by_key_"
"""Prefix of the aliases SQLite reads by rowid only (``NOT INDEXED``, see ``_by_key``)."""


@compiles(Alias, "sqlite")
def _sqlite_alias(element: Alias, compiler: Any, **kw: Any) -> str:
    text = compiler.visit_alias(element, **kw)
    if kw.get("asfrom") and str(element.name).startswith(_BY_KEY):
        text += " NOT INDEXED"
    return str(text)


def _by_key(source: _Source, where: Callable[[Table], ColumnElement[bool]]) -> list[Contribution]:
    """The source's statements for the records ``where`` picks by primary key.

    SQLite is told to read the table by its rowid (``NOT INDEXED`` on an alias of it): left to
    itself it takes the status index for a predicate like 「resolved」 and reads every resolved
    case in the database to add up a thousand new ones.
    """
    table = cast(Table, source.model.__table__)
    alias = table.alias(f"{_BY_KEY}{table.name}")
    adapter = ClauseAdapter(alias)
    return [
        Contribution(c.rollup, c.measures, adapter.traverse(c.stmt))
        for c in source.contributions([where(table)])
    ]


@cache
def _by_id_list(source: _Source) -> list[Contribution]:
    """The source's statements for a list of ids (an expanding ``IN``), built once."""
    return _by_key(source, lambda t: t.c.id.in_(bindparam("ids", expanding=True)))


@cache
def _by_id_range(source: _Source) -> list[Contribution]:
    """The source's statements for a contiguous run of ids (``BETWEEN``), built once."""
    return _by_key(source, lambda t: t.c.id.between(bindparam("low"), bindparam("high")))


def statements_by_key(model: type[Base], *, contiguous: bool) -> list[Select[Any]]:
    """The grouped statements run for given records of ``model`` (ids as a range or a list)."""
    source = _SOURCE_OF[model]
    return [c.stmt for c in (_by_id_range if contiguous else _by_id_list)(source)]


def _for_ids(conn: Connection, source: _Source, ids: Iterable[int]) -> Figures:
    """What the given records contribute: one range if the ids are contiguous (a bulk insert's
    are, as a rule), else in lists of ``ID_CHUNK`` ids."""
    wanted = sorted(set(ids))
    found = _empty()
    if not wanted:
        return found
    if wanted[-1] - wanted[0] + 1 == len(wanted):
        _collect(found, conn, _by_id_range(source), {"low": wanted[0], "high": wanted[-1]})
        return found
    for k in range(0, len(wanted), ID_CHUNK):
        _collect(found, conn, _by_id_list(source), {"ids": wanted[k : k + ID_CHUNK]})
    return found


def _everything(conn: Connection) -> Figures:
    found = _empty()
    for source in _SOURCES:
        _collect(found, conn, source.contributions([]))
    return found


def _merge(into: Figures, figures: Figures, sign: int) -> None:
    for rollup, counts in figures.items():
        target = into[rollup]
        for key, values in counts.items():
            row = target.setdefault(key, [0] * len(values))
            for i, value in enumerate(values):
                row[i] += sign * value


def _difference(before: Figures, after: Figures) -> Figures:
    """``after - before`` without the rows that did not change."""
    delta = _empty()
    _merge(delta, after, +1)
    _merge(delta, before, -1)
    return {r: {k: v for k, v in counts.items() if any(v)} for r, counts in delta.items()}


def _upsert(conn: Connection, rollup: _Rollup, delta: Counts) -> None:
    """Add ``delta`` to the rollup rows, inserting missing ones, in key order (no deadlocks).

    ``INSERT … ON CONFLICT DO UPDATE`` (SQLite, PostgreSQL) or ``ON DUPLICATE KEY UPDATE``
    (MySQL/MariaDB): two transactions adding to the same new row cannot both insert it.
    """
    if not delta:
        return
    table, keys, measures = rollup.table, rollup.keys, rollup.measures
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
    if rollup.drop_zero_rows and any(v < 0 for values in delta.values() for v in values):
        touched = sorted(delta)
        for k in range(0, len(touched), ID_CHUNK):
            conn.execute(
                delete(table).where(
                    tuple_(*[table.c[name] for name in keys]).in_(touched[k : k + ID_CHUNK]),
                    *[table.c[m] == 0 for m in measures],
                )
            )


def _apply(conn: Connection, delta: Figures) -> None:
    for rollup in ROLLUPS:
        _upsert(conn, rollup, delta[rollup])


# --- public API ----------------------------------------------------------------------------


def rebuild(conn: Connection) -> None:
    """Recompute every rollup table from the records (migration 0008, demo generator, repairs)."""
    for rollup in ROLLUPS:
        conn.execute(delete(rollup.table))
    _apply(conn, _difference(_empty(), _everything(conn)))


def record_new_cases(conn: Connection, ids: Iterable[int]) -> None:
    """Add cases inserted without the ORM (bulk ``INSERT``) to the rollups, in their transaction.

    New records only add: each contribution's grouped statement is run as one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (``ON DUPLICATE KEY UPDATE``), so the database
    adds a whole chunk's figures without a row coming back to Python.
    """
    source = _SOURCE_OF[Case]
    wanted = sorted(set(ids))
    if not wanted:
        return
    runs: list[tuple[list[Contribution], dict[str, Any]]]
    if wanted[-1] - wanted[0] + 1 == len(wanted):
        runs = [(_by_id_range(source), {"low": wanted[0], "high": wanted[-1]})]
    else:
        runs = [
            (_by_id_list(source), {"ids": wanted[k : k + ID_CHUNK]})
            for k in range(0, len(wanted), ID_CHUNK)
        ]
    for contributions, params in runs:
        for c in contributions:
            conn.execute(_adding(c, conn.dialect.name), params)


@cache
def _adding(c: Contribution, dialect: str) -> Any:
    """``c``'s statement as an upsert that adds its measures to the rollup rows."""
    rollup, table = c.rollup, c.rollup.table
    chosen = {m: i for i, m in enumerate(c.measures)}
    width = len(rollup.keys)
    columns = list(c.stmt.selected_columns)
    values: list[Any] = columns[:width] + [
        columns[width + chosen[m]] if m in chosen else literal(0) for m in rollup.measures
    ]
    source = c.stmt.with_only_columns(*values, maintain_column_froms=True)
    names = [*rollup.keys, *rollup.measures]
    if dialect == "mysql":
        ins = mysql.insert(table).from_select(names, source)
        return ins.on_duplicate_key_update({m: table.c[m] + ins.inserted[m] for m in c.measures})
    ins_ = (
        (postgresql if dialect == "postgresql" else sqlite).insert(table).from_select(names, source)
    )
    return ins_.on_conflict_do_update(
        index_elements=list(rollup.keys),
        set_={m: table.c[m] + ins_.excluded[m] for m in c.measures},
    )


def forget_cases(conn: Connection, ids: Iterable[int]) -> None:
    """Take cases about to be deleted without the ORM (bulk ``DELETE``) out of the rollups."""
    _apply(conn, _difference(_for_ids(conn, _SOURCE_OF[Case], ids), _empty()))


def drift(conn: Connection) -> dict[str, Counts]:
    """Per rollup table, the rows that differ from a fresh computation; empty if all exact."""
    fresh = _everything(conn)
    stored = _empty()
    for rollup in ROLLUPS:
        columns = [rollup.table.c[name] for name in (*rollup.keys, *rollup.measures)]
        width = len(rollup.keys)
        for row in conn.execute(select(*columns)):
            stored[rollup][rollup.key_of(row[:width])] = [int(v) for v in row[width:]]
    delta = _difference(stored, fresh)
    return {rollup.table.name: rows for rollup, rows in delta.items() if rows}


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
        if source and obj.id is not None and _figures_changed(obj, source):
            stored[source].append(obj.id)
    for obj in session.deleted:
        source = _SOURCE_OF.get(type(obj))
        if source and obj.id is not None:
            stored[source].append(obj.id)
    for obj in session.dirty:
        if isinstance(obj, GridCell) and inspect(obj).attrs.community_id.history.has_changes():
            # Visits and assistance take their 社区 from their cell: they move with it.
            for source in (_SOURCE_OF[Visit], _SOURCE_OF[Assistance]):
                cell_of = source.model.__table__.c.grid_cell_id
                moved = session.connection().scalars(
                    select(source.model.__table__.c.id).where(cell_of == obj.id)
                )
                stored[source].extend(moved)
    for obj in (*session.new, *session.dirty, *session.deleted):
        # A case linked to (or unlinked from) a 接待日 session moves in kpi_reception; a case
        # that is new in this flush has no id yet and is counted with the new cases.
        if isinstance(obj, ReceptionConcern) and obj.case_id is not None:
            stored[_SOURCE_OF[Case]].append(obj.case_id)
    new = [obj for obj in session.new if type(obj) in _SOURCE_OF]
    if not stored and not new:
        return
    before = _empty()
    for source, ids in stored.items():
        _merge(before, _for_ids(session.connection(), source, ids), +1)
    session.info[_PENDING] = (dict(stored), new, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Add what the flushed records add now, minus what they added before, to the rollups."""
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    stored, new, before = pending
    touched: dict[_Source, list[int]] = defaultdict(list)
    for source, ids in stored.items():
        touched[source].extend(ids)
    for obj in new:
        if obj.id is not None:
            touched[_SOURCE_OF[type(obj)]].append(obj.id)
    conn = session.connection()
    after = _empty()
    for source, ids in touched.items():
        _merge(after, _for_ids(conn, source, ids), +1)
    _apply(conn, _difference(before, after))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
