"""民情台账 and 我的待办: filtered, sorted, server-side paged case lists and their exports.

Every list reads one indexed page of ``cases`` (never the whole table) and resolves names for
that page only. Personal data is masked unless the actor may see it; grid workers only ever
see cases of their own cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from db.models import Case, Category, GridCell, User
from domain.deadlines import ClockRules, due_soon_cutoff, is_due_soon, is_overdue
from domain.roles import Actor, Role
from domain.validation import mask_name, mask_phone
from domain.workflow import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    STATUS_LABELS,
    CaseStatus,
    Channel,
    HandlingType,
)

CASE_NO = re.compile(r"^MQ-\d{4}-\d{6}$")
PAGE_SIZE = 50
TEXT_COUNT_CAP = 1000
"""A free-text search counts its matches up to this many (see ``ledger_page``)."""
EXPORT_LIMIT = 50_000
MAX_TEXT = 50
RUNNING_STATUSES = tuple(sorted(s.value for s in OPEN_STATUSES - PAUSED_STATUSES))
"""Open cases whose clock runs: the only ones that can be overdue or due soon."""


@dataclass(frozen=True)
class LedgerFilters:
    """What the ledger is narrowed to; empty tuples and None mean 'any'."""

    statuses: tuple[str, ...] = ()
    overdue: bool = False
    due_soon: bool = False
    grid_cell_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    handling_types: tuple[str, ...] = ()
    assignee_id: int | None = None
    accepted_from: dt.date | None = None
    accepted_to: dt.date | None = None
    text: str = ""


class LedgerSort(StrEnum):
    """Server-side sort orders the ledger offers (each backed by an index)."""

    ACCEPTED_DESC = "accepted_desc"
    ACCEPTED_ASC = "accepted_asc"
    DEADLINE_ASC = "deadline_asc"
    DEADLINE_DESC = "deadline_desc"
    CASE_NO_DESC = "case_no_desc"
    CASE_NO_ASC = "case_no_asc"

    @property
    def label(self) -> str:
        return SORT_LABELS[self]


SORT_LABELS: dict[LedgerSort, str] = {
    LedgerSort.ACCEPTED_DESC: "受理时间（新→旧）",
    LedgerSort.ACCEPTED_ASC: "受理时间（旧→新）",
    LedgerSort.DEADLINE_ASC: "办结期限（近→远）",
    LedgerSort.DEADLINE_DESC: "办结期限（远→近）",
    LedgerSort.CASE_NO_DESC: "案件编号（大→小）",
    LedgerSort.CASE_NO_ASC: "案件编号（小→大）",
}

_ORDER: dict[LedgerSort, tuple[ColumnElement[Any], ...]] = {
    LedgerSort.ACCEPTED_DESC: (Case.accepted_at.desc(), Case.id.desc()),
    LedgerSort.ACCEPTED_ASC: (Case.accepted_at.asc(), Case.id.asc()),
    LedgerSort.DEADLINE_ASC: (Case.deadline_at.asc(), Case.id.asc()),
    LedgerSort.DEADLINE_DESC: (Case.deadline_at.desc(), Case.id.desc()),
    LedgerSort.CASE_NO_DESC: (Case.case_no.desc(),),
    LedgerSort.CASE_NO_ASC: (Case.case_no.asc(),),
}


@dataclass(frozen=True)
class LedgerRow:
    """One ledger line, ready to show or export (masked per actor)."""

    id: int
    case_no: str
    version: int
    accepted_at: dt.datetime
    status: str
    status_label: str
    handling_label: str
    channel_label: str
    category: str
    grid_cell: str
    reporter_name: str
    reporter_phone: str
    description: str
    assignee: str
    deadline_at: dt.datetime | None
    is_overdue: bool
    is_due_soon: bool
    is_repeat: bool
    is_urgent: bool

    @property
    def marker(self) -> str:
        """「逾期」/「临期」/ empty: the flag the ledger highlights."""
        if self.is_overdue:
            return "逾期"
        if self.is_due_soon:
            return "临期"
        return ""


def _fmt_time(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


# (Chinese header, value of a row, column width in characters) — shared by screen and exports.
LEDGER_COLUMNS: tuple[tuple[str, Callable[[LedgerRow], Any], int], ...] = (
    ("案件编号", lambda r: r.case_no, 16),
    ("提示", lambda r: r.marker, 6),
    ("状态", lambda r: r.status_label, 8),
    ("受理时间", lambda r: _fmt_time(r.accepted_at), 17),
    ("办结期限", lambda r: _fmt_time(r.deadline_at), 17),
    ("五件制", lambda r: r.handling_label, 8),
    ("渠道", lambda r: r.channel_label, 11),
    ("类别", lambda r: r.category, 10),
    ("网格", lambda r: r.grid_cell, 14),
    ("反映人", lambda r: r.reporter_name, 10),
    ("联系电话", lambda r: r.reporter_phone, 14),
    ("诉求内容", lambda r: r.description, 60),
    ("承办人", lambda r: r.assignee, 12),
    ("重信", lambda r: "是" if r.is_repeat else "", 5),
    ("紧急", lambda r: "是" if r.is_urgent else "", 5),
)
LEDGER_HEADERS: tuple[str, ...] = tuple(h for h, _, _ in LEDGER_COLUMNS)


def row_record(row: LedgerRow) -> dict[str, Any]:
    """A row as {Chinese header: value}, the shape pages and exports use."""
    return {header: getter(row) for header, getter, _ in LEDGER_COLUMNS}


def _scope(actor: Actor) -> list[ColumnElement[bool]]:
    if actor.grid_cell_ids is None:
        return []
    if not actor.grid_cell_ids:
        return [false()]
    return [Case.grid_cell_id.in_(sorted(actor.grid_cell_ids))]


def _walk_accepted_index(filters: LedgerFilters, sort: LedgerSort | str, actor: Actor) -> bool:
    """True when 逾期 is the only broad filter and the page is sorted by acceptance time.

    Overdue cases can be a tenth of the table; with ``status IN (…) AND deadline_at < now``
    indexable, SQLite fetches and sorts all of them (350 ms at 1M cases) instead of walking the
    acceptance-time index until it has a page (1 ms). Wrapping the two columns in COALESCE for
    the page query (not the count) leaves the planner only that walk; it is plain SQL everywhere.
    """
    narrow = (
        filters.grid_cell_ids
        or filters.category_ids
        or filters.channels
        or filters.assignee_id is not None
        or filters.text.strip()
        or filters.due_soon
        or actor.grid_cell_ids is not None
    )
    accepted = LedgerSort(sort) in (LedgerSort.ACCEPTED_DESC, LedgerSort.ACCEPTED_ASC)
    return filters.overdue and accepted and not narrow


def _conditions(
    filters: LedgerFilters,
    *,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules,
    walk: bool = False,
) -> list[ColumnElement[bool]]:
    where = _scope(actor)
    if filters.statuses:
        where.append(Case.status.in_([CaseStatus(s).value for s in filters.statuses]))
    if filters.overdue and walk:
        where += [
            func.coalesce(Case.status, "").in_(RUNNING_STATUSES),
            func.coalesce(Case.deadline_at, now) < now,
        ]
    elif filters.overdue:
        where += [Case.status.in_(RUNNING_STATUSES), Case.deadline_at < now]
    if filters.due_soon:
        where += [
            Case.status.in_(RUNNING_STATUSES),
            Case.deadline_at >= now,
            Case.deadline_at <= due_soon_cutoff(now, rules=rules),
        ]
    if filters.grid_cell_ids:
        where.append(Case.grid_cell_id.in_(filters.grid_cell_ids))
    if filters.category_ids:
        where.append(Case.category_id.in_(filters.category_ids))
    if filters.channels:
        where.append(Case.channel.in_([Channel(c).value for c in filters.channels]))
    if filters.handling_types:
        where.append(
            Case.handling_type.in_([HandlingType(h).value for h in filters.handling_types])
        )
    if filters.assignee_id is not None:
        where.append(Case.assignee_id == filters.assignee_id)
    if filters.accepted_from is not None:
        where.append(Case.accepted_at >= dt.datetime.combine(filters.accepted_from, dt.time()))
    if filters.accepted_to is not None:
        day_after = filters.accepted_to + dt.timedelta(days=1)
        where.append(Case.accepted_at < dt.datetime.combine(day_after, dt.time()))
    text = filters.text.strip()[:MAX_TEXT]
    if text:
        where.append(_text_condition(text, actor))
    return where


_CJK = re.compile(r"[\u3400-\u9fff]")


def _text_condition(text: str, actor: Actor) -> ColumnElement[bool]:
    """Free text over case number, description and (if the actor may see them) name and phone.

    Only columns that can hold the term are searched: Chinese text is never in a phone
    number or a case number, so each extra LIKE scan is skipped when it cannot match.
    """
    upper = text.upper()
    if CASE_NO.match(upper):
        return Case.case_no == upper  # a full case number: one index probe
    personal = actor.sees_personal_data
    options = [Case.description.contains(text, autoescape=True)]
    if _CJK.search(text):
        if personal:
            options.append(Case.reporter_name.contains(text, autoescape=True))
    else:
        options.append(Case.case_no.contains(upper, autoescape=True))
        if personal:
            options.append(Case.reporter_phone.contains(text, autoescape=True))
            options.append(Case.reporter_name.contains(text, autoescape=True))
    return or_(*options)


def _pairs(session: Session, query: Select[tuple[int, str]]) -> dict[int, str]:
    return {key: value for key, value in session.execute(query).tuples()}


def _lookups(session: Session, cases: Sequence[Case]) -> tuple[dict[int, str], ...]:
    """Names for the categories, cells and users on one page (three small IN queries)."""
    cat_ids = {c.category_id for c in cases}
    cell_ids = {c.grid_cell_id for c in cases}
    user_ids = {c.assignee_id for c in cases if c.assignee_id is not None}
    cats = _pairs(session, select(Category.id, Category.name).where(Category.id.in_(cat_ids)))
    cells = _pairs(session, select(GridCell.id, GridCell.name).where(GridCell.id.in_(cell_ids)))
    users = _pairs(session, select(User.id, User.display_name).where(User.id.in_(user_ids or {-1})))
    return cats, cells, users


def _to_rows(
    session: Session, cases: Sequence[Case], *, actor: Actor, now: dt.datetime, rules: ClockRules
) -> list[LedgerRow]:
    cats, cells, users = _lookups(session, cases)
    shown = actor.sees_personal_data
    rows = []
    for c in cases:
        if c.is_anonymous and not c.reporter_name:
            name = "匿名"
        else:
            name = (c.reporter_name or "") if shown else mask_name(c.reporter_name)
        rows.append(
            LedgerRow(
                id=c.id,
                case_no=c.case_no,
                version=c.version,
                accepted_at=c.accepted_at,
                status=c.status,
                status_label=STATUS_LABELS[CaseStatus(c.status)],
                handling_label=HANDLING_LABELS[HandlingType(c.handling_type)],
                channel_label=CHANNEL_LABELS[Channel(c.channel)],
                category=cats.get(c.category_id, ""),
                grid_cell=cells.get(c.grid_cell_id, ""),
                reporter_name=name,
                reporter_phone=(c.reporter_phone or "") if shown else mask_phone(c.reporter_phone),
                description=c.description,
                assignee=users.get(c.assignee_id, "") if c.assignee_id else "",
                deadline_at=c.deadline_at,
                is_overdue=is_overdue(c.status, c.deadline_at, now),
                is_due_soon=is_due_soon(c.status, c.deadline_at, now, rules=rules),
                is_repeat=c.is_repeat,
                is_urgent=c.is_urgent,
            )
        )
    return rows


def _ids(
    session: Session,
    where: list[ColumnElement[bool]],
    sort: LedgerSort | str,
    *,
    limit: int,
    offset: int = 0,
) -> list[int]:
    return list(
        session.scalars(
            select(Case.id)
            .where(and_(*where))
            .order_by(*_ORDER[LedgerSort(sort)])
            .limit(limit)
            .offset(offset)
        )
    )


def _load(session: Session, ids: Sequence[int]) -> list[Case]:
    """The cases with ``ids``, in that order."""
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _page_of_cases(
    session: Session,
    where: list[ColumnElement[bool]],
    sort: LedgerSort | str,
    *,
    limit: int,
    offset: int,
) -> list[Case]:
    """One page in two steps: ids from an index scan (cheap to skip), then those rows only."""
    return _load(session, _ids(session, where, sort, limit=limit, offset=offset))


def _is_text_search(filters: LedgerFilters) -> bool:
    text = filters.text.strip()[:MAX_TEXT]
    return bool(text) and not CASE_NO.match(text.upper())


def total_is_capped(filters: LedgerFilters, total: int) -> bool:
    """True when ``total`` from ``ledger_page`` means "more than ``TEXT_COUNT_CAP``"."""
    return _is_text_search(filters) and total > TEXT_COUNT_CAP


def ledger_page(
    session: Session,
    *,
    filters: LedgerFilters,
    sort: LedgerSort | str = LedgerSort.ACCEPTED_DESC,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules | None = None,
) -> tuple[list[LedgerRow], int]:
    """One page of the filtered ledger (1-based ``page``) and the number of matches.

    A free-text search cannot use an index (``LIKE '%词%'``), so it reads the matches once, in
    page order, up to ``TEXT_COUNT_CAP + 1``: the total is exact up to the cap and otherwise
    ``TEXT_COUNT_CAP + 1`` (see ``total_is_capped``); a common word stops the scan early.
    """
    rules = rules or ClockRules()
    where = _conditions(filters, now=now, actor=actor, rules=rules)
    page = max(1, page)
    start = (page - 1) * page_size
    if _is_text_search(filters):
        found = _ids(session, where, sort, limit=TEXT_COUNT_CAP + 1)
        total = len(found)
        if start + page_size <= TEXT_COUNT_CAP:
            ids = found[start : start + page_size]
        else:
            ids = _ids(session, where, sort, limit=page_size, offset=start)
        return _to_rows(session, _load(session, ids), actor=actor, now=now, rules=rules), total
    total = int(session.scalar(select(func.count()).select_from(Case).where(and_(*where))) or 0)
    if _walk_accepted_index(filters, sort, actor):
        where = _conditions(filters, now=now, actor=actor, rules=rules, walk=True)
    cases = _page_of_cases(session, where, sort, limit=page_size, offset=start)
    return _to_rows(session, cases, actor=actor, now=now, rules=rules), total


def _iter_rows(
    session: Session,
    *,
    filters: LedgerFilters,
    sort: LedgerSort | str,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules,
    limit: int,
    batch: int = 1000,
) -> Iterator[LedgerRow]:
    where = _conditions(filters, now=now, actor=actor, rules=rules)
    done = 0
    while done < limit:
        size = min(batch, limit - done)
        cases = _page_of_cases(session, where, sort, limit=size, offset=done)
        yield from _to_rows(session, cases, actor=actor, now=now, rules=rules)
        session.expunge_all()
        done += len(cases)
        if len(cases) < size:
            return


class ExportFormat(StrEnum):
    """File formats of a ledger export."""

    XLSX = "xlsx"
    CSV = "csv"


EXPORT_MIME: dict[ExportFormat, str] = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv",
}


def ledger_export(
    session: Session,
    *,
    filters: LedgerFilters,
    sort: LedgerSort | str = LedgerSort.ACCEPTED_DESC,
    now: dt.datetime,
    actor: Actor,
    fmt: ExportFormat | str = ExportFormat.XLSX,
    rules: ClockRules | None = None,
    limit: int = EXPORT_LIMIT,
) -> bytes:
    """The filtered ledger as .xlsx (frozen Chinese header, widths) or CSV (UTF-8 with BOM)."""
    rows = _iter_rows(
        session,
        filters=filters,
        sort=sort,
        now=now,
        actor=actor,
        rules=rules or ClockRules(),
        limit=limit,
    )
    if ExportFormat(fmt) is ExportFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(LEDGER_HEADERS)
        for row in rows:
            writer.writerow([getter(row) for _, getter, _ in LEDGER_COLUMNS])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "民情台账"
    sheet.append(list(LEDGER_HEADERS))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    for row in rows:
        sheet.append([getter(row) for _, getter, _ in LEDGER_COLUMNS])
    for index, (_, _, width) in enumerate(LEDGER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(fmt: ExportFormat | str, now: dt.datetime) -> str:
    """「民情台账_20261122_1030.xlsx」."""
    return f"民情台账_{now:%Y%m%d_%H%M}.{ExportFormat(fmt).value}"


# ---------------------------------------------------------------------------------------------
# 我的待办


class TodoKind(StrEnum):
    """The lists of 我的待办."""

    MINE = "mine"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return TODO_LABELS[self]


TODO_LABELS: dict[TodoKind, str] = {
    TodoKind.MINE: "我的在办",
    TodoKind.DUE_SOON: "临期（一个工作日内到期）",
    TodoKind.OVERDUE: "已逾期",
    TodoKind.FOLLOW_UP: "待回访",
}


@dataclass(frozen=True)
class TodoCounts:
    """How many cases are in each 我的待办 list."""

    mine: int
    due_soon: int
    overdue: int
    follow_up: int

    def get(self, kind: TodoKind) -> int:
        """The count of one list."""
        return int(getattr(self, kind.value))


def _responsible(actor: Actor) -> ColumnElement[bool]:
    """Cases an actor answers for: assigned to them; for a grid worker also their cells'."""
    mine = Case.assignee_id == actor.user_id
    if actor.role is Role.GRIDWORKER and actor.grid_cell_ids:
        return or_(mine, Case.grid_cell_id.in_(sorted(actor.grid_cell_ids)))
    return mine


