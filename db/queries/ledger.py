"""民情台账: the filtered, sorted, server-side paged case list, and the rows of its exports.

Every list reads one indexed page of ``cases`` (never the whole table) and resolves names for
that page only. Personal data is masked; grid workers only ever see cases of their own cells.
The state groups (open, clock running, overdue, due soon) are ``db.queries.predicates``'.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from db import search_index
from db.models import Case, Category, GridCell, Household, User
from db.queries.access import community_filters
from db.queries.predicates import RUNNING_CODES, due_between, overdue_at
from domain.anonymise import mask_free_text
from domain.deadlines import ClockRules, due_soon_cutoff, is_due_soon, is_overdue
from domain.ledger_text import halfwidth_alnum, to_simplified
from domain.roles import Actor
from domain.validation import mask_phone, reporter_label
from domain.workflow import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
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
    external_no: str = ""
    """上级工单号 of a case forwarded from 12345 or the 街道 (上级转办); empty otherwise."""

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
    # Last, so that the columns of earlier exports keep their letters.
    ("上级工单号", lambda r: r.external_no, 20),
)
LEDGER_HEADERS: tuple[str, ...] = tuple(h for h, _, _ in LEDGER_COLUMNS)


def row_record(row: LedgerRow) -> dict[str, Any]:
    """A row as {Chinese header: value}, the shape pages and exports use."""
    return {header: getter(row) for header, getter, _ in LEDGER_COLUMNS}


def actor_scope(actor: Actor, *, walk: bool = False) -> list[ColumnElement[bool]]:
    """The actor's 社区 (``db.queries.access``); a grid worker their own cells (``walk``: see ``_walks``)."""
    unit = community_filters(actor, Case.community_id)
    if actor.grid_cell_ids is None:
        return unit
    if not actor.grid_cell_ids:
        return [false()]
    cells = sorted(actor.grid_cell_ids)
    return [*unit, _match(Case.grid_cell_id, cells, walk=walk and len(cells) > 1, blank=-1)]


def _match(column: Any, values: Sequence[Any], *, walk: bool, blank: Any) -> ColumnElement[bool]:
    """``column = v`` for one value (SQLite orders by an index only then), else ``IN``.

    With ``walk`` the column is wrapped in COALESCE so that no index on it can be chosen.
    """
    target = func.coalesce(column, blank) if walk else column
    values = list(values)
    return target == values[0] if len(values) == 1 else target.in_(values)


def _walks(filters: LedgerFilters, sort: LedgerSort | str) -> bool:
    """True when a page in acceptance order should walk the acceptance-time index.

    SQLite keeps no statistics unless someone runs ANALYZE; without them it answers
    ``status = 'archived' ORDER BY accepted_at DESC LIMIT 50`` (or 逾期, or a grid worker's
    three cells) by fetching every matching case through the filter's index and sorting them:
    0.35–2 s at 1M cases. Walking ``ix_cases_kpi_accepted`` (which also holds status and handling
    type) from the newest case and stopping after one page takes 1–10 ms. So for the page
    query (never the count) the broad filters are wrapped in COALESCE, which leaves the planner
    only that walk, or a single-value index on cell, category or channel whose second column
    is ``accepted_at``. Plain SQL, the same on every backend; 临期 (a small set) is not wrapped.
    """
    accepted = LedgerSort(sort) in (LedgerSort.ACCEPTED_DESC, LedgerSort.ACCEPTED_ASC)
    return accepted and not filters.due_soon


def _conditions(
    filters: LedgerFilters,
    *,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules,
    walk: bool = False,
    session: Session | None = None,
) -> list[ColumnElement[bool]]:
    where = actor_scope(actor, walk=walk)
    if filters.statuses:
        statuses = [CaseStatus(s).value for s in filters.statuses]
        where.append(_match(Case.status, statuses, walk=walk, blank=""))
    if filters.overdue and walk:
        # overdue_at(now), with both columns wrapped so that only the acceptance walk is left.
        running = _match(Case.status, RUNNING_CODES, walk=True, blank="")
        where += [running, func.coalesce(Case.deadline_at, now) < now]
    elif filters.overdue:
        where.append(overdue_at(now))
    if filters.due_soon:
        where.append(due_between(now, due_soon_cutoff(now, rules=rules)))
    for column, values, blank in (
        (Case.grid_cell_id, filters.grid_cell_ids, -1),
        (Case.category_id, filters.category_ids, -1),
        (Case.channel, [Channel(c).value for c in filters.channels], ""),
    ):
        if values:
            where.append(_match(column, values, walk=walk and len(values) > 1, blank=blank))
    if filters.handling_types:
        kinds = [HandlingType(h).value for h in filters.handling_types]
        where.append(_match(Case.handling_type, kinds, walk=walk, blank=""))
    if filters.assignee_id is not None:
        where.append(_match(Case.assignee_id, [filters.assignee_id], walk=walk, blank=0))
    if filters.accepted_from is not None:
        where.append(Case.accepted_at >= dt.datetime.combine(filters.accepted_from, dt.time()))
    if filters.accepted_to is not None:
        day_after = filters.accepted_to + dt.timedelta(days=1)
        where.append(Case.accepted_at < dt.datetime.combine(day_after, dt.time()))
    text = filters.text.strip()[:MAX_TEXT]
    if text:
        where.append(_text_condition(text, actor, session))
    return where


