"""Audit entries: record who did what to which record (the log is read in ``db.queries.audit``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import AuditEntry


def add_entry(
    session: Session, *, username: str, action: str, target: str, detail: str, now: dt.datetime
) -> None:
    """Add an audit entry to the caller's transaction (it commits with the change it records)."""
    session.add(
        AuditEntry(
            at=now, username=username, action=action, target=target[:60], detail=detail[:500]
        )
    )
