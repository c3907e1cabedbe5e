"""Concern categories as the admin editor and the forms read them."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Category


class CategoryRow(NamedTuple):
    """A category, active or retired."""

    id: int
    name: str
    is_active: bool


def list_categories(session: Session) -> list[CategoryRow]:
    """Every category, active or not, in display order."""
    stmt = select(Category.id, Category.name, Category.is_active).order_by(
        Category.sort_order, Category.id
    )
    return [CategoryRow(*row) for row in session.execute(stmt).tuples()]
