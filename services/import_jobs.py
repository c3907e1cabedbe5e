"""台账导入 as a job: it runs to the end in the server's background, whoever watches or not.

``create_job`` stores the preview's parsed rows in chunks (``import_job_chunks``) and the job
(``import_jobs``) in one transaction, claimed by the calling process; ``start_job`` runs it in a
daemon thread. Each chunk is one transaction that imports its rows (``services.ledger_import``:
numbers, cases, events, fingerprints, rollups), deletes the chunk and advances the job's
counters and heartbeat — so whatever stops the process (a restart, a crash, a closed laptop
running the server) leaves whole chunks done and the rest waiting. Only the worker that holds
the job may advance it (the progress UPDATE is conditional on it): a job whose heartbeat is
stale is 未完成 (``db.queries.imports``), and ``resume_job`` claims it with one conditional
UPDATE, so two processes never run the same job. Rows are fingerprinted: a chunk done twice
adds nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import logging
import operator
import os
import socket
import threading
import types
import typing
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import GridCell, ImportJob, ImportJobChunk
from db.queries.imports import JOB_STALE_AFTER
from db.search_index import catch_up
from domain.deadlines import ClockRules
from domain.errors import OutOfScope
from domain.ledger_import import ParsedRow
from domain.roles import Actor, PageKey, Role, can_open
from services.cases import PermissionDenied
from services.ledger_import import CHUNK_SIZE, OpenRows, check_scope, import_chunk

LOG = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
RESUMABLE = (QUEUED, STOPPED, FAILED)
"""Statuses a job is claimed from (besides a stale ``running``)."""

Clock = Callable[[], dt.datetime]
"""The wall clock (the page passes ``config.local_now``; tests a fake one)."""


class LostClaim(RuntimeError):
    """Another process took the job over (this one's heartbeat had gone stale)."""


def new_worker() -> str:
    """A name for one run of a job: host, process and a random tag."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- the rows, as stored ----------------------------------------------------------------------


def _codec(kind: Any) -> tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]:
    """(encode, decode) of one ``ParsedRow`` field's type; None where JSON holds it as it is."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) is tuple:
        return list, tuple
    if kind is dt.datetime:
        return dt.datetime.isoformat, dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.isoformat, dt.date.fromisoformat
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return operator.attrgetter("value"), kind
    return None, None


_FIELDS = [
    (f.name, *_codec(kind))
    for f in dataclasses.fields(ParsedRow)
    for kind in [typing.get_type_hints(ParsedRow)[f.name]]
]


_VALUES = operator.attrgetter(*[name for name, _, _ in _FIELDS])
_ENCODED = [(i, encode) for i, (_, encode, _) in enumerate(_FIELDS) if encode is not None]


def encode_rows(rows: Sequence[ParsedRow]) -> str:
    """Parsed rows as JSON: the field names once, then one list per row (dates ISO, enums by
    value) — a chunk of 1,000 rows is some 400 KB."""
    encoded = []
    for row in rows:
        values = list(_VALUES(row))
        for i, encode in _ENCODED:
            if values[i] is not None:
                values[i] = encode(values[i])
        encoded.append(values)
    names = [name for name, _, _ in _FIELDS]
    return json.dumps({"fields": names, "rows": encoded}, ensure_ascii=False)


def decode_rows(text: str) -> list[ParsedRow]:
    """The parsed rows ``encode_rows`` stored (by field name: a field added since is defaulted)."""
    data = json.loads(text)
    decoders = {name: decode for name, _, decode in _FIELDS}
    chosen = [(name, decoders[name]) for name in data["fields"]]
    return [
        ParsedRow(
            **{
                name: decode(value) if decode is not None and value is not None else value
                for (name, decode), value in zip(chosen, values, strict=True)
            }
        )
        for values in data["rows"]
    ]


def _actor_json(actor: Actor) -> dict[str, Any]:
    cells = sorted(actor.grid_cell_ids) if actor.grid_cell_ids is not None else None
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role.value,
        "display_name": actor.display_name,
        "grid_cell_ids": cells,
        "community_id": actor.community_id,
    }


def _actor_of(data: dict[str, Any]) -> Actor:
    cells = data["grid_cell_ids"]
    return Actor(
        data["user_id"],
        data["username"],
        Role(data["role"]),
        data["display_name"],
        frozenset(cells) if cells is not None else None,
        data["community_id"],
    )


# --- creating and claiming --------------------------------------------------------------------


