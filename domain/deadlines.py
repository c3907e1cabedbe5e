"""五件制 clocks: deadlines, response limits, pauses, overdue and due-soon rules.

``now`` is always a parameter. Times are naive Asia/Shanghai wall-clock times; a deadline
is the last second of its day (a case due on a day is on time until that day ends).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.calendar import WorkCalendar, china_calendar
from domain.validation import CaseDraft
from domain.workflow import OPEN_STATUSES, PAUSED_STATUSES, Action, CaseStatus, HandlingType

END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class ClockRules:
    """Time limits in working days; configuration, not code (see ``config.Settings``)."""

    standard_limit_days: int = 3
    """A concern within the community's remit is finished within 3 working days."""
    response_limit_days: int = 1
    """First contact or handling within 1 working day (响应率)."""
    return_limit_days: int = 1
    """A 退回件's written reason is due within 1 working day."""
    due_soon_days: int = 1
    """'Due soon' means due by the end of the next working day."""


DEFAULT_RULES = ClockRules()


def end_of(day: dt.date) -> dt.datetime:
    """The last second of ``day``: the moment a deadline on that day passes."""
    return dt.datetime.combine(day, END_OF_DAY)


def compute_deadline(
    handling_type: HandlingType | str,
    accepted_at: dt.datetime,
    *,
    promised_date: dt.date | None = None,
    urgent: bool = False,
    rules: ClockRules = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """The deadline a case gets when it is accepted.

    即办件 and urgent cases: the same day. 承诺件: the promised date. 退回件: the written
    reason within ``return_limit_days``. 补办件 and 上报件: the standard limit (a 补办件's
    clock is extended by its pauses; a 上报件 then follows the higher level's answer date).
    """
    cal = calendar or china_calendar()
    kind = HandlingType(handling_type)
    accepted_day = accepted_at.date()
    if urgent or kind is HandlingType.IMMEDIATE:
        return end_of(accepted_day)
    if kind is HandlingType.PROMISED:
        if promised_date is None:
            raise ValueError("承诺件须填写承诺办结日期")
        if promised_date < accepted_day:
            raise ValueError("承诺办结日期不能早于受理日期")
        return end_of(promised_date)
    if kind is HandlingType.RETURN:
        return end_of(cal.add_working_days(accepted_day, rules.return_limit_days))
    return end_of(cal.add_working_days(accepted_day, rules.standard_limit_days))


def with_external_deadline(computed: dt.datetime, external_due: dt.date | None) -> dt.datetime:
    """上级转办: the deadline set by 12345 or the 街道 wins over the computed one if earlier."""
    if external_due is None:
        return computed
    return min(computed, end_of(external_due))


def response_due(
    accepted_at: dt.datetime,
    *,
    urgent: bool = False,
    rules: ClockRules = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """When the first contact or handling is due (响应时限)."""
    cal = calendar or china_calendar()
    if urgent:
        return end_of(accepted_at.date())
    return end_of(cal.add_working_days(accepted_at.date(), rules.response_limit_days))


def extend_after_pause(
    deadline_at: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    *,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """A 补办件's new deadline: the old one moved on by the working days spent waiting."""
    cal = calendar or china_calendar()
    lost = cal.working_days_between(paused_at.date(), resumed_at.date())
    return end_of(cal.add_working_days(deadline_at.date(), lost))


def is_overdue(status: CaseStatus | str, deadline_at: dt.datetime | None, now: dt.datetime) -> bool:
    """逾期: still open, clock running, and past its deadline."""
    current = CaseStatus(status)
    if deadline_at is None or current not in OPEN_STATUSES or current in PAUSED_STATUSES:
        return False
    return now > deadline_at


def due_soon_cutoff(
    now: dt.datetime, *, rules: ClockRules = DEFAULT_RULES, calendar: WorkCalendar | None = None
) -> dt.datetime:
    """Cases due at or before this moment (and not overdue yet) are 'due soon' (临期)."""
    cal = calendar or china_calendar()
    return end_of(cal.add_working_days(now.date(), rules.due_soon_days))


def is_due_soon(
    status: CaseStatus | str,
    deadline_at: dt.datetime | None,
    now: dt.datetime,
    *,
    rules: ClockRules = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> bool:
    """临期: open, clock running, not yet overdue, due within ``rules.due_soon_days``."""
    current = CaseStatus(status)
    if deadline_at is None or current not in OPEN_STATUSES or current in PAUSED_STATUSES:
        return False
    return now <= deadline_at <= due_soon_cutoff(now, rules=rules, calendar=calendar)


def deadline_preview(draft: CaseDraft, *, rules: ClockRules) -> dt.datetime | None:
    """The deadline an intake draft would get, or None while type/date are not yet valid."""
    if draft.accepted_at is None:
        return None
    if not draft.handling_type or draft.handling_type not in HandlingType.__members__.values():
        return None
    try:
        return draft_deadline(draft, rules=rules)
    except ValueError:
        return None


def draft_deadline(draft: CaseDraft, *, rules: ClockRules) -> dt.datetime:
    """The deadline of an accepted draft: its type's limit, capped by an external due date.

    Raises ``ValueError`` when the type or the accepted time is missing or invalid.
    """
    if draft.accepted_at is None or not draft.handling_type:
        raise ValueError("a deadline needs the handling type and the accepted time")
    computed = compute_deadline(
        draft.handling_type,
        draft.accepted_at,
        promised_date=draft.promised_date,
        urgent=draft.urgent,
        rules=rules,
    )
    return with_external_deadline(computed, draft.external_due_date)


def default_promised_date(
    accepted_at: dt.datetime,
    *,
    rules: ClockRules = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> dt.date:
    """A 承诺件 without a recorded promise is promised within the standard limit."""
    cal = calendar or china_calendar()
    return cal.add_working_days(accepted_at.date(), rules.standard_limit_days)


def reopened_deadline(
    now: dt.datetime,
    *,
    urgent: bool,
    rules: ClockRules = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """A case reopened by 不满意 gets a fresh standard limit from now (urgent: the same day)."""
    if urgent:
        return end_of(now.date())
    cal = calendar or china_calendar()
    return end_of(cal.add_working_days(now.date(), rules.standard_limit_days))


Pause = tuple[dt.datetime, dt.datetime]
"""A 补办 wait: from the request for materials to their arrival."""


def pauses_of(steps: Iterable[tuple[Action | str, dt.datetime]]) -> list[Pause]:
    """The closed 补办 waits in a case's (action, at) history, oldest first.

    Each 补办：通知补材料 opens a wait that the next 材料已补齐 closes; a wait still open (or
    ended by 退回) is not a pause of the handling time.
    """
    pauses: list[Pause] = []
    opened: dt.datetime | None = None
    for action, at in steps:
        act = Action(action)
        if act is Action.REQUEST_MATERIALS:
            opened = at
        elif act is Action.MATERIALS_RECEIVED and opened is not None:
            pauses.append((opened, at))
            opened = None
    return pauses


def paused_working_days(pauses: Iterable[Pause], *, calendar: WorkCalendar | None = None) -> int:
    """Working days spent waiting for materials (counted as ``extend_after_pause`` counts them)."""
    cal = calendar or china_calendar()
    return sum(cal.working_days_between(start.date(), end.date()) for start, end in pauses)


def handling_working_days(
    accepted_at: dt.datetime,
    finished_at: dt.datetime,
    *,
    pauses: Sequence[Pause] = (),
    calendar: WorkCalendar | None = None,
) -> int:
    """办理时长 in working days, acceptance to finish, without the 补办 waits (same day → 0).

    Like an SLA clock, the days a 补办件 waited for the resident's materials do not count.
    """
    cal = calendar or china_calendar()
    total = cal.working_days_between(accepted_at.date(), finished_at.date())
    return max(0, total - paused_working_days(pauses, calendar=cal))
