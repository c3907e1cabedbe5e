"""One demo case's life: planned as a list of actions, then applied through ``domain.workflow``.

The planner only chooses actions and moments; every state comes from ``next_status`` (an
action the state machine refuses raises ``TransitionError``), and every deadline from
``domain.deadlines`` under the configured ``ClockRules`` (through ``Clock``), with the same
rules as ``services.cases``: a 补办件's pause extends its deadline, a 上报件 follows the
higher level's date when that is later, and 不满意 reopens the case with a fresh limit.
No database here: the rows come out as dicts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from typing import Any, ClassVar, NamedTuple

from db.demo import text as T
from db.demo.common import MINUTE, Clock, at, office_minute, pick, rand_below, rand_int
from domain.deadlines import Pause, end_of
from domain.workflow import (
    FIRST_RESPONSE_ACTIONS,
    OPEN_STATUSES,
    Action,
    CaseStatus,
    HandlingType,
    Level,
    NotifyMethod,
    Satisfaction,
    next_status,
)

S = CaseStatus
H = HandlingType

Step = tuple[dt.datetime, Action, str, int, Any]
"""(at, action, note, actor, payload). The payload: the ``Satisfaction`` of a 回访, an
``Escalation`` of a 上报, the ``Level`` of a 办结/答复, the ``NotifyMethod`` of a 反馈; otherwise None."""

FOLLOW_UP_DATA = {
    answer: json.dumps({"satisfaction": answer.value}, sort_keys=True) for answer in Satisfaction
}
"""A 回访 event's data, as ``services.cases`` records it (the answer decides the next state)."""


class Escalation(NamedTuple):
    """A 上报 as ``services.cases`` records it: the level, the department, the answer date."""

    level: Level
    department: str
    due: dt.datetime

    @property
    def target(self) -> str:
        """``escalated_to``: 「区·城管局」."""
        return f"{self.level.label}·{self.department}"

    @property
    def data(self) -> str:
        """The 上报 event's data (``finish_level`` reads the level from it)."""
        found = {"level": self.level.value, "department": self.department}
        return json.dumps(found, ensure_ascii=False, sort_keys=True)


def escalation_to(unit: str, due: dt.datetime) -> Escalation:
    """A 上报 to ``unit`` (「街道城管办」, 「区民政局」, 「供电公司」) answered by ``due``."""
    for level in (Level.SUBDISTRICT, Level.DISTRICT):
        if unit.startswith(level.label):
            return Escalation(level, unit.removeprefix(level.label), due)
    return Escalation(Level.HIGHER_DEPARTMENT, unit, due)


class Transitions:
    """``domain.workflow.next_status``, memoised: a million cases make the same few dozen moves."""

    def __init__(self) -> None:
        self._memo: dict[tuple[CaseStatus, Action, Satisfaction | None], CaseStatus] = {}

    def __call__(
        self, status: CaseStatus, action: Action, satisfaction: Satisfaction | None = None
    ) -> CaseStatus:
        """The state ``action`` leads to from ``status``; ``TransitionError`` if not allowed."""
        key = (status, action, satisfaction)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = next_status(status, action, satisfaction).to_status
        return found


