"""Child process for the kill test: import a ledger file into a database, chunk by chunk.

Usage: python -m tests.scripts.import_child DB_URL LEDGER.xlsx MARKER_FILE
After the second chunk is committed it touches MARKER_FILE and slows down, so the parent
can SIGKILL it in the middle of the third chunk's transaction.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.models import User
from db.queries.imports import preview_import
from domain.roles import Actor, Role
from services.ledger_import import read_ledger, run_import
from tests.factories import NOW


def main(url: str, ledger_path: str, marker: str) -> None:
    sessions = session_factory(make_engine(url))
    data = Path(ledger_path).read_bytes()
    with sessions() as s:
        user = s.scalar(select(User).where(User.username == "staff"))
        actor = Actor(
            user.id, user.username, Role(user.role), user.display_name, None, user.community_id
        )
        preview = preview_import(
            s, ledger=read_ledger(data, "台账.xlsx"), today=NOW.date(), actor=actor
        )
    done = {"chunks": 0}

    def progress(_done: int, _total: int) -> None:
        done["chunks"] += 1
        if done["chunks"] == 2:
            Path(marker).touch()
        if done["chunks"] >= 2:
            time.sleep(0.2)  # leave time to be killed inside the next chunk

    run_import(
        sessions, rows=preview.new_rows, source_name="台账.xlsx", actor=actor, now=NOW,
        chunk_size=50, on_progress=progress,
    )  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:4])