def create_job(
    sessions: sessionmaker[Session],
    *,
    parts: Sequence[tuple[str, Sequence[ParsedRow]]],
    actor: Actor,
    now: dt.datetime,
    open_rows: OpenRows = OpenRows(),  # noqa: B008 (frozen dataclass)
    refused: int = 0,
    chunk_size: int = CHUNK_SIZE,
    worker: str | None = None,
) -> int:
    """Store an import of ``parts`` ((sheet name, a preview's ``new_rows``) …) as a job.

    Checks the role and the scope first (``OutOfScope``, recorded). With ``worker`` the job is
    created claimed by it (``running``), else ``queued``. One transaction: the job exists with
    all its rows or not at all. Returns the job's id.
    """
    if not can_open(actor.role, PageKey.IMPORT):
        raise PermissionDenied("您的角色不能导入台账")
    with sessions() as session:
        communities = dict(
            session.execute(select(GridCell.id, GridCell.community_id)).tuples().all()
        )
        for source, rows in parts:
            check_scope(session, rows, actor=actor, communities=communities, source=source, now=now)
        units = {communities[r.grid_cell_id] for _, rows in parts for r in rows}
        unit = actor.community_id
        if unit is None and len(units) == 1:
            unit = next(iter(units))
        names = [source for source, _ in parts]
        shown = names[0] if len(names) == 1 else f"{names[0]} 等 {len(names)} 个工作表"
        job = ImportJob(
            batch=f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}",
            source_name=shown[:200],
            created_by_id=actor.user_id,
            community_id=unit,
            created_at=now,
            status=RUNNING if worker else QUEUED,
            options=json.dumps(
                {
                    "actor": _actor_json(actor),
                    "assignee_id": open_rows.assignee_id,
                    "archive_overdue": open_rows.archive_overdue,
                }
            ),
            rows_total=sum(len(rows) for _, rows in parts),
            rows_done=0,
            imported=0,
            skipped=0,
            refused=refused,
            worker=worker,
            heartbeat_at=now if worker else None,
        )
        session.add(job)
        session.flush()
        chunks = split_chunks(parts, chunk_size)
        for seq, (source, rows) in enumerate(chunks):
            session.execute(
                insert(ImportJobChunk),
                {
                    "job_id": job.id,
                    "seq": seq,
                    "source_name": source[:200],
                    "rows": encode_rows(rows),
                },
            )
        if not chunks:
            job.status, job.finished_at = DONE, now
        session.commit()
        return job.id


def split_chunks(
    parts: Sequence[tuple[str, Sequence[ParsedRow]]], chunk_size: int
) -> list[tuple[str, Sequence[ParsedRow]]]:
    """The job's chunks in order (their index is their ``seq``): no chunk spans two sheets."""
    return [
        (source, rows[start : start + chunk_size])
        for source, rows in parts
        for start in range(0, len(rows), chunk_size)
    ]


