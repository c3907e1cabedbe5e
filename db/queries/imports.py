"""台账导入 as the import page reads it: what an import would do, and the import runs so far.

``preview_import`` writes nothing: it parses a ledger (``domain.ledger_import``) against the
known categories and grid cells and marks the rows whose fingerprint was imported before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case, Category, Community, GridCell, ImportJob, ImportRow, User
from db.queries.access import case_filters, refusal
from domain.ledger_import import (
    CellIndex,
    ColumnMapping,
    Field,
    ImportDefaults,
    LedgerFile,
    NameIndex,
    ParsedRow,
    RefusedRow,
    clean_text,
    guess_mapping,
    mapping_problems,
    parse_rows,
    shown_values,
)
from domain.roles import Actor


def name_indexes(
    session: Session, *, actor: Actor, community_id: int | None = None
) -> tuple[NameIndex, CellIndex]:
    """Known categories and grid cells by every name a ledger may use.

    A cell is known by its code, by 社区+name anywhere, and by its bare name and estate names
    (「粮食家园」 for 第5网格·粮食家园) within its 社区. Bare names are read within the row's
    所属社区, else ``community_id`` (the 社区 chosen for the ledger), else the actor's own
    社区; a name that repeats across 社区 is refused with the codes of every cell it could be.
    """
    categories = {
        name: ident
        for ident, name in session.execute(
            select(Category.id, Category.name)
            .where(Category.is_active.is_(True))
            .order_by(Category.id)
        )
    }
    everywhere: list[tuple[str, int]] = []  # a list: two 社区 may both have a 「第1网格」
    local: dict[int, list[tuple[str, int]]] = {}
    labels: dict[int, str] = {}
    shown: dict[int, list[str]] = {}
    communities: dict[str, int] = {}
    for ident, code, name, cid, community in session.execute(
        select(GridCell.id, GridCell.code, GridCell.name, Community.id, Community.name)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(Community.id, GridCell.id)
    ):
        names = [name, *[p for p in name.split("·")[1:] if p], name.split("·")[0]]
        # the unique code first: it is the canonical name that fingerprints use
        everywhere += [(code, ident), (f"{community}{name}", ident)]
        everywhere += [(alias, ident) for alias in names]
        local.setdefault(cid, []).extend([(code, ident), *[(a, ident) for a in names]])
        labels[ident] = f"{community}{name}：编号 {code}"
        shown.setdefault(cid, []).append(name)
        communities[community] = cid
    by_community = {
        cid: NameIndex(pairs, "网格", labels, choices=shown[cid]) for cid, pairs in local.items()
    }
    default = community_id if community_id is not None else actor.community_id
    cells = CellIndex(
        NameIndex(everywhere, "网格", labels, choices=[n for ns in shown.values() for n in ns]),
        by_community,
        NameIndex(communities, "所属社区"),
        default,
    )
    return NameIndex(categories, "类别"), cells


def cell_units(session: Session) -> dict[int, tuple[int, str]]:
    """Every grid cell's (社区 id, 社区 name)."""
    rows = session.execute(
        select(GridCell.id, Community.id, Community.name).join(
            Community, Community.id == GridCell.community_id
        )
    )
    return {cell: (community_id, name) for cell, community_id, name in rows}


def out_of_scope(
    session: Session,
    *,
    actor: Actor,
    ledger: LedgerFile,
    mapping: ColumnMapping,
    rows: Sequence[ParsedRow],
) -> dict[int, RefusedRow]:
    """The rows (by row number) whose grid cell lies outside the actor's 社区 or cells, refused."""
    units = cell_units(session)
    raw = dict(ledger.rows)
    refused: dict[int, RefusedRow] = {}
    for row in rows:
        community_id, community = units[row.grid_cell_id]
        if refusal(actor, community_id=community_id, grid_cell_id=row.grid_cell_id) is None:
            continue
        cells = raw[row.row_number]
        values = {fld: cells[col] if col < len(cells) else None for col, fld in mapping.items()}
        named = clean_text(values.get(Field.GRID_CELL))
        reason = f"网格「{named}」属于其他社区（{community}），只能导入本社区的记录"
        refused[row.row_number] = RefusedRow(row.row_number, (reason,), shown_values(values))
    return refused


