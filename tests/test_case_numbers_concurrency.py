"""Eight clerks saving at once: every case is kept and numbers are unique and gap-free."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from db.models import Case, CaseEvent, CaseNumberCounter
from domain.deadlines import ClockRules
from services.cases import accept_case
from tests.factories import NOW, make_world
from tests.helpers.cases import actor_of, draft

WRITERS = 8
CASES_EACH = 5


def test_eight_concurrent_writers_get_gap_free_numbers(engine, sessions):
    with sessions() as setup:
        world = make_world(setup)
    staff = actor_of(world, "staff")
    # The counter row for 2026 does not exist yet: the writers also race to create it.
    start = threading.Barrier(WRITERS)
    saved: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def clerk(index: int) -> None:
        try:
            with sessions() as session:
                start.wait(timeout=30)
                for n in range(CASES_EACH):
                    case = accept_case(
                        session,
                        draft=draft(world, description=f"第{index}号窗口登记的第{n}件民情"),
                        actor=staff,
                        now=NOW,
                        rules=ClockRules(),
                    )
                    with lock:
                        saved.append(case.case_no)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    total = WRITERS * CASES_EACH
    expected = [f"MQ-2026-{n:06d}" for n in range(1, total + 1)]
    assert sorted(saved) == expected
    with sessions() as check:
        stored = check.scalars(select(Case.case_no).order_by(Case.case_no)).all()
        assert stored == expected
        assert check.scalar(select(func.count()).select_from(CaseEvent)) == total
        assert check.get(CaseNumberCounter, 2026).last_seq == total