def launch_job(
    sessions: sessionmaker[Session],
    *,
    parts: Sequence[tuple[str, Sequence[ParsedRow]]],
    actor: Actor,
    now: dt.datetime,
    clock: Clock,
    open_rows: OpenRows = OpenRows(),  # noqa: B008 (frozen dataclass)
    refused: int = 0,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[int, threading.Thread]:
    """The page's 「导入」: store the job, claimed by this process, and run it in the background.

    The running thread takes the rows from memory (they are stored for a resume only).
    """
    worker = new_worker()
    job_id = create_job(
        sessions,
        parts=parts,
        actor=actor,
        now=now,
        open_rows=open_rows,
        refused=refused,
        chunk_size=chunk_size,
        worker=worker,
    )
    chunks = [rows for _, rows in split_chunks(parts, chunk_size)]
    return job_id, start_job(sessions, job_id, worker=worker, clock=clock, in_memory=chunks)


def claim_job(sessions: sessionmaker[Session], job_id: int, *, worker: str, clock: Clock) -> bool:
    """Take ``job_id`` for ``worker`` if nobody runs it (one conditional UPDATE); True if taken.

    A job is free when queued, stopped, failed, or running with a stale heartbeat.
    """
    now = clock()
    with sessions() as session:
        taken = session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == job_id,
                or_(
                    ImportJob.status.in_(RESUMABLE),
                    (ImportJob.status == RUNNING)
                    & (ImportJob.heartbeat_at < now - JOB_STALE_AFTER),
                ),
            )
            .values(status=RUNNING, worker=worker, heartbeat_at=now, error=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def resume_job(
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    actor: Actor,
    clock: Clock,
    rules: ClockRules | None = None,
) -> threading.Thread | None:
    """「继续导入」: claim an unfinished job of the actor's unit and run it in the background.

    None if another process holds it (it is running after all). ``OutOfScope`` for a job of
    another 社区, ``PermissionDenied`` for a role that cannot import.
    """
    if not can_open(actor.role, PageKey.IMPORT):
        raise PermissionDenied("您的角色不能导入台账")
    with sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or (
            actor.community_id is not None and job.community_id != actor.community_id
        ):
            raise OutOfScope("这次导入属于其他社区，不能继续", str(job_id))
    worker = new_worker()
    if not claim_job(sessions, job_id, worker=worker, clock=clock):
        return None
    return start_job(sessions, job_id, worker=worker, clock=clock, rules=rules)


# --- running ----------------------------------------------------------------------------------


def start_job(
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    worker: str,
    clock: Clock,
    rules: ClockRules | None = None,
    in_memory: Sequence[Sequence[ParsedRow]] | None = None,
) -> threading.Thread:
    """Run a claimed job in a daemon thread of this process (it outlives the page's script run)."""
    thread = threading.Thread(
        target=run_job,
        args=(sessions, job_id),
        kwargs={"worker": worker, "clock": clock, "rules": rules, "in_memory": in_memory},
        name=f"import-job-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread


def run_job(
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    worker: str,
    clock: Clock,
    rules: ClockRules | None = None,
    max_chunks: int | None = None,
    in_memory: Sequence[Sequence[ParsedRow]] | None = None,
) -> str:
    """Import the job's waiting chunks, one transaction each; return the job's status after.

    ``in_memory``: the chunks' rows by ``seq`` when this process created the job (no decoding);
    a resumed job reads them from ``import_job_chunks``.

    ``max_chunks`` stops after that many chunks as if the process had died there (the job
    stays ``running`` until its heartbeat goes stale): the tests' interruption.
    """
    rules = rules or ClockRules()
    with sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.worker != worker or job.status != RUNNING:
            return job.status if job is not None else FAILED
        options = json.loads(job.options)
        batch, now = job.batch, job.created_at
        communities = dict(
            session.execute(select(GridCell.id, GridCell.community_id)).tuples().all()
        )
    actor = _actor_of(options["actor"])
    open_rows = OpenRows(options["assignee_id"], bool(options["archive_overdue"]))
    done = 0
    try:
        while max_chunks is None or done < max_chunks:
            with sessions() as session:
                chunk = session.execute(
                    select(ImportJobChunk.seq, ImportJobChunk.source_name)
                    .where(ImportJobChunk.job_id == job_id)
                    .order_by(ImportJobChunk.seq)
                    .limit(1)
                ).first()
                if chunk is None:
                    status = _finish(sessions, job_id, worker=worker, clock=clock)
                    index_for_search(sessions)
                    return status
                seq, source = chunk
                if in_memory is not None:
                    rows = list(in_memory[seq])
                else:
                    text = session.scalar(
                        select(ImportJobChunk.rows).where(
                            ImportJobChunk.job_id == job_id, ImportJobChunk.seq == seq
                        )
                    )
                    rows = decode_rows(text) if text else []

            def advance(
                session: Session,
                imported: int,
                skipped: int,
                seq: int = seq,
                count: int = len(rows),
            ) -> None:
                moved = session.execute(
                    update(ImportJob)
                    .where(
                        ImportJob.id == job_id,
                        ImportJob.worker == worker,
                        ImportJob.status == RUNNING,
                    )
                    .values(
                        rows_done=ImportJob.rows_done + count,
                        imported=ImportJob.imported + imported,
                        skipped=ImportJob.skipped + skipped,
                        heartbeat_at=clock(),
                    )
                    .execution_options(synchronize_session=False)
                )
                if not moved.rowcount:  # type: ignore[attr-defined]
                    raise LostClaim(f"import job {job_id} was taken over")
                session.execute(
                    delete(ImportJobChunk).where(
                        ImportJobChunk.job_id == job_id, ImportJobChunk.seq == seq
                    )
                )

            for attempt in range(2):
                with sessions() as session:
                    try:
                        import_chunk(
                            session,
                            rows,
                            source=source,
                            batch=batch,
                            actor=actor,
                            now=now,
                            rules=rules,
                            communities=communities,
                            open_rows=open_rows,
                            before_commit=advance,
                        )
                        break
                    except IntegrityError:
                        # Someone imported the same rows at the same moment: re-check once.
                        if attempt:
                            raise
            done += 1
        return RUNNING
    except LostClaim:
        LOG.warning("import job %s: taken over by another process, this run stops", job_id)
        return RUNNING
    except Exception as exc:
        LOG.exception("import job %s failed", job_id)
        _fail(sessions, job_id, worker=worker, clock=clock, reason=type(exc).__name__)
        return FAILED


def index_for_search(sessions: sessionmaker[Session], chunk: int = 2_000) -> int:
    """Index the cases imports queued for the ledger search, ``chunk`` per transaction.

    Until then a search reads them by the plain scan (``db.search_index``). Another process
    indexing the same cases at once makes this one stop (its rows are theirs).
    """
    total = 0
    while True:
        with sessions() as session:
            try:
                done = catch_up(session.connection(), limit=chunk)
                session.commit()
            except IntegrityError:
                return total
        total += done
        if done < chunk:
            return total


def _finish(sessions: sessionmaker[Session], job_id: int, *, worker: str, clock: Clock) -> str:
    with sessions() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.worker == worker)
            .values(status=DONE, finished_at=clock(), heartbeat_at=clock())
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return DONE


def _fail(
    sessions: sessionmaker[Session], job_id: int, *, worker: str, clock: Clock, reason: str
) -> None:
    with sessions() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.worker == worker)
            .values(
                status=FAILED,
                heartbeat_at=clock(),
                error=f"导入出错（{reason}），已完成的部分已保存，可继续导入"[:500],
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