_CJK = re.compile(r"[\u3400-\u9fff]")


def search_terms(text: str) -> list[str]:
    """The term as typed and, if it differs, in Simplified characters and half-width digits."""
    plain = to_simplified(halfwidth_alnum(text))
    return [text] if plain == text else [text, plain]


def _text_condition(text: str, actor: Actor, session: Session | None) -> ColumnElement[bool]:
    """Free text over case number, description and (if the actor may see them) name and phone.

    Only columns that can hold the term are searched: Chinese text is never in a phone
    number or a case number, so each extra LIKE scan is skipped when it cannot match. With a
    session the text index (``db.search_index``) narrows the cases the ``LIKE`` reads; the
    result is the same. 繁体 or full-width input also matches its Simplified/half-width form.
    """
    upper = halfwidth_alnum(text).upper()
    if CASE_NO.match(upper):
        return Case.case_no == upper  # a full case number: one index probe
    terms = search_terms(text)
    like = or_(*(_term_condition(term, actor) for term in terms))
    ids = search_index.candidates(session, terms) if session is not None else None
    return like if ids is None else and_(Case.id.in_(ids), like)


def _term_condition(text: str, actor: Actor) -> ColumnElement[bool]:
    upper = text.upper()
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


def _pairs(session: Session, query: Select[int, str]) -> dict[int, str]:
    return {key: value for key, value in session.execute(query).tuples()}


def _lookups(session: Session, cases: Sequence[Case]) -> tuple[dict[int, str], ...]:
    """Names for the categories, cells, users and household heads on one page (small IN queries)."""
    cat_ids = {c.category_id for c in cases}
    cell_ids = {c.grid_cell_id for c in cases}
    user_ids = {c.assignee_id for c in cases if c.assignee_id is not None}
    household_ids = {c.household_id for c in cases if c.household_id is not None}
    cats = _pairs(session, select(Category.id, Category.name).where(Category.id.in_(cat_ids)))
    cells = _pairs(session, select(GridCell.id, GridCell.name).where(GridCell.id.in_(cell_ids)))
    users = _pairs(session, select(User.id, User.display_name).where(User.id.in_(user_ids or {-1})))
    heads = _pairs(
        session,
        select(Household.id, Household.head_name).where(Household.id.in_(household_ids or {-1})),
    )
    return cats, cells, users, heads


def ledger_rows(
    session: Session, cases: Sequence[Case], *, now: dt.datetime, rules: ClockRules
) -> list[LedgerRow]:
    """The rows of already loaded cases (the ledger's and the to-do lists' shape)."""
    cats, cells, users, heads = _lookups(session, cases)
    # Lists and exports always mask residents' names and phones: a full view is only on the
    # case page, on request, and recorded there (services.cases.open_case). So the 诉求内容
    # beside them is masked too, for every role: phones and ID numbers typed into it, and the
    # case's own reporter and household head (issue 16 item 8).
    rows = []
    for c in cases:
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
                reporter_name=reporter_label(c.reporter_name, anonymous=c.is_anonymous),
                reporter_phone=mask_phone(c.reporter_phone),
                description=mask_free_text(
                    c.description, (c.reporter_name, heads.get(c.household_id or -1))
                ),
                assignee=users.get(c.assignee_id, "") if c.assignee_id else "",
                deadline_at=c.deadline_at,
                is_overdue=is_overdue(c.status, c.deadline_at, now),
                is_due_soon=is_due_soon(c.status, c.deadline_at, now, rules=rules),
                is_repeat=c.is_repeat,
                is_urgent=c.is_urgent,
                external_no=c.external_no or "",
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
    return bool(text) and not CASE_NO.match(halfwidth_alnum(text).upper())


def total_is_capped(filters: LedgerFilters, total: int) -> bool:
    """True when ``total`` from ``ledger_page`` means "more than ``TEXT_COUNT_CAP``"."""
    return _is_text_search(filters) and total > TEXT_COUNT_CAP


_SORT_KEYS: dict[LedgerSort, tuple[tuple[Any, ...], bool]] = {
    LedgerSort.ACCEPTED_DESC: ((Case.accepted_at, Case.id), True),
    LedgerSort.ACCEPTED_ASC: ((Case.accepted_at, Case.id), False),
    LedgerSort.DEADLINE_ASC: ((Case.deadline_at, Case.id), False),
    LedgerSort.DEADLINE_DESC: ((Case.deadline_at, Case.id), True),
    LedgerSort.CASE_NO_DESC: ((Case.case_no,), True),
    LedgerSort.CASE_NO_ASC: ((Case.case_no,), False),
}
"""The same orders as ``_ORDER``, as columns to read and sort by in Python (None first)."""


