"""Submit tokens: one filling of a form saves at most once.

A worker who taps 保存 twice (or whose browser resends the submit) sends the same token twice;
the second save finds the token and writes nothing. The token is kept as an audit entry
(``audit_entries``: action ``<form>.create``, detail ``提交令牌 <token>``) written in the same
transaction as the record, so there is no token without its record and no record without it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry
from services.audit import add_entry

__all__ = ["AlreadySaved", "claim_token", "refuse_spent_token"]


class AlreadySaved(Exception):
    """This form's token was already saved: the submit was a repeat and wrote nothing."""

    def __init__(self, target: str) -> None:
        super().__init__(f"已保存，未重复提交（{target}）")
        self.target = target


def _detail(token: str) -> str:
    return f"提交令牌 {token}"


def refuse_spent_token(session: Session, *, form: str, token: str | None) -> None:
    """Raise ``AlreadySaved`` when ``token`` of ``form`` was saved before (``None``: no check)."""
    if token is None:
        return
    target = session.scalar(
        select(AuditEntry.target)
        .where(AuditEntry.action == f"{form}.create", AuditEntry.detail == _detail(token))
        .limit(1)
    )
    if target is not None:
        session.rollback()
        raise AlreadySaved(target)


def claim_token(
    session: Session, *, form: str, token: str | None, username: str, target: str, now: dt.datetime
) -> None:
    """Record ``token`` as spent on ``target`` inside the caller's transaction."""
    if token is not None:
        add_entry(
            session,
            username=username,
            action=f"{form}.create",
            target=target,
            detail=_detail(token),
            now=now,
        )
