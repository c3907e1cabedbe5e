"""台账导入: read a ledger, preview it, import its good rows in chunks — idempotently.

Reading: .xlsx/.xls/.ods/.csv through ``services.tabular`` (every sheet; instruction sheets
skipped; a one- or two-level header anywhere near the top).
Parsing and every rule about values lives in ``domain.ledger_import``; the preview (what an
import would do) and the history of import runs are read in ``db.queries.imports``.

Importing: each chunk of rows is one transaction that allocates gap-free case numbers with
the intake allocator (``services.cases``), inserts the cases, one ``import`` event each and one
``import_rows`` fingerprint each, then commits. A crash midway leaves whole chunks only; a
re-run skips every fingerprint already stored, so importing a file twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, CaseEvent, GridCell, ImportRow
from db.queries.access import REFUSED, refusal
from db.queries.imports import ImportPreview, imported_fingerprints
from db.rollups import record_new_cases
from db.search_index import queue_cases
from domain.deadlines import (
    ClockRules,
    compute_deadline,
    default_promised_date,
    end_of,
    is_overdue,
    response_due,
)
from domain.deadlines import handling_working_days as working_days
from domain.errors import OutOfScope
from domain.ledger_import import LedgerFile, ParsedRow, header_rows
from domain.roles import Actor, PageKey, can_open
from domain.workflow import (
    CHANNEL_LABELS,
    FINISHED_STATUSES,
    HANDLING_LABELS,
    STATUS_LABELS,
    Action,
    CaseStatus,
    HandlingType,
    Level,
    is_open,
    next_status,
)
from services.case_events import record_audit
from services.case_numbers import allocate_case_seqs, case_number, ensure_counter_row
from services.cases import PermissionDenied
from services.tabular import TableFileError, read_sheets

CASES = cast(Table, Case.__table__)
EVENTS = cast(Table, CaseEvent.__table__)
IMPORT_ROWS = cast(Table, ImportRow.__table__)
"""Core tables: the import inserts with plain executemany, past the ORM (and its hooks)."""

CHUNK_SIZE = 1000
"""Rows per transaction: well under a second of holding the number counter (intake waits at most
that), few commits, and a chunk's cases share their rollup rows (one upsert per day and cell)."""


class LedgerFileError(TableFileError):
    """A file that cannot be read as a ledger; the message is Chinese."""


# ---------------------------------------------------------------------------------------------
# Reading files

INSTRUCTION_SHEETS = ("填表说明", "说明", "填报说明", "使用说明", "模板说明", "字段说明")
"""Sheet names that hold instructions, never rows."""


def _ledger_of(rows: list[list[object]], source: str) -> LedgerFile | None:
    found = header_rows(rows)
    if found is None:
        return None
    index, headers = found
    return LedgerFile(
        source_name=source,
        header_row=index + 1,
        headers=headers,
        rows=[(number, row) for number, row in enumerate(rows, start=1) if number > index + 1],
    )


def read_ledgers(data: bytes, filename: str) -> list[LedgerFile]:
    """Every sheet of an uploaded ledger that has a header row; instruction sheets are skipped.

    .xlsx/.xls/.ods through calamine, .csv in UTF-8 or GBK (``services.tabular``). A workbook
    of several sheets names each ledger 「文件 · 工作表」.
    """
    try:
        sheets = read_sheets(data, filename)
    except TableFileError as exc:
        raise LedgerFileError(str(exc)) from exc
    several = len(sheets) > 1
    ledgers = []
    for name, rows in sheets:
        if several and any(word in name for word in INSTRUCTION_SHEETS):
            continue
        ledger = _ledger_of(rows, f"{filename} · {name}" if several else filename)
        if ledger is not None:
            ledger.sheet = name
            ledgers.append(ledger)
    if not ledgers:
        raise LedgerFileError(
            "没有找到表头：各工作表前 20 行中都没有一行包含「受理时间」「诉求内容」等列名"
        )
    return ledgers


def read_ledger(data: bytes, filename: str) -> LedgerFile:
    """The first ledger sheet of an uploaded file (see ``read_ledgers``)."""
    return read_ledgers(data, filename)[0]