def _text_matches(
    session: Session, where: list[ColumnElement[bool]], sort: LedgerSort | str
) -> list[int] | None:
    """All matching ids in page order if there are at most ``TEXT_COUNT_CAP``, else None.

    One unordered read that stops at ``TEXT_COUNT_CAP + 1`` matches: a sequential scan costs
    what a plain ``COUNT(*) … LIKE`` costs for a rare word and stops early for a common one,
    whereas walking an index in page order would fetch rows out of order (2–3× slower).
    """
    columns, reverse = _SORT_KEYS[LedgerSort(sort)]
    rows = session.execute(
        select(Case.id, *columns).where(and_(*where)).limit(TEXT_COUNT_CAP + 1)
    ).all()
    if len(rows) > TEXT_COUNT_CAP:
        return None

    def key(row: Any) -> tuple[Any, ...]:
        return tuple((value is not None, value) for value in row[1:])

    return [row[0] for row in sorted(rows, key=key, reverse=reverse)]


def _count_conditions(
    filters: LedgerFilters, *, now: dt.datetime, actor: Actor, rules: ClockRules
) -> list[ColumnElement[bool]]:
    """The count's conditions: with a status filter, the channel may not pick the index.

    Without statistics SQLite counts ``status = 'accepted' AND channel = 'hotline'`` through
    the channel index (a fifth of all cases, 0.5–0.9 s at 1M); the status index reads only the
    cases in that status, which is what people filter for (已受理, 办理中, 已上报 …).
    """
    statuses = filters.statuses or filters.overdue or filters.due_soon
    if not (statuses and filters.channels):
        return _conditions(filters, now=now, actor=actor, rules=rules)
    where = _conditions(replace(filters, channels=()), now=now, actor=actor, rules=rules)
    channels = [Channel(c).value for c in filters.channels]
    return [*where, _match(Case.channel, channels, walk=True, blank="")]


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

    A free-text search cannot use an index (``LIKE '%词%'``): it reads at most
    ``TEXT_COUNT_CAP + 1`` matches once; the total is exact up to the cap and otherwise
    ``TEXT_COUNT_CAP + 1`` (see ``total_is_capped``).
    """
    rules = rules or ClockRules()
    walk = _walks(filters, sort)
    walked = _conditions(filters, now=now, actor=actor, rules=rules, walk=walk, session=session)
    page = max(1, page)
    start = (page - 1) * page_size
    if _is_text_search(filters):
        matches = _text_matches(session, walked, sort)
        if matches is None:
            ids = _ids(session, walked, sort, limit=page_size, offset=start)
            total = TEXT_COUNT_CAP + 1
        else:
            ids, total = matches[start : start + page_size], len(matches)
        return ledger_rows(session, _load(session, ids), now=now, rules=rules), total
    where = _count_conditions(filters, now=now, actor=actor, rules=rules)
    total = int(session.scalar(select(func.count()).select_from(Case).where(and_(*where))) or 0)
    cases = _page_of_cases(session, walked, sort, limit=page_size, offset=start)
    return ledger_rows(session, cases, now=now, rules=rules), total


def matching_ids(
    session: Session,
    *,
    filters: LedgerFilters,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules | None = None,
    text_index: bool = True,
) -> list[int]:
    """Every matching case id, ascending; ``text_index=False`` searches by the plain ``LIKE``.

    The reference the text index is checked against (``tests/test_search_index.py``).
    """
    where = _conditions(
        filters,
        now=now,
        actor=actor,
        rules=rules or ClockRules(),
        session=session if text_index else None,
    )
    return list(session.scalars(select(Case.id).where(and_(*where)).order_by(Case.id)))


def export_rows(
    session: Session,
    *,
    filters: LedgerFilters,
    sort: LedgerSort | str = LedgerSort.ACCEPTED_DESC,
    now: dt.datetime,
    actor: Actor,
    rules: ClockRules | None = None,
    limit: int = EXPORT_LIMIT,
    batch: int = 1000,
) -> Iterator[LedgerRow]:
    """The filtered rows in order, for an export: ids in one index read, then ``batch`` at a time.

    A generator: read it while ``session`` is open.
    """
    rules = rules or ClockRules()
    walk = _walks(filters, sort)
    where = _conditions(filters, now=now, actor=actor, rules=rules, walk=walk, session=session)
    ids = _ids(session, where, sort, limit=limit)
    for start in range(0, len(ids), batch):
        cases = _load(session, ids[start : start + batch])
        yield from ledger_rows(session, cases, now=now, rules=rules)
        session.expunge_all()
