"""五件制 clocks around Chinese holidays: deadlines, response limits, pauses, overdue, due soon.

2026 reference: 国庆 10-01…10-07 off, 10-10 (Sat) worked; 春节 02-15…02-23 off,
02-14 (Sat) worked; 2026-11-20 is a plain Friday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from domain.deadlines import (
    ClockRules,
    compute_deadline,
    deadline_preview,
    default_promised_date,
    due_soon_cutoff,
    end_of,
    extend_after_pause,
    handling_working_days,
    is_due_soon,
    is_overdue,
    paused_working_days,
    pauses_of,
    reopened_deadline,
    response_due,
)
from domain.validation import CaseDraft
from domain.workflow import Action, CaseStatus, HandlingType

T = dt.datetime.fromisoformat
D = dt.date.fromisoformat


def test_end_of_is_the_last_second_of_the_day():
    assert end_of(D("2026-10-10")) == T("2026-10-10 23:59:59")


@pytest.mark.parametrize(
    ("handling", "accepted", "deadline"),
    [
        (HandlingType.IMMEDIATE, "2026-09-30 15:00", "2026-09-30 23:59:59"),
        (HandlingType.IMMEDIATE, "2026-10-03 10:00", "2026-10-03 23:59:59"),  # even on a holiday
        (HandlingType.RETURN, "2026-09-30 15:00", "2026-10-08 23:59:59"),
        (HandlingType.RETURN, "2026-10-09 09:00", "2026-10-10 23:59:59"),
        (HandlingType.SUPPLEMENT, "2026-09-30 15:00", "2026-10-10 23:59:59"),
        (HandlingType.ESCALATE, "2026-09-30 15:00", "2026-10-10 23:59:59"),
        (HandlingType.SUPPLEMENT, "2026-02-12 09:30", "2026-02-24 23:59:59"),
        (HandlingType.ESCALATE, "2026-11-20 16:00", "2026-11-25 23:59:59"),
        ("escalate", "2026-11-21 11:00", "2026-11-25 23:59:59"),  # accepted on a Saturday
    ],
)
def test_compute_deadline_per_handling_type(
    handling: HandlingType | str, accepted: str, deadline: str
):
    assert compute_deadline(handling, T(accepted)) == T(deadline)


@pytest.mark.parametrize(
    ("accepted", "promised", "deadline"),
    [
        ("2026-09-30 15:00", "2026-10-15", "2026-10-15 23:59:59"),
        ("2026-09-30 15:00", "2026-09-30", "2026-09-30 23:59:59"),
        (
            "2026-09-30 15:00",
            "2026-10-04",
            "2026-10-04 23:59:59",
        ),  # a promise may fall on a holiday
    ],
)
def test_promised_case_is_due_on_the_promised_date(accepted: str, promised: str, deadline: str):
    got = compute_deadline(HandlingType.PROMISED, T(accepted), promised_date=D(promised))
    assert got == T(deadline)


def test_promised_date_before_acceptance_is_refused():
    with pytest.raises(ValueError, match="承诺办结日期不能早于受理日期"):
        compute_deadline("promised", T("2026-09-30 15:00"), promised_date=D("2026-09-29"))


def test_promised_case_needs_a_date():
    with pytest.raises(ValueError, match="承诺件须填写承诺办结日期"):
        compute_deadline("promised", T("2026-09-30 15:00"))


@pytest.mark.parametrize("handling", list(HandlingType))
def test_urgent_cases_are_due_the_same_day(handling: HandlingType):
    got = compute_deadline(
        handling, T("2026-09-30 15:00"), urgent=True, promised_date=D("2026-10-20")
    )
    assert got == T("2026-09-30 23:59:59")


def test_limits_are_configuration():
    rules = ClockRules(standard_limit_days=5, return_limit_days=2)
    accepted = T("2026-09-30 15:00")
    assert compute_deadline("supplement", accepted, rules=rules) == T("2026-10-13 23:59:59")
    assert compute_deadline("return", accepted, rules=rules) == T("2026-10-09 23:59:59")


def test_unknown_handling_type_is_refused():
    with pytest.raises(ValueError):
        compute_deadline("someday", T("2026-09-30 15:00"))


@pytest.mark.parametrize(
    ("accepted", "urgent", "due"),
    [
        ("2026-09-30 10:00", False, "2026-10-08 23:59:59"),
        ("2026-09-30 10:00", True, "2026-09-30 23:59:59"),
        ("2026-10-09 10:00", False, "2026-10-10 23:59:59"),  # the 调休 Saturday
        ("2026-11-20 10:00", False, "2026-11-23 23:59:59"),
        ("2026-02-13 17:00", False, "2026-02-14 23:59:59"),
    ],
)
def test_response_due(accepted: str, urgent: bool, due: str):
    assert response_due(T(accepted), urgent=urgent) == T(due)


@pytest.mark.parametrize(
    ("deadline", "paused", "resumed", "extended"),
    [
        # waited Fri 9, Sat 10 (调休) and Mon 12 → three working days more
        ("2026-10-10 23:59:59", "2026-10-08 09:00", "2026-10-12 10:00", "2026-10-14 23:59:59"),
        # paused and resumed the same day → nothing lost
        ("2026-10-10 23:59:59", "2026-10-09 09:00", "2026-10-09 16:00", "2026-10-10 23:59:59"),
        # the holiday itself is not lost time: Sep 30 and Oct 8 are
        ("2026-09-30 23:59:59", "2026-09-29 09:00", "2026-10-08 10:00", "2026-10-09 23:59:59"),
        # paused over a plain weekend: Mon 23 is the only working day lost
        ("2026-11-24 23:59:59", "2026-11-20 17:00", "2026-11-23 09:00", "2026-11-25 23:59:59"),
    ],
)
def test_extend_after_pause(deadline: str, paused: str, resumed: str, extended: str):
    assert extend_after_pause(T(deadline), T(paused), T(resumed)) == T(extended)


DUE = T("2026-10-10 23:59:59")


@pytest.mark.parametrize(
    ("status", "deadline", "now", "overdue"),
    [
        (CaseStatus.IN_PROGRESS, DUE, T("2026-10-11 00:00"), True),
        (CaseStatus.ACCEPTED, DUE, T("2026-10-12 09:00"), True),
        (CaseStatus.ESCALATED, DUE, T("2026-10-12 09:00"), True),
        ("in_progress", DUE, T("2026-10-12 09:00"), True),
        (CaseStatus.IN_PROGRESS, DUE, DUE, False),  # due until the day ends
        (CaseStatus.IN_PROGRESS, DUE, T("2026-10-10 18:00"), False),
        (CaseStatus.AWAITING_MATERIALS, DUE, T("2026-10-12 09:00"), False),  # paused
        (CaseStatus.RESOLVED, DUE, T("2026-10-12 09:00"), False),
        (CaseStatus.ARCHIVED, DUE, T("2026-10-12 09:00"), False),
        (CaseStatus.RETURNED, DUE, T("2026-10-12 09:00"), False),
        (CaseStatus.MERGED, DUE, T("2026-10-12 09:00"), False),
        (CaseStatus.IN_PROGRESS, None, T("2026-10-12 09:00"), False),
    ],
)
def test_is_overdue(
    status: CaseStatus | str, deadline: dt.datetime | None, now: dt.datetime, overdue: bool
):
    assert is_overdue(status, deadline, now) is overdue


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        ("2026-09-30 10:00", "2026-10-08 23:59:59"),
        ("2026-10-09 10:00", "2026-10-10 23:59:59"),
        ("2026-11-20 10:00", "2026-11-23 23:59:59"),
    ],
)
def test_due_soon_cutoff(now: str, cutoff: str):
    assert due_soon_cutoff(T(now)) == T(cutoff)


@pytest.mark.parametrize(
    ("status", "deadline", "now", "soon"),
    [
        (CaseStatus.IN_PROGRESS, "2026-10-10 23:59:59", "2026-10-09 10:00", True),
        (CaseStatus.IN_PROGRESS, "2026-10-09 23:59:59", "2026-10-09 10:00", True),
        (CaseStatus.IN_PROGRESS, "2026-10-12 23:59:59", "2026-10-09 10:00", False),
        (CaseStatus.IN_PROGRESS, "2026-10-09 09:00:00", "2026-10-09 10:00", False),  # overdue
        (CaseStatus.ACCEPTED, "2026-10-08 23:59:59", "2026-09-30 10:00", True),  # across 国庆
        (CaseStatus.ACCEPTED, "2026-10-09 23:59:59", "2026-09-30 10:00", False),
        (CaseStatus.AWAITING_MATERIALS, "2026-10-10 23:59:59", "2026-10-09 10:00", False),
        (CaseStatus.RESOLVED, "2026-10-10 23:59:59", "2026-10-09 10:00", False),
        (CaseStatus.IN_PROGRESS, None, "2026-10-09 10:00", False),
    ],
)
def test_is_due_soon(status: CaseStatus, deadline: str | None, now: str, soon: bool):
    due = T(deadline) if deadline else None
    assert is_due_soon(status, due, T(now)) is soon


def test_due_soon_window_is_configuration():
    rules = ClockRules(due_soon_days=2)
    assert is_due_soon("in_progress", T("2026-10-12 23:59:59"), T("2026-10-09 10:00"), rules=rules)


@pytest.mark.parametrize(
    ("accepted", "finished", "days"),
    [
        ("2026-09-30 10:00", "2026-10-10 16:00", 3),
        ("2026-09-30 10:00", "2026-09-30 16:00", 0),
        ("2026-10-01 10:00", "2026-10-07 16:00", 0),
        ("2026-11-20 10:00", "2026-11-23 09:00", 1),
        ("2026-02-12 10:00", "2026-02-25 09:00", 4),
    ],
)
def test_handling_working_days(accepted: str, finished: str, days: int):
    assert handling_working_days(T(accepted), T(finished)) == days


@pytest.mark.parametrize(
    ("accepted", "finished", "pauses", "days"),
    [
        # Fri 11-20 → Tue 12-01 is 7 working days; 5 of them waiting for materials.
        ("2026-11-20 10:00", "2026-12-01 16:00", [("2026-11-20 10:00", "2026-11-27 10:00")], 2),
        ("2026-11-20 10:00", "2026-12-01 16:00", [], 7),
        # Two waits: Mon–Tue and Thu (3 working days) out of 7.
        (
            "2026-11-20 10:00",
            "2026-12-01 16:00",
            [("2026-11-20 11:00", "2026-11-24 09:00"), ("2026-11-25 09:00", "2026-11-26 15:00")],
            4,
        ),
        # A wait over the National Day holiday costs only its working days (10-08, 10-09).
        ("2026-09-30 10:00", "2026-10-12 16:00", [("2026-09-30 15:00", "2026-10-09 10:00")], 2),
        # A wait inside one day costs nothing.
        ("2026-11-20 10:00", "2026-11-23 09:00", [("2026-11-20 11:00", "2026-11-20 16:00")], 1),
    ],
)
def test_handling_working_days_leave_out_pauses(
    accepted: str, finished: str, pauses: list[tuple[str, str]], days: int
):
    waits = [(T(start), T(end)) for start, end in pauses]
    assert handling_working_days(T(accepted), T(finished), pauses=waits) == days


@pytest.mark.parametrize(
    ("steps", "pauses"),
    [
        ([], []),
        (
            [("request_materials", "2026-11-20 10:00"), ("materials_received", "2026-11-24 09:00")],
            [("2026-11-20 10:00", "2026-11-24 09:00")],
        ),
        # Still waiting (or returned while waiting): no closed pause.
        ([("request_materials", "2026-11-20 10:00")], []),
        (
            [
                ("request_materials", "2026-11-20 10:00"),
                ("materials_received", "2026-11-23 10:00"),
                ("request_materials", "2026-11-24 10:00"),
                ("materials_received", "2026-11-26 10:00"),
            ],
            [("2026-11-20 10:00", "2026-11-23 10:00"), ("2026-11-24 10:00", "2026-11-26 10:00")],
        ),
        ([("materials_received", "2026-11-23 10:00")], []),
    ],
)
def test_pauses_of_pairs_requests_with_arrivals(
    steps: list[tuple[str, str]], pauses: list[tuple[str, str]]
):
    found = pauses_of((Action(action), T(at)) for action, at in steps)
    assert found == [(T(start), T(end)) for start, end in pauses]
    assert paused_working_days(found) >= 0


@pytest.mark.parametrize(
    ("now", "urgent", "deadline"),
    [
        ("2026-11-23 10:00", False, "2026-11-26 23:59:59"),
        ("2026-11-23 10:00", True, "2026-11-23 23:59:59"),
        ("2026-09-30 10:00", False, "2026-10-10 23:59:59"),
    ],
)
def test_reopened_deadline(now: str, urgent: bool, deadline: str):
    assert reopened_deadline(T(now), urgent=urgent, rules=ClockRules()) == T(deadline)


@pytest.mark.parametrize(
    ("accepted", "rules", "promised"),
    [
        ("2026-11-20 10:00", ClockRules(), "2026-11-25"),
        ("2026-09-30 10:00", ClockRules(), "2026-10-10"),
        ("2026-11-20 10:00", ClockRules(standard_limit_days=5), "2026-11-27"),
    ],
)
def test_default_promised_date(accepted: str, rules: ClockRules, promised: str):
    assert default_promised_date(T(accepted), rules=rules) == D(promised)


@pytest.mark.parametrize(
    ("fields", "deadline"),
    [
        ({"handling_type": "immediate"}, "2026-11-20 23:59:59"),
        ({"handling_type": "escalate"}, "2026-11-25 23:59:59"),
        ({"handling_type": None}, None),
        ({"handling_type": "promised"}, None),  # no promised date yet
        ({"handling_type": "escalate", "accepted_at": None}, None),
    ],
)
def test_deadline_preview(fields: dict[str, object], deadline: str | None):
    values: dict[str, object] = {"accepted_at": T("2026-11-20 10:00"), **fields}
    draft = CaseDraft(**values)  # type: ignore[arg-type]
    expected = T(deadline) if deadline else None
    assert deadline_preview(draft, rules=ClockRules()) == expected
