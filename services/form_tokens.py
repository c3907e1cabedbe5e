"""Submit tokens: one filling of a form saves at most once.

A worker who taps 保存 twice (or whose browser resends the submit) sends the same token twice;
the second save finds the token and writes nothing. The token is a row of ``form_submissions``
(primary key: two racing submits cannot both insert it) and an audit entry (action
``<form>.create``, detail ``提交令牌 <token>``), both written in the same transaction as the
record, so there is no token without its record and no record without it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import FormSubmission
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
    spent = session.get(FormSubmission, (form, token))
    if spent is not None:
        target = spent.target
        session.rollback()
        raise AlreadySaved(target)


def claim_token(
    session: Session, *, form: str, token: str | None, username: str, target: str, now: dt.datetime
) -> None:
    """Record ``token`` as spent on ``target`` inside the caller's transaction.

    A token spent meanwhile by a racing submit fails the primary key: the caller's transaction is
    rolled back and ``AlreadySaved`` raised, so the second record is never committed.
    """
    if token is not None:
        session.add(
            FormSubmission(token=token, form=form, target=target, username=username, at=now)
        )
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise AlreadySaved("另一次提交") from None
        add_entry(
            session,
            username=username,
            action=f"{form}.create",
            target=target,
            detail=_detail(token),
            now=now,
        )
