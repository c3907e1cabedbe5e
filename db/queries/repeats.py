"""重信 hints for the intake form: earlier cases that may be the same concern.

Each rule of ``domain.repeats`` reads a bounded, indexed slice of cases; text similarity is
computed in Python over at most ``SIMILAR_POOL`` recent cases of the same grid cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Case
from db.queries.access import case_filters
from db.queries.predicates import OPEN
from domain.repeats import (
    SAME_CELL_AND_CATEGORY,
    SAME_PHONE,
    SIMILAR_POOL,
    compares_text,
    rank_key,
    repeat_since,
    similar_reason,
    similar_since,
)
from domain.roles import Actor
from domain.validation import normalize_phone, phone_error
from domain.workflow import STATUS_LABELS, CaseStatus

__all__ = ["RepeatCandidate", "repeat_candidates"]


@dataclass(frozen=True)
class RepeatCandidate:
    """A possibly related earlier case (初信/重信 hint) and why it was found."""

    id: int
    case_no: str
    accepted_at: dt.datetime
    status_label: str
    description: str
    reasons: tuple[str, ...]
    similarity: float


def _phone(raw: str | None) -> str | None:
    """The number to look for, or None while it is not a phone number yet."""
    number = normalize_phone(raw) if raw else ""
    if phone_error(number) is not None:
        number = number.replace("-", "")  # 138-1234-5678 while typing: still the same mobile
    return number if number and phone_error(number) is None else None


def repeat_candidates(
    session: Session,
    *,
    phone: str | None,
    grid_cell_id: int | None,
    category_id: int | None,
    description: str | None,
    now: dt.datetime,
    limit: int = 10,
    actor: Actor,
) -> list[RepeatCandidate]:
    """重信 hints: same phone (recent or open), same cell + category (30 days), similar text.

    Only cases inside ``actor``'s 社区 and cells are candidates: another 社区's residents never
    show up here, not even as a hint (issue 14 item 6).
    """
    since = repeat_since(now)
    unit = case_filters(actor)
    found: dict[int, tuple[Case, list[str], float]] = {}

    def take(cases: Iterable[Case], reason: str, score: float = 0.0) -> None:
        for case in cases:
            entry = found.setdefault(case.id, (case, [], 0.0))
            if reason not in entry[1]:
                entry[1].append(reason)
            found[case.id] = (entry[0], entry[1], max(entry[2], score))

    number = _phone(phone)
    if number is not None:
        take(
            session.scalars(
                select(Case)
                .where(Case.reporter_phone == number, or_(Case.accepted_at >= since, OPEN), *unit)
                .order_by(Case.accepted_at.desc())
                .limit(limit)
            ),
            SAME_PHONE,
        )
    if grid_cell_id is not None and category_id is not None:
        take(
            session.scalars(
                select(Case)
                .where(
                    Case.grid_cell_id == grid_cell_id,
                    Case.accepted_at >= since,
                    Case.category_id == category_id,
                    *unit,
                )
                .order_by(Case.accepted_at.desc())
                .limit(limit)
            ),
            SAME_CELL_AND_CATEGORY,
        )
    text = (description or "").strip()
    if grid_cell_id is not None and compares_text(text):
        pool = session.scalars(
            select(Case)
            .where(Case.grid_cell_id == grid_cell_id, Case.accepted_at >= similar_since(now), *unit)
            .order_by(Case.accepted_at.desc())
            .limit(SIMILAR_POOL)
        ).all()
        for case in pool:
            similar = similar_reason(text, case.description)
            if similar is not None:
                take([case], *similar)
    ranked = sorted(found.values(), key=lambda e: rank_key(e[1], e[2], e[0].accepted_at))
    return [
        RepeatCandidate(
            id=case.id,
            case_no=case.case_no,
            accepted_at=case.accepted_at,
            status_label=STATUS_LABELS[CaseStatus(case.status)],
            description=case.description,
            reasons=tuple(reasons),
            similarity=score,
        )
        for case, reasons, score in ranked[:limit]
    ]