# ---------------------------------------------------------------------------------------------
# Import

Progress = Callable[[int, int], None]
"""Called after every committed chunk with (rows done, rows in all)."""


@dataclass
class ImportOutcome:
    """What an import run did: its batch id, cases created, rows skipped as already imported."""

    batch: str
    imported: int = 0
    skipped: int = 0
    case_numbers: list[str] = field(default_factory=list)


def row_deadline(row: ParsedRow, *, rules: ClockRules) -> tuple[dt.datetime, dt.date | None]:
    """The 办结期限 and 承诺日期 of the case a ledger row becomes.

    The ledger's own 限办/承诺 date when given, else the standard limit on that year's calendar.
    """
    accepted = row.accepted_at
    promised: dt.date | None = None
    if row.handling_type is HandlingType.PROMISED:
        promised = row.deadline or default_promised_date(accepted, rules=rules)
    deadline = (
        end_of(row.deadline)
        if row.deadline is not None
        else compute_deadline(row.handling_type, accepted, promised_date=promised, rules=rules)
    )
    return deadline, promised


def overdue_at_once(
    rows: Sequence[ParsedRow], *, now: dt.datetime, rules: ClockRules | None = None
) -> int:
    """How many of ``rows`` would be 逾期 the moment they are imported (open, deadline passed)."""
    rules = rules or ClockRules()
    return sum(is_overdue(r.status, row_deadline(r, rules=rules)[0], now) for r in rows)


@dataclass(frozen=True)
class OpenRows:
    """What the clerk chose for the ledger's open rows before importing."""

    assignee_id: int | None = None
    """Whose queue they go to (None: nobody's, not the importing clerk's)."""
    archive_overdue: bool = False
    """Archive those already past their deadline as 历史未结 instead of live 逾期 cases."""


ARCHIVE_NOTE = "历史未结：导入时已过办结期限，按导入人的选择归档"


def case_values(
    row: ParsedRow,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    community_id: int,
    open_rows: OpenRows = OpenRows(),
) -> dict[str, Any]:
    """The columns of the case a ledger row becomes (historical times as in the file).

    An open row goes to ``open_rows.assignee_id``, not to the importing clerk (an old ledger's
    open rows are not the clerk's work); one already overdue is 历史未结 if the clerk chose so,
    through the state machine's 归档为历史未结.
    """
    accepted = row.accepted_at
    deadline, promised = row_deadline(row, rules=rules)
    finished = row.finished_at
    done = row.status in FINISHED_STATUSES
    status = row.status
    if open_rows.archive_overdue and is_overdue(status, deadline, now):
        status = next_status(status, Action.ARCHIVE_HISTORICAL).to_status
    return {
        "channel": row.channel.value,
        "category_id": row.category_id,
        "handling_type": row.handling_type.value,
        "status": status.value,
        "is_urgent": False,
        "community_id": community_id,
        "grid_cell_id": row.grid_cell_id,
        "description": row.description,
        "reporter_name": row.reporter_name,
        "reporter_phone": row.reporter_phone,
        "is_anonymous": row.is_anonymous,
        "first_handler_id": actor.user_id,
        "assignee_id": open_rows.assignee_id if is_open(row.status) else actor.user_id,
        "accepted_at": accepted,
        "deadline_at": deadline,
        "promised_date": promised,
        "response_due_at": response_due(accepted, rules=rules),
        # Finishing is a handling action: it is the first response when nothing else is known.
        "first_response_at": finished if done else None,
        "finished_at": finished if done else None,
        "handling_working_days": working_days(accepted, finished) if done and finished else None,
        "resolved_level": Level.COMMUNITY.value if done else None,
        "result": row.result if row.status is not CaseStatus.RETURNED else None,
        "return_reason": row.result if row.status is CaseStatus.RETURNED else None,
        "notified_at": row.finished_at if row.status is CaseStatus.NOTIFIED else None,
        "followed_up_at": row.followed_up_at,
        "satisfaction": row.satisfaction.value if row.satisfaction is not None else None,
        "is_repeat": False,
        "version": 1,
        "updated_at": now,
    }


