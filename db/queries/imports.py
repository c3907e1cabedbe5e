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

from db.models import Category, Community, GridCell, ImportRow
from domain.ledger_import import (
    ColumnMapping,
    ImportDefaults,
    LedgerFile,
    NameIndex,
    ParsedRow,
    RefusedRow,
    guess_mapping,
    mapping_problems,
    parse_rows,
)


def name_indexes(session: Session) -> tuple[NameIndex, NameIndex]:
    """Known categories and grid cells by every name a ledger may use (name, code, 社区+name)."""
    categories = {
        name: ident
        for ident, name in session.execute(
            select(Category.id, Category.name).where(Category.is_active.is_(True))
        )
    }
    cells: list[tuple[str, int]] = []  # a list: two 社区 may both have a 「第1网格」
    for ident, code, name, community in session.execute(
        select(GridCell.id, GridCell.code, GridCell.name, Community.name).join(
            Community, Community.id == GridCell.community_id
        )
    ):
        # the unique code first: it is the canonical name that fingerprints use
        cells += [(code, ident), (name, ident), (f"{community}{name}", ident)]
    return NameIndex(categories, "类别"), NameIndex(cells, "网格")


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
    mapping: ColumnMapping | None = None,
    defaults: ImportDefaults = ImportDefaults(),  # noqa: B008 (frozen dataclass)
) -> ImportPreview:
    """Parse every row against the known categories and grid cells; nothing is written."""
    used = dict(mapping) if mapping is not None else guess_mapping(ledger.headers)
    preview = ImportPreview(ledger.source_name, used, mapping_problems(used))
    if preview.problems:
        return preview
    categories, cells = name_indexes(session)
    parsed = parse_rows(
        ledger.rows, used, categories=categories, grid_cells=cells, today=today, defaults=defaults
    )
    existing = imported_fingerprints(session, [r.fingerprint for r in parsed.good])
    preview.new_rows = [r for r in parsed.good if r.fingerprint not in existing]
    preview.already_imported = [r for r in parsed.good if r.fingerprint in existing]
    preview.refused = parsed.refused
    preview.blank_rows = parsed.blank_rows
    return preview


def import_batches(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest import runs: batch, file, when, how many rows (for the page's history)."""
    rows = session.execute(
        select(
            ImportRow.batch,
            ImportRow.source_name,
            func.min(ImportRow.imported_at),
            func.count(),
        )
        .group_by(ImportRow.batch, ImportRow.source_name)
        .order_by(func.min(ImportRow.imported_at).desc())
        .limit(limit)
    )
    return [
        {"批次": batch, "文件": source, "导入时间": at, "导入件数": count}
        for batch, source, at, count in rows
    ]