def _todo_conditions(
    kind: TodoKind, *, actor: Actor, now: dt.datetime, rules: ClockRules
) -> list[ColumnElement[bool]]:
    where = [*_scope(actor), _responsible(actor)]
    if kind is TodoKind.MINE:
        where.append(Case.status.in_(sorted(s.value for s in OPEN_STATUSES)))
    elif kind is TodoKind.DUE_SOON:
        where += [
            Case.status.in_(RUNNING_STATUSES),
            Case.deadline_at >= now,
            Case.deadline_at <= due_soon_cutoff(now, rules=rules),
        ]
    elif kind is TodoKind.OVERDUE:
        where += [Case.status.in_(RUNNING_STATUSES), Case.deadline_at < now]
    else:
        where.append(Case.status == CaseStatus.NOTIFIED.value)
    return where


def todo_counts(
    session: Session, *, actor: Actor, now: dt.datetime, rules: ClockRules
) -> TodoCounts:
    """The four 我的待办 counts (for the sidebar badge and the page's headline)."""
    counts = {
        kind.value: int(
            session.scalar(
                select(func.count())
                .select_from(Case)
                .where(*_todo_conditions(kind, actor=actor, now=now, rules=rules))
            )
            or 0
        )
        for kind in TodoKind
    }
    return TodoCounts(**counts)


def todo_list(
    session: Session,
    *,
    kind: TodoKind | str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    limit: int = 200,
) -> list[LedgerRow]:
    """One 我的待办 list, most urgent first (earliest deadline; follow-ups by notification)."""
    which = TodoKind(kind)
    order = (
        (Case.notified_at.asc(), Case.id.asc())
        if which is TodoKind.FOLLOW_UP
        else (Case.deadline_at.asc(), Case.id.asc())
    )
    cases = session.scalars(
        select(Case)
        .where(*_todo_conditions(which, actor=actor, now=now, rules=rules))
        .order_by(*order)
        .limit(limit)
    ).all()
    return _to_rows(session, cases, actor=actor, now=now, rules=rules)


def todo_lists(
    session: Session, *, actor: Actor, now: dt.datetime, rules: ClockRules, limit: int = 200
) -> dict[TodoKind, list[LedgerRow]]:
    """Every 我的待办 list, keyed by kind."""
    return {
        kind: todo_list(session, kind=kind, actor=actor, now=now, rules=rules, limit=limit)
        for kind in TodoKind
    }