@dataclass
class ImportPreview:
    """What an import would do: new rows, rows imported before, refused rows, blank rows."""

    source_name: str
    mapping: ColumnMapping
    problems: list[str]
    new_rows: list[ParsedRow] = field(default_factory=list)
    already_imported: list[ParsedRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        """True when the mapping is usable and there is at least one new good row."""
        return not self.problems and bool(self.new_rows)


def imported_fingerprints(session: Session, prints: Sequence[str]) -> set[str]:
    """The fingerprints among ``prints`` already imported (looked up 500 at a time)."""
    found: set[str] = set()
    for start in range(0, len(prints), 500):
        part = list(prints[start : start + 500])
        found.update(
            session.scalars(select(ImportRow.fingerprint).where(ImportRow.fingerprint.in_(part)))
        )
    return found


def preview_import(
    session: Session,
    *,
    ledger: LedgerFile,
    today: dt.date,
    actor: Actor,
    mapping: ColumnMapping | None = None,
    defaults: ImportDefaults = ImportDefaults(),  # noqa: B008 (frozen dataclass)
    community_id: int | None = None,
) -> ImportPreview:
    """Parse every row against the known categories and grid cells; nothing is written.

    Rows naming a grid cell outside the actor's 社区 (or cells) are refused. ``community_id``
    is the 社区 the clerk says the ledger is from (bare cell names are read within it).
    """
    used = dict(mapping) if mapping is not None else guess_mapping(ledger.headers)
    preview = ImportPreview(ledger.source_name, used, mapping_problems(used))
    if preview.problems:
        return preview
    categories, cells = name_indexes(session, actor=actor, community_id=community_id)
    parsed = parse_rows(
        ledger.rows, used, categories=categories, grid_cells=cells, today=today, defaults=defaults
    )
    foreign = out_of_scope(session, actor=actor, ledger=ledger, mapping=used, rows=parsed.good)
    good = [r for r in parsed.good if r.row_number not in foreign]
    existing = imported_fingerprints(session, [r.fingerprint for r in good])
    preview.new_rows = [r for r in good if r.fingerprint not in existing]
    preview.already_imported = [r for r in good if r.fingerprint in existing]
    preview.refused = sorted([*parsed.refused, *foreign.values()], key=lambda r: r.row_number)
    preview.blank_rows = parsed.blank_rows
    return preview


JOB_STALE_AFTER = dt.timedelta(seconds=90)
"""A running import job whose heartbeat is older than this lost its process: 未完成."""

JOB_LABELS = {
    "queued": "排队",
    "running": "进行中",
    "done": "已完成",
    "stopped": "未完成",
    "failed": "失败",
}
UNFINISHED = "未完成"


@dataclass(frozen=True)
class ImportJobRow:
    """An import job as the page shows it; ``status`` is 排队/进行中/已完成/未完成/失败."""

    id: int
    batch: str
    source_name: str
    created_by: str
    created_at: dt.datetime
    status: str
    rows_total: int
    rows_done: int
    imported: int
    skipped: int
    refused: int
    error: str | None

    @property
    def resumable(self) -> bool:
        """Stopped before the end (未完成, 失败): 「继续导入」 is offered."""
        return self.status in (UNFINISHED, JOB_LABELS["failed"])

    @property
    def active(self) -> bool:
        """Running now (or about to) in some process."""
        return self.status in (JOB_LABELS["running"], JOB_LABELS["queued"])


def job_label(status: str, heartbeat_at: dt.datetime | None, now: dt.datetime) -> str:
    """The shown status: a running or queued job whose heartbeat is stale is 未完成."""
    if status in ("running", "queued") and (
        heartbeat_at is None or heartbeat_at < now - JOB_STALE_AFTER
    ):
        return UNFINISHED
    return JOB_LABELS.get(status, status)


def _job_scope(actor: Actor) -> list[Any]:
    return [] if actor.community_id is None else [ImportJob.community_id == actor.community_id]


def import_jobs(
    session: Session, *, actor: Actor, now: dt.datetime, job_id: int | None = None, limit: int = 20
) -> list[ImportJobRow]:
    """The latest import jobs of the actor's 社区 (every one for the 街道), newest first."""
    stmt = (
        select(ImportJob, User.display_name)
        .join(User, User.id == ImportJob.created_by_id)
        .where(*_job_scope(actor))
        .order_by(ImportJob.id.desc())
        .limit(limit)
    )
    if job_id is not None:
        stmt = stmt.where(ImportJob.id == job_id)
    return [
        ImportJobRow(
            id=job.id,
            batch=job.batch,
            source_name=job.source_name,
            created_by=name,
            created_at=job.created_at,
            status=job_label(job.status, job.heartbeat_at, now),
            rows_total=job.rows_total,
            rows_done=job.rows_done,
            imported=job.imported,
            skipped=job.skipped,
            refused=job.refused,
            error=job.error,
        )
        for job, name in session.execute(stmt).tuples()
    ]


def import_job(
    session: Session, job_id: int, *, actor: Actor, now: dt.datetime
) -> ImportJobRow | None:
    """One import job of the actor's unit (None if there is none such)."""
    found = import_jobs(session, actor=actor, now=now, job_id=job_id, limit=1)
    return found[0] if found else None


def import_batches(
    session: Session, *, actor: Actor, limit: int = 20, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The latest import runs into the actor's unit: batch, file, when, how many of its rows.

    With ``now``, each run's 状态 too: its job's (未完成 when it stopped before the end, with
    how far it got), 已完成 for runs from before import jobs.
    """
    rows = session.execute(
        select(
            ImportRow.batch,
            ImportRow.source_name,
            func.min(ImportRow.imported_at),
            func.count(),
        )
        .join(Case, Case.id == ImportRow.case_id)
        .where(*case_filters(actor))
        .group_by(ImportRow.batch, ImportRow.source_name)
        .order_by(func.min(ImportRow.imported_at).desc())
        .limit(limit)
    ).all()
    found = [
        {"批次": batch, "文件": source, "导入时间": at, "导入件数": count}
        for batch, source, at, count in rows
    ]
    if now is None:
        return found
    jobs = {
        job.batch: job
        for job in session.scalars(
            select(ImportJob).where(ImportJob.batch.in_({r[0] for r in rows}))
        )
    }
    for row in found:
        job = jobs.get(str(row["批次"]))
        if job is None:
            row["状态"] = JOB_LABELS["done"]
            continue
        label = job_label(job.status, job.heartbeat_at, now)
        if label != JOB_LABELS["done"]:
            label += f"（已处理 {job.rows_done:,} / {job.rows_total:,} 行）"
        row["状态"] = label
    return found
