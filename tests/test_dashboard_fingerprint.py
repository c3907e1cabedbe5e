"""The dashboard cache's fingerprint sees a write that commits after a later id (issue 17).

On PostgreSQL (and MySQL) ids are handed out before commit: a transaction holding id 500 can
commit after one holding 501 has, and a process that cached its figures in between saw the
highest ids already. The fingerprint also holds the writing transactions in progress, so that
late commit still changes it (`tests/browser/test_two_processes.py` checks two real servers).
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.dashboard_cache import data_fingerprint, territory_fingerprint
from db.models import Household
from tests.factories import make_world


def _household(conn, cell_id: int, name: str) -> None:
    conn.execute(insert(Household).values(grid_cell_id=cell_id, building="1栋", head_name=name))


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # the fingerprint's PG part
def test_a_late_commit_below_the_highest_id_changes_the_fingerprint(engine) -> None:
    with Session(engine) as session:
        cell_id = make_world(session).cells[0].id
    with engine.connect() as early, engine.connect() as late:
        slow = early.begin()
        _household(early, cell_id, "先取号后提交")  # takes the lower id, commits last
        with late.begin():
            _household(late, cell_id, "后取号先提交")
        with Session(engine) as session:
            before = (data_fingerprint(session), territory_fingerprint(session))
        slow.commit()
    with Session(engine) as session:
        after = (data_fingerprint(session), territory_fingerprint(session))
        again = (data_fingerprint(session), territory_fingerprint(session))
    # The highest ids did not move: without the running transactions the cache would stay stale.
    assert before[0][:-1] == after[0][:-1] and before[1][:-1] == after[1][:-1]
    assert before[0] != after[0] and before[1] != after[1]
    assert again == after  # and with nothing running the fingerprint is stable (cache hits)
