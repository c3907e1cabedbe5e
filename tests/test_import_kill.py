"""An import killed mid-way (SIGKILL, no cleanup) leaves whole rows only and can be run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import Case, CaseEvent, CaseNumberCounter, ImportRow
from tests.factories import make_world, migrate
from tests.helpers.ledger import import_ledger, ledger, ledger_xlsx, stored_state


def _counts(sessions) -> tuple[int, int, int, int]:
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Case)),
            s.scalar(select(func.count()).select_from(CaseEvent)),
            s.scalar(select(func.count()).select_from(ImportRow)),
            s.scalar(select(func.coalesce(func.sum(CaseNumberCounter.last_seq), 0))),
        )


def test_killed_import_keeps_whole_rows_and_resumes(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        world = make_world(s, cells=3)
    ledger_file = tmp_path / "台账.xlsx"
    ledger_file.write_bytes(ledger_xlsx())
    marker = tmp_path / "two-chunks-done"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.scripts.import_child", url, str(ledger_file), str(marker)],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, "the import finished or failed before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)  # inside a later chunk's transaction
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    cases, events, prints, numbers = _counts(sessions)
    assert cases >= 100 and cases % 50 == 0  # whole chunks only
    assert events == prints == numbers == cases  # every case with its event, fingerprint, number

    preview, outcome = import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx", chunk_size=50)
    assert len(preview.already_imported) == cases
    assert outcome.imported == len(ledger().expected) - cases

    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    ref_sessions = session_factory(reference)
    with ref_sessions() as s:
        ref_world = make_world(s, cells=3)
    import_ledger(ref_sessions, ref_world, ledger_xlsx(), "台账.xlsx", chunk_size=50)
    assert stored_state(sessions) == stored_state(ref_sessions)
    reference.dispose()
    engine.dispose()