def _insert_cases(session: Session, values: list[dict[str, Any]]) -> list[int]:
    """Insert cases with one executemany and return their ids in order.

    The ids are read back by case number (unique, indexed): one SELECT per chunk, the same on
    every backend, instead of ``INSERT … RETURNING`` row batches (slow on SQLite, one statement
    per row where the driver cannot sort returned rows).
    """
    conn = session.connection()
    conn.execute(insert(CASES), values)
    numbers = [v["case_no"] for v in values]
    found: dict[str, int] = {}
    for start in range(0, len(numbers), 500):
        part = numbers[start : start + 500]
        stmt = select(Case.case_no, Case.id).where(Case.case_no.in_(part))
        found.update(conn.execute(stmt).tuples().all())
    return [found[n] for n in numbers]


def _numbers(session: Session, years: Sequence[int]) -> list[str]:
    """Case numbers for rows accepted in ``years``, in row order: one block per year."""
    blocks = {
        year: iter(allocate_case_seqs(session, year, years.count(year)))
        for year in sorted(set(years))
    }
    return [case_number(year, next(blocks[year])) for year in years]


def _event_data(row: ParsedRow, case_no: str, source: str, batch: str) -> str:
    data: dict[str, Any] = {
        "case_no": case_no,
        "source": source,
        "row": row.row_number,
        "batch": batch,
    }
    if row.source_no:
        data["source_no"] = row.source_no
    if row.original:
        data["original"] = row.original
    if row.warnings:
        data["warnings"] = list(row.warnings)
    if row.note:
        data["ledger_note"] = row.note
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


ChunkDone = Callable[[Session, int, int], None]
"""Called inside a chunk's transaction, just before its commit, with (cases made, rows skipped):
the import job advances its progress there (and may raise to roll the chunk back)."""


def import_chunk(
    session: Session,
    rows: Sequence[ParsedRow],
    *,
    source: str,
    batch: str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    communities: dict[int, int],
    open_rows: OpenRows,
    before_commit: ChunkDone | None = None,
) -> tuple[list[str], int]:
    """One transaction: the chunk's new rows become cases, events and fingerprints; commit.

    Numbers are reserved for the whole chunk at once (one counter UPDATE per year), the rows go
    in with one executemany per table, and the rollups add the chunk in one statement each.
    """
    for year in sorted({r.accepted_at.year for r in rows}):
        ensure_counter_row(session, year)  # commits on its own, before the numbering starts
    try:
        existing = imported_fingerprints(session, [r.fingerprint for r in rows])
        fresh = [r for r in rows if r.fingerprint not in existing]
        numbers = _numbers(session, [r.accepted_at.year for r in fresh])
        values = [
            {
                **case_values(
                    r,
                    actor=actor,
                    now=now,
                    rules=rules,
                    community_id=communities[r.grid_cell_id],
                    open_rows=open_rows,
                ),
                "case_no": number,
            }
            for r, number in zip(fresh, numbers, strict=True)
        ]
        ids = _insert_cases(session, values) if values else []
        if ids:
            record_new_cases(session.connection(), ids)  # bulk INSERT: past the ORM's write hook
            queue_cases(session.connection(), ids)  # indexed for search by catch_up
            session.connection().execute(
                insert(EVENTS),
                [
                    {
                        "case_id": case_id,
                        "actor_id": actor.user_id,
                        "at": now,
                        "action": Action.IMPORT.value,
                        "from_status": None,
                        "to_status": r.status.value,
                        "note": f"自台账「{source}」第 {r.row_number} 行导入",
                        "data": _event_data(r, number, source, batch),
                    }
                    for r, number, case_id in zip(fresh, numbers, ids, strict=True)
                ],
            )
            archived = [
                {
                    "case_id": case_id,
                    "actor_id": actor.user_id,
                    "at": now,
                    "action": Action.ARCHIVE_HISTORICAL.value,
                    "from_status": r.status.value,
                    "to_status": v["status"],
                    "note": ARCHIVE_NOTE,
                }
                for r, v, case_id in zip(fresh, values, ids, strict=True)
                if v["status"] != r.status.value
            ]
            if archived:
                session.connection().execute(insert(EVENTS), archived)
            session.connection().execute(
                insert(IMPORT_ROWS),
                [
                    {
                        "fingerprint": r.fingerprint,
                        "case_id": case_id,
                        "batch": batch,
                        "source_name": source[:200],
                        "row_number": r.row_number,
                        "imported_at": now,
                        "imported_by_id": actor.user_id,
                    }
                    for r, case_id in zip(fresh, ids, strict=True)
                ],
            )
        if before_commit is not None:
            before_commit(session, len(fresh), len(rows) - len(fresh))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return numbers, len(rows) - len(fresh)


