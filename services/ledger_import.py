"""台账导入: read an .xlsx/.csv ledger, preview it, import its good rows in chunks — idempotently.

Reading: .xlsx through openpyxl in read-only mode (merged cells take the merged value; the
header row may be anywhere near the top); .csv as UTF-8 with or without BOM, else GBK/GB18030.
Parsing and every rule about values lives in ``domain.ledger_import``; the preview (what an
import would do) and the history of import runs are read in ``db.queries.imports``.

Importing: each chunk of rows is one transaction that allocates gap-free case numbers with
the intake allocator (``services.cases``), inserts the cases, one ``import`` event each and one
``import_rows`` fingerprint each, then commits. A crash midway leaves whole chunks only; a
re-run skips every fingerprint already stored, so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, CaseEvent, GridCell, ImportRow
from db.queries.access import REFUSED, refusal
from db.queries.imports import ImportPreview, imported_fingerprints
from db.rollups import record_new_cases
from domain.deadlines import ClockRules, compute_deadline, default_promised_date, response_due
from domain.deadlines import handling_working_days as working_days
from domain.errors import OutOfScope
from domain.ledger_import import LedgerFile, ParsedRow, clean_text, find_header_row
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
)
from services.case_events import record_audit
from services.case_numbers import allocate_case_seqs, case_number, ensure_counter_row
from services.cases import PermissionDenied

CHUNK_SIZE = 200
"""Rows per transaction: short enough that intake clerks never wait long on the number counter."""
MAX_FILE_BYTES = 50 * 1024 * 1024


class LedgerFileError(ValueError):
    """A file that cannot be read as a ledger; the message is Chinese."""


# ---------------------------------------------------------------------------------------------
# Reading files

_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"')


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of every merged range of a read-only sheet."""
    with sheet._get_source() as source:  # read-only sheets do not expose merged cells
        xml = source.read()
    return [range_boundaries(ref.decode()) for ref in _MERGE.findall(xml)]


def _xlsx_rows(data: bytes) -> list[list[object]]:
    """Every row of the first visible sheet, merged ranges filled with their top-left value."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise LedgerFileError(
            "无法读取该 Excel 文件，请确认是 .xlsx 格式（旧版 .xls 请先另存为 .xlsx）"
        ) from exc
    try:
        sheet = next(
            (ws for ws in book.worksheets if getattr(ws, "sheet_state", "visible") == "visible"),
            book.worksheets[0],
        )
        ranges = _merged_ranges(sheet)
        sheet.reset_dimensions()
        rows = [list(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                row[c - 1] = value
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), as Excel in China writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK")


def _csv_rows(data: bytes) -> list[list[object]]:
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def read_ledger(data: bytes, filename: str) -> LedgerFile:
    """Read an uploaded .xlsx or .csv ledger and find its header row."""
    if len(data) > MAX_FILE_BYTES:
        raise LedgerFileError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请分批导入")
    name = filename.lower()
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    else:
        raise LedgerFileError("只支持 .xlsx 和 .csv 文件")
    index = find_header_row(rows)
    if index is None:
        raise LedgerFileError("没有找到表头：前 20 行中没有一行包含「受理时间」「诉求内容」等列名")
    return LedgerFile(
        source_name=filename,
        header_row=index + 1,
        headers=[clean_text(v) for v in rows[index]],
        rows=[(number, row) for number, row in enumerate(rows, start=1) if number > index + 1],
    )


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


def case_values(
    row: ParsedRow, *, actor: Actor, now: dt.datetime, rules: ClockRules, community_id: int
) -> dict[str, Any]:
    """The columns of the case a ledger row becomes (historical times as in the file)."""
    accepted = row.accepted_at
    promised: dt.date | None = None
    if row.handling_type is HandlingType.PROMISED:
        # A ledger rarely records a promised date: promise the standard limit.
        promised = default_promised_date(accepted, rules=rules)
    finished = row.finished_at
    done = row.status in FINISHED_STATUSES
    return {
        "channel": row.channel.value,
        "category_id": row.category_id,
        "handling_type": row.handling_type.value,
        "status": row.status.value,
        "is_urgent": False,
        "community_id": community_id,
        "grid_cell_id": row.grid_cell_id,
        "description": row.description,
        "reporter_name": row.reporter_name,
        "reporter_phone": row.reporter_phone,
        "is_anonymous": row.is_anonymous,
        "first_handler_id": actor.user_id,
        "assignee_id": actor.user_id,
        "accepted_at": accepted,
        "deadline_at": compute_deadline(
            row.handling_type, accepted, promised_date=promised, rules=rules
        ),
        "promised_date": promised,
        "response_due_at": response_due(accepted, rules=rules),
        # Finishing is a handling action: it is the first response when nothing else is known.
        "first_response_at": finished if done else None,
        "finished_at": finished if done else None,
        "handling_working_days": working_days(accepted, finished) if done and finished else None,
        "resolved_level": Level.COMMUNITY.value if done else None,
        "result": row.result if row.status is not CaseStatus.RETURNED else None,
        "return_reason": row.result if row.status is CaseStatus.RETURNED else None,
        "is_repeat": False,
        "version": 1,
        "updated_at": now,
    }


def _insert_cases(session: Session, values: list[dict[str, Any]]) -> list[int]:
    """Insert cases and return their ids in order (one multi-row INSERT … RETURNING if possible)."""
    dialect = session.get_bind().dialect
    if getattr(dialect, "insert_executemany_returning_sort_by_parameter_order", False):
        stmt = insert(Case).returning(Case.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, values))
    return [int(_inserted_id(session.execute(insert(Case).values(**v)))) for v in values]


def _inserted_id(result: Any) -> int:
    """The primary key of a one-row INSERT (``CursorResult.inserted_primary_key``)."""
    return int(result.inserted_primary_key[0])


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


def _import_chunk(
    session: Session,
    rows: Sequence[ParsedRow],
    *,
    source: str,
    batch: str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    communities: dict[int, int],
) -> tuple[list[str], int]:
    """One transaction: the chunk's new rows become cases, events and fingerprints; commit."""
    for year in sorted({r.accepted_at.year for r in rows}):
        ensure_counter_row(session, year)  # commits on its own, before the numbering starts
    try:
        existing = imported_fingerprints(session, [r.fingerprint for r in rows])
        fresh = [r for r in rows if r.fingerprint not in existing]
        numbers = _numbers(session, [r.accepted_at.year for r in fresh])
        values = [
            {
                **case_values(
                    r, actor=actor, now=now, rules=rules, community_id=communities[r.grid_cell_id]
                ),
                "case_no": number,
            }
            for r, number in zip(fresh, numbers, strict=True)
        ]
        ids = _insert_cases(session, values) if values else []
        if ids:
            record_new_cases(session.connection(), ids)  # bulk INSERT: past the ORM's write hook
            session.execute(
                insert(CaseEvent),
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
            session.execute(
                insert(ImportRow),
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
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return numbers, len(rows) - len(fresh)


def _check_scope(
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
) -> ImportOutcome:
    """Import ``rows`` (a preview's ``new_rows``) chunk by chunk, each chunk its own transaction.

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
        _check_scope(
            session, rows, actor=actor, communities=communities, source=source_name, now=now
        )
    total = len(rows)
    for start in range(0, total, chunk_size):
        chunk = rows[start : start + chunk_size]
        for attempt in range(2):
            with sessions() as session:
                try:
                    numbers, skipped = _import_chunk(
                        session,
                        chunk,
                        source=source_name,
                        batch=outcome.batch,
                        actor=actor,
                        now=now,
                        rules=rules,
                        communities=communities,
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
