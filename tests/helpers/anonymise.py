"""A world whose residents' names and phones must never leak onto the projector or the handout."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tests.factories import NOW, make_case, make_world

RESIDENT = ("赵秀兰", "13987654321")


def resolved_case(session: Session, world, **over: object):
    defaults: dict[str, object] = {
        "status": "resolved",
        "handling_type": "immediate",
        "accepted_at": NOW - dt.timedelta(days=3),
        "finished_at": NOW - dt.timedelta(days=1),
        "handling_working_days": 2,
        "resolved_level": "community",
        "reporter_name": RESIDENT[0],
        "reporter_phone": RESIDENT[1],
        "description": f"{RESIDENT[0]}反映楼道灯坏了，电话{RESIDENT[1]}",
    }
    defaults.update(over)
    return make_case(session, world, **defaults)


HEAD = ("钱德明", "13700001111")


@pytest.fixture
def leaky_world(sqlite_engine):
    """A world whose resolved cases' result texts contain names, phones, an ID and a room."""
    from db.engine import session_factory

    with session_factory(sqlite_engine)() as session:
        world = make_world(session)
        hh = world.households[0]
        hh.head_name, hh.phone = HEAD
        session.commit()
        resolved_case(session, world, result=f"已电话{RESIDENT[1]}告知{RESIDENT[0]}，更换灯泡")
        resolved_case(
            session, world, household_id=hh.id, grid_cell_id=hh.grid_cell_id,
            result=f"{HEAD[0]}（身份证430102198001011234，3栋2单元501室）低保已代办，回执拨{HEAD[1]}",
        )  # fmt: skip
        resolved_case(session, world, status="returned", handling_type="returned", result="退回")
        resolved_case(
            session, world, finished_at=NOW - dt.timedelta(days=45), result="很久以前办结"
        )
        yield session, world


def pdf_text(data: bytes) -> str:
    """All text of a PDF without the spaces and NULs pypdf puts between CJK glyphs."""
    import io
    import re

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))