def check_scope(
    session: Session,
    rows: Sequence[ParsedRow],
    *,
    actor: Actor,
    communities: dict[int, int],
    source: str,
    now: dt.datetime,
) -> None:
    """Refuse (``OutOfScope``, recorded) an import with a row outside the actor's 社区 or cells."""
    for row in rows:
        cell = row.grid_cell_id
        reason = refusal(actor, community_id=communities[cell], grid_cell_id=cell)
        if reason is not None:
            detail = f"试图导入范围外的记录（第 {row.row_number} 行）：{reason}"
            record_audit(session, actor, REFUSED, source, detail, now)
            raise OutOfScope(f"第 {row.row_number} 行属于其他社区，只能导入本社区的记录", source)


def run_import(
    sessions: sessionmaker[Session],
    *,
    rows: Sequence[ParsedRow],
    source_name: str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules | None = None,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Progress | None = None,
    open_rows: OpenRows = OpenRows(),
) -> ImportOutcome:
    """Import ``rows`` (a preview's ``new_rows``) chunk by chunk, each chunk its own transaction.

    ``open_rows``: the clerk's choice for open rows (whose queue; overdue ones 历史未结 or not).

    Rows whose fingerprint is already stored are skipped, so a re-run after an interruption
    (or a second import of the same file) only adds what is missing. ``on_progress`` runs
    after each commit; an exception it raises stops the import with the chunks done kept.
    """
    if not can_open(actor.role, PageKey.IMPORT):
        raise PermissionDenied("您的角色不能导入台账")
    rules = rules or ClockRules()
    outcome = ImportOutcome(batch=f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}")
    with sessions() as session:
        communities = dict(
            session.execute(select(GridCell.id, GridCell.community_id)).tuples().all()
        )
        check_scope(
            session, rows, actor=actor, communities=communities, source=source_name, now=now
        )
    total = len(rows)
    for start in range(0, total, chunk_size):
        chunk = rows[start : start + chunk_size]
        for attempt in range(2):
            with sessions() as session:
                try:
                    numbers, skipped = import_chunk(
                        session,
                        chunk,
                        source=source_name,
                        batch=outcome.batch,
                        actor=actor,
                        now=now,
                        rules=rules,
                        communities=communities,
                        open_rows=open_rows,
                    )
                    break
                except IntegrityError:
                    # Someone imported the same rows at the same moment: re-check once.
                    if attempt:
                        raise
        outcome.imported += len(numbers)
        outcome.skipped += skipped
        outcome.case_numbers.extend(numbers)
        if on_progress is not None:
            on_progress(min(start + chunk_size, total), total)
    return outcome


def preview_tables(preview: ImportPreview) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(good rows, refused rows) as lists of {Chinese header: value} for the page's tables."""
    good = [
        {
            "行号": r.row_number,
            "受理时间": r.accepted_at.strftime("%Y-%m-%d %H:%M"),
            "状态": STATUS_LABELS[r.status],
            "五件制": HANDLING_LABELS[r.handling_type],
            "渠道": CHANNEL_LABELS[r.channel],
            "诉求内容": r.description[:60],
            "提示": "；".join(r.warnings),
        }
        for r in preview.new_rows
    ]
    refused = [
        {
            "行号": r.row_number,
            "原因": r.reason,
            "内容": "，".join(f"{k}:{v}" for k, v in r.values.items()),
        }
        for r in preview.refused
    ]
    return good, refused
