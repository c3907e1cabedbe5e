"""Gap-free case numbers (MQ-2026-000123): one counter row per year, taken inside a transaction.

Intake, a visit's and a 接待日's concerns, and the ledger import all number their cases here.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import CaseNumberCounter

__all__ = ["allocate_case_seq", "allocate_case_seqs", "case_number", "ensure_counter_row"]

_COUNTER_ATTEMPTS = 5


def case_number(year: int, seq: int) -> str:
    """The printed case number: ``MQ-2026-000123``."""
    return f"MQ-{year:04d}-{seq:06d}"


def allocate_case_seq(session: Session, year: int) -> int:
    """Take the next number of ``year`` inside the caller's transaction (row-locked, gap-free)."""
    return allocate_case_seqs(session, year, 1).start


def allocate_case_seqs(session: Session, year: int, count: int) -> range:
    """Take the next ``count`` numbers of ``year`` at once, inside the caller's transaction.

    The UPDATE comes first so that it takes the write lock (SQLite) or the row lock
    (PostgreSQL/MySQL) before anything is read; a rollback of the caller gives the numbers
    back. A block costs one UPDATE whatever its size (the ledger import numbers a chunk so).
    """
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + count)
        .execution_options(synchronize_session=False)
    )
    for _ in range(_COUNTER_ATTEMPTS):
        if session.execute(bump).rowcount == 1:  # type: ignore[attr-defined]
            last = int(
                session.scalar(
                    select(CaseNumberCounter.last_seq).where(CaseNumberCounter.year == year)
                )
                or 0
            )
            return range(last - count + 1, last + 1)
        # First case of the year: create the row (last_seq 0 uses no number) and retry; a
        # concurrent creator makes our INSERT fail, which is fine: the row is there now.
        try:
            with session.begin_nested():
                session.add(CaseNumberCounter(year=year, last_seq=0))
        except IntegrityError:
            pass
    raise RuntimeError(f"无法分配 {year} 年的案件编号")


def ensure_counter_row(session: Session, year: int) -> None:
    """Create ``year``'s counter row in its own short transaction if it is missing.

    Doing this before the numbering transaction keeps MySQL's gap locks out of it (two
    writers that both find no row would otherwise deadlock on the INSERT).
    """
    found = session.scalar(select(CaseNumberCounter.year).where(CaseNumberCounter.year == year))
    if found is not None:
        return
    try:
        session.add(CaseNumberCounter(year=year, last_seq=0))
        session.commit()
    except IntegrityError:
        session.rollback()