class LifePlanner:
    """Plans a case's whole life as actions in time order (some may lie after ``now``)."""

    STUCK: ClassVar[dict[HandlingType, float]] = {
        H.IMMEDIATE: 0.015,
        H.PROMISED: 0.09,
        H.SUPPLEMENT: 0.90,
        H.ESCALATE: 0.50,
    }
    """Share of cases per handling type that get stuck (补办 materials, a higher level …)."""

    LATE_DAYS: ClassVar[float] = 4.0
    """Mean calendar days a stuck case stays open past its deadline before it is done after all:
    the field reports show most cases finished within the limit and only a few percent of the
    open ones overdue, so the overdue stock is the last weeks' late cases, not the year's."""

    def __init__(
        self, rng: random.Random, clock: Clock, now: dt.datetime, *, desk: int | None = None
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.now = now
        self.desk = desk
        """The 街道 staff user who 签收 and handles what the 社区 escalate to the 街道."""

    def later(self, base: dt.datetime, workdays: int) -> dt.datetime:
        """A moment in office hours ``workdays`` working days after ``base`` (0: later today)."""
        rng = self.rng
        if workdays <= 0:
            moment = base + MINUTE * rand_int(rng, 10, 240)
            if moment.date() != base.date():
                moment = base + MINUTE * rand_int(rng, 1, 10)
            return moment
        day = self.clock.add(base.date(), workdays)
        return at(day, office_minute(rng))

    def steps(
        self,
        t0: dt.datetime,
        kind: HandlingType,
        cat: str,
        urgent: bool,
        deadline: dt.datetime,
        promised: dt.date | None,
        first: int,
        assignee: int,
        secretary: int,
        merged_into: str | None,
    ) -> list[Step]:
        """The case's whole planned life, in time order, starting with 受理."""
        rng = self.rng
        steps: list[Step] = [(t0, Action.ACCEPT, "受理登记", first, None)]
        late_response = rng.random() < 0.06 and not urgent
        # The first response: later today, or the next working day (rarely later).
        if late_response:
            t_start = self.later(t0, rand_int(rng, 2, 4))
        elif urgent or rng.random() < 0.7:
            t_start = t0 + MINUTE * rand_int(rng, 5, 120)
        else:
            t_start = self.later(t0, 1)

        if merged_into is not None:
            note = f"与{merged_into}为同一诉求，合并办理"
            steps.append((t_start, Action.MERGE, note, assignee, None))
            return steps
        if kind is H.RETURN:
            reason = pick(rng, T.RETURN_REASONS)
            steps.append((t_start, Action.RETURN, reason, assignee, None))
            return steps

        stuck = rng.random() < self.STUCK[kind]
        age = (self.now - t0).days
        if stuck and kind is H.SUPPLEMENT and age > 150 and rng.random() < 0.1:
            stuck = False  # old paperwork came in the end (the clock stops while it waits)
        answered = cat == "政策咨询" or rng.random() < 0.12
        level = Level.COMMUNITY
        t = t_start
        if kind is H.IMMEDIATE and not late_response and not stuck:
            t = t0 + MINUTE * rand_int(rng, 10, 180)
            if t.date() != t0.date():
                t = t0 + MINUTE * rand_int(rng, 1, 9)
            if rng.random() < 0.05:
                steps.append((t, Action.START, "现场查看", assignee, None))
                t = self.later(t, rand_int(rng, 1, 2))  # could not be done the same day after all
            return self._finish(steps, t, cat, answered, level, assignee, secretary, reopen=True)

        steps.append((t, Action.START, "已联系反映人，安排处理", assignee, None))
        if kind is H.SUPPLEMENT:
            t_req = t + MINUTE * rand_int(rng, 5, 60)
            materials = pick(rng, T.MATERIAL_LISTS)
            steps.append(
                (t_req, Action.REQUEST_MATERIALS, f"告知需补交：{materials}", assignee, None)
            )
            if stuck:
                return self._reminders(steps, t_req, secretary, deadline, paused=True)
            t = self.later(t_req, rand_int(rng, 1, 12))
            steps.append((t, Action.MATERIALS_RECEIVED, "材料已补齐", assignee, None))
            t = self.later(t, pick(rng, (0, 1, 1, 2, 2, 3, 5)))
        elif kind is H.ESCALATE:
            units = T.ESCALATION_UNITS[cat]
            unit = units[rand_below(rng, 0, len(units))]
            t_esc = self.later(t, pick(rng, (0, 0, 1, 2)))
            esc_days = pick(rng, (10, 15, 20, 30, 40, 60))  # 信访 matters: 60 days
            esc_due = end_of(self.clock.add(t_esc.date(), esc_days))
            escalation = escalation_to(unit, esc_due)
            if escalation.level is Level.SUBDISTRICT and self.desk is not None:
                return self._at_subdistrict(
                    steps, t_esc, escalation, cat, answered, assignee, secretary, stuck
                )
            steps.append((t_esc, Action.ESCALATE, f"上报{unit}", assignee, escalation))
            if stuck and self.still_stuck(esc_due):
                return self._reminders(steps, t_esc, secretary, esc_due, paused=False)
            level = escalation.level
            if rng.random() < 0.08:
                level = Level.COMMUNITY  # the higher level advised; the community did it
            if rng.random() < 0.85:
                t = self.later(t_esc, rand_int(rng, 3, esc_days - 1))
            else:
                t = self.later(t_esc, esc_days + rand_int(rng, 1, 15))
            if rng.random() < 0.6:
                steps.append((t, Action.ESCALATION_ANSWERED, f"{unit}已答复", assignee, None))
                t = self.later(t, pick(rng, (0, 1, 2, 3, 5)))
            else:
                answered = True
        else:
            if stuck and self.still_stuck(deadline):
                return self._reminders(steps, t, secretary, deadline, paused=False)
            if kind is H.PROMISED and promised is not None:
                span = max(self.clock.working_days(t.date(), promised), 0)
                if rng.random() < 0.9:
                    t = self.later(t, rand_int(rng, 0, span))
                else:
                    t = self.later(t, span + rand_int(rng, 1, 8))
            else:
                t = self.later(t, pick(rng, (0, 0, 1, 1, 2, 3, 4)))
        return self._finish(steps, t, cat, answered, level, assignee, secretary, reopen=True)

    def still_stuck(self, due: dt.datetime) -> bool:
        """Whether a stuck case is still open at ``now``: the longer past ``due``, the less likely."""
        late = (self.now - due).total_seconds() / 86400
        return late <= 0 or self.rng.random() < math.exp(-late / self.LATE_DAYS)

    def _at_subdistrict(
        self,
        steps: list[Step],
        t_esc: dt.datetime,
        escalation: Escalation,
        cat: str,
        answered: bool,
        assignee: int,
        secretary: int,
        stuck: bool,
    ) -> list[Step]:
        """上报街道: the 街道 staff 签收 and answer it, or give it back (退回社区) now and then."""
        rng, desk = self.rng, self.desk
        assert desk is not None
        unit = escalation.target.replace("·", "")
        steps.append((t_esc, Action.ESCALATE_TO_SUBDISTRICT, f"上报{unit}", assignee, escalation))
        stuck = stuck and self.still_stuck(escalation.due)
        if stuck and rng.random() < 0.5:
            return self._reminders(steps, t_esc, secretary, escalation.due, paused=False)
        t = self.later(t_esc, pick(rng, (0, 0, 1)))
        steps.append((t, Action.SIGN_FOR, "街道已签收", desk, None))
        if stuck:
            return self._reminders(steps, t, secretary, escalation.due, paused=False)
        if rng.random() < 0.08:
            t = self.later(t, rand_int(rng, 1, 3))
            steps.append((t, Action.HAND_BACK, pick(rng, T.HAND_BACK_REASONS), desk, None))
            t = self.later(t, pick(rng, (0, 1, 2, 3)))
            return self._finish(
                steps, t, cat, answered, Level.COMMUNITY, assignee, secretary, reopen=True
            )
        t = self.later(t, rand_int(rng, 1, 8))
        return self._finish(
            steps, t, cat, answered, Level.SUBDISTRICT, assignee, secretary, reopen=True,
            finisher=desk,
        )  # fmt: skip

    def _reminders(
        self,
        steps: list[Step],
        t: dt.datetime,
        secretary: int,
        deadline: dt.datetime,
        *,
        paused: bool,
    ) -> list[Step]:
        """A stuck case gets 催办 from the secretary after its deadline passes."""
        if not paused and self.rng.random() < 0.7:
            t_remind = self.later(max(t, deadline), 1)
            steps.append((t_remind, Action.REMIND, "书记催办，请加快办理", secretary, None))
        return steps

    def _finish(
        self,
        steps: list[Step],
        t: dt.datetime,
        cat: str,
        answered: bool,
        level: Level,
        assignee: int,
        secretary: int,
        *,
        reopen: bool,
        finisher: int | None = None,
    ) -> list[Step]:
        """办结/答复 → 反馈 → 回访 → 归档, with a dissatisfied answer reopening the case.

        ``finisher`` (the 街道 staff) records the 办结/答复 of a case the 街道 holds; the 社区
        (``assignee``) tells the resident and calls back.
        """
        rng = self.rng
        by = assignee if finisher is None else finisher
        if answered:
            result = pick(rng, T.ANSWERED_RESULTS)
            steps.append((t, Action.FINISH_ANSWERED, result, by, level))
        else:
            results = T.RESOLVED_RESULTS[cat]
            result = results[rand_below(rng, 0, len(results))]
            steps.append((t, Action.FINISH_RESOLVED, result, by, level))
        if rng.random() < 0.03:
            return steps  # never told the resident: stays 已办结/已答复
        t = self.later(t, 0 if rng.random() < 0.6 else rand_int(rng, 1, 2))
        method = rng.choices(
            (NotifyMethod.PHONE, NotifyMethod.HOME, NotifyMethod.LETTER), (70, 22, 8)
        )[0]
        steps.append((t, Action.NOTIFY, f"{method.label}办理结果", assignee, method))
        if rng.random() < (0.1 if reopen else 0.6):
            return steps  # no follow-up call (yet); after a redo, often none at all
        t = self.later(t, rand_int(rng, 1, 8))
        r = rng.random()
        if r < 0.07:
            answer = Satisfaction.NO_ANSWER
        elif reopen and r < 0.07 + 0.085:
            answer = Satisfaction.DISSATISFIED
        elif r < 0.82:
            answer = Satisfaction.SATISFIED
        else:
            answer = Satisfaction.BASICALLY_SATISFIED
        if answer is Satisfaction.DISSATISFIED:
            steps.append((t, Action.FOLLOW_UP, "回访：不满意，重新办理", assignee, answer))
            if rng.random() < 0.5 and self.still_stuck(t):
                return self._reminders(steps, t, secretary, t, paused=False)
            t = self.later(t, rand_int(rng, 2, 10))
            return self._finish(steps, t, cat, answered, level, assignee, secretary, reopen=False)
        steps.append((t, Action.FOLLOW_UP, f"回访：{answer.label}", assignee, answer))
        if rng.random() < 0.8:
            t = self.later(t, rand_int(rng, 5, 30))
            steps.append((t, Action.ARCHIVE, "资料归档", secretary, None))
        return steps


class Lifecycle:
    """Applies planned steps up to ``now`` through the state machine: a case's fields and events."""

    def __init__(self, clock: Clock, now: dt.datetime, *, first_event_id: int) -> None:
        self.clock = clock
        self.now = now
        self.transitions = Transitions()
        self.next_event = first_event_id

    def apply(
        self,
        steps: list[Step],
        *,
        case_id: int,
        deadline: dt.datetime,
        urgent: bool,
        events: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        """Walk ``steps`` (the first one is 受理) up to ``now``; append events to ``events``."""
        now = self.now
        move = self.transitions
        clock = self.clock
        t0 = steps[0][0]
        status = S.ACCEPTED
        first_response = paused_at = escalated_to = escalation_due = None
        finished_at = result = return_reason = level = None
        notified_at = notify_method = followed_up_at = satisfaction = None
        pauses: list[Pause] = []
        updated = t0
        for moment, action, note, actor, payload in steps:
            if moment > now:
                break
            before: CaseStatus | None = status
            data = None
            if action is Action.ACCEPT:
                before = None  # 受理 creates the case in its first state
            else:
                status = move(status, action, payload if action is Action.FOLLOW_UP else None)
                if first_response is None and action in FIRST_RESPONSE_ACTIONS:
                    first_response = moment
            if action is Action.REQUEST_MATERIALS:
                paused_at = moment
            elif action is Action.MATERIALS_RECEIVED:
                if paused_at is not None:
                    deadline = clock.extend(deadline, paused_at, moment)
                    pauses.append((paused_at, moment))
                paused_at = None
            elif action is Action.ESCALATE or action is Action.ESCALATE_TO_SUBDISTRICT:
                escalated_to, escalation_due, data = payload.target, payload.due, payload.data
                # A 上报件 follows the higher level's date when that is later than its own.
                deadline = max(deadline, escalation_due)
            elif action is Action.FINISH_RESOLVED or action is Action.FINISH_ANSWERED:
                finished_at, result, level = moment, note, payload
            elif action is Action.NOTIFY:
                notified_at, notify_method = moment, payload.value
            elif action is Action.FOLLOW_UP:
                followed_up_at, satisfaction = moment, payload.value
                data = FOLLOW_UP_DATA[payload]
                if status in OPEN_STATUSES:  # 不满意 reopens the case with a fresh limit
                    deadline = clock.reopened(moment, urgent)
            elif action is Action.RETURN:
                return_reason = note
                paused_at = None
            updated = moment
            if events is not None:
                events.append(
                    {
                        "id": self.next_event,
                        "case_id": case_id,
                        "actor_id": actor,
                        "at": moment,
                        "action": action.value,
                        "from_status": None if before is None else before.value,
                        "to_status": status.value,
                        "note": note,
                        "data": data,
                    }
                )
                self.next_event += 1
        if status in OPEN_STATUSES:
            finished_at = result = level = None
        return {
            "status": status.value,
            "deadline_at": deadline,
            "first_response_at": first_response,
            "paused_at": paused_at if status is S.AWAITING_MATERIALS else None,
            "escalated_to": escalated_to,
            "escalation_due_at": escalation_due,
            "finished_at": finished_at,
            "handling_working_days": None
            if finished_at is None
            else clock.handling_days(t0, finished_at, pauses),
            "resolved_level": None if level is None else level.value,
            "result": result,
            "return_reason": return_reason,
            "notified_at": notified_at,
            "notify_method": notify_method,
            "followed_up_at": followed_up_at,
            "satisfaction": satisfaction,
            "updated_at": updated,
        }
