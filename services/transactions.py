"""One write, one transaction: run it, commit it, or roll everything back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache

__all__ = ["commit_write"]

T = TypeVar("T")


def commit_write(session: Session, write: Callable[[], T]) -> T:
    """Run ``write`` and commit; on any failure roll back and re-raise; then clear the dashboard cache."""
    try:
        result = write()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return result
