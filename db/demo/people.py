"""The demo's 党建联户 rows (issue 8): 联户 links, the default 积分 rules, past 接待日 sessions
and, with events, 三议 meetings on open cases."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.demo import text as T
from db.demo.common import Period, at, pick, rand_below, rand_int
from db.demo.lifecycle import Transitions
from db.demo.territory import COMMUNITIES, Cell, Territory
from db.demo.writer import BulkWriter
from db.models import (
    Case,
    CaseEvent,
    Deliberation,
    LiaisonLink,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
)
from db.models import PointRule as PointRuleRow
from domain.deadlines import end_of
from domain.deliberation import DECIDING_STAGE as DELIBERATION_DECIDING
from domain.deliberation import ORDER as DELIBERATION_ORDER
from domain.reference import TargetGroup
from domain.workflow import Action, CaseStatus, Channel
from services.people import ensure_point_rules


class PeopleWriter:
    """Writes the 党建联户 section after every other row, from a random stream of its own."""

    def __init__(
        self, writer: BulkWriter, territory: Territory, period: Period, *, seed: int
    ) -> None:
        self.writer = writer
        self.territory = territory
        self.period = period
        self.seed = seed
        self.transitions = Transitions()

    def write(self, *, with_events: bool) -> None:
        """联户 links, the default 积分 rules, past 接待日 sessions and (with events) 三议.

        Written after every other row and driven by a random stream of its own, so the rows
        above are the same with or without this section.
        """
        rng = random.Random(f"people-{self.seed}")
        self._point_rules()
        self._liaison(rng)
        self._reception(rng)
        if with_events:
            self._deliberations(rng)

    def _point_rules(self) -> None:
        """The default 积分 rules, as the app seeds them (``services.people``)."""
        with Session(bind=self.writer.conn) as session:
            count = select(func.count()).select_from(PointRuleRow)
            before = session.scalar(count) or 0
            ensure_point_rules(session)
            self.writer.counts["point_rules"] += (session.scalar(count) or 0) - before

    def _liaison(self, rng: random.Random) -> None:
        """1+2+X: each cell's two collectors (and a third member in most cells) liaise with one
        or two buildings (a resident group and its households) and one poor household; the
        片长 takes buildings left over. About one building in six has no liaison yet."""
        poor = (TargetGroup.LOW_INCOME, TargetGroup.POOR_PARTY_MEMBER, TargetGroup.DISABLED)
        needy: dict[int, list[int]] = {}
        for cell, hid, _, group in self.territory.tagged:
            if group in poor:
                needy.setdefault(cell.id, []).append(hid)
        rows: list[dict[str, Any]] = []

        def link(pid: int, cell: Cell, household: int | None, group: str | None) -> None:
            rows.append(
                {
                    "person_id": pid,
                    "grid_cell_id": cell.id,
                    "household_id": household,
                    "group_name": group,
                    "since": self.period.start,
                }
            )

        for k in range(len(COMMUNITIES)):
            members = self.territory.members[k]
            cells = [c for c in self.territory.cells if c.community == k]
            for ci, cell in enumerate(cells):
                team = [members[(2 * ci) % len(members)], members[(2 * ci + 1) % len(members)]]
                if 24 + ci < len(members):
                    team.append(members[24 + ci])
                buildings = list(dict.fromkeys(h[3] for h in cell.households))
                covered = [b for b in buildings if rng.random() < 0.84] or buildings[:1]
                share: dict[int, list[str]] = {pid: [] for pid in team}
                for n, building in enumerate(covered):
                    pid = team[n % len(team)]
                    if len(share[pid]) >= 2:
                        pid = self.territory.leaders[cell.id]
                        share.setdefault(pid, [])
                    share[pid].append(building)
                for n, pid in enumerate(team):
                    if not share[pid]:  # more members than buildings: two share one
                        share[pid].append(covered[n % len(covered)])
                for pid, taken in share.items():
                    for building in taken:
                        link(pid, cell, None, f"{cell.estate}{building}居民小组")
                        for hid, _, _, b in cell.households:
                            if b == building:
                                link(pid, cell, hid, None)
                candidates = needy.get(cell.id, [])
                for pid in team:
                    if candidates:
                        link(pid, cell, pick(rng, candidates), None)
        unique: dict[tuple[int, int | None, str | None], dict[str, Any]] = {}
        for row in rows:
            unique.setdefault((row["person_id"], row["household_id"], row["group_name"]), row)
        kept = list(unique.values())
        ids = self.writer.ids(LiaisonLink, len(kept))
        self.writer.write(LiaisonLink, [{"id": i, **r} for i, r in zip(ids, kept, strict=True)])

    def _reception(self, rng: random.Random) -> None:
        """接待日 sessions (Tuesday mornings) of the last three months: one per 社区 and day
        that has 接待日 cases, with one to three deputies; those cases are linked to it."""
        since = dt.datetime.combine(self.period.today - dt.timedelta(days=91), dt.time())
        found = self.writer.conn.execute(
            select(Case.id, Case.accepted_at, Case.community_id)
            .where(Case.channel == Channel.RECEPTION_DAY.value, Case.accepted_at >= since)
            .order_by(Case.accepted_at, Case.id)
        ).all()
        days: dict[tuple[dt.date, int], list[int]] = {}
        for cid, accepted, community_id in found:
            days.setdefault((accepted.date(), community_id), []).append(cid)
        sessions, deputies, concerns = [], [], []
        index = {cid: k for k, cid in enumerate(self.territory.community_ids)}
        for sid, ((day, community_id), case_ids) in zip(
            self.writer.ids(ReceptionSession, len(days)), sorted(days.items()), strict=True
        ):
            k = index[community_id]
            held = at(day, 510)
            sessions.append(
                {
                    "id": sid,
                    "community_id": community_id,
                    "held_at": held,
                    "place": f"{COMMUNITIES[k][0]}党群服务中心接待室",
                    "topic": pick(rng, T.RECEPTION_TOPICS),
                    "created_by_id": self.territory.secretary[k],
                    "created_at": at(day - dt.timedelta(days=7), 570),
                }
            )
            own = self.territory.deputies[k]
            chosen = own if rng.random() < 0.5 else [pick(rng, own)]
            if rng.random() < 0.3:
                chosen = [
                    *chosen,
                    self.territory.deputies[(k + 1) % len(COMMUNITIES)][rand_below(rng, 0, 2)],
                ]
            deputies += [{"session_id": sid, "person_id": pid} for pid in chosen]
            concerns += [{"case_id": cid, "session_id": sid} for cid in case_ids]
        self.writer.write(ReceptionSession, sessions)
        self.writer.write(ReceptionDeputy, deputies)
        self.writer.write(ReceptionConcern, concerns)

    def _deliberations(self, rng: random.Random) -> None:
        """三议 on two open 民生项目 cases: one through all three meetings (the 党员大会 confirms
        the 承办人 and 办理时限 it already has), one waiting for its 党员大会. Each meeting is
        appended to the case's events after its last step, as ``services.deliberation`` does."""
        last = (
            select(CaseEvent.case_id, func.max(CaseEvent.at).label("last_at"))
            .group_by(CaseEvent.case_id)
            .subquery()
        )
        candidates = self.writer.conn.execute(
            select(
                Case.id,
                Case.status,
                Case.community_id,
                Case.assignee_id,
                Case.deadline_at,
                last.c.last_at,
            )
            .join(last, last.c.case_id == Case.id)
            .where(
                Case.status == CaseStatus.IN_PROGRESS.value,
                Case.category_id == self.territory.categories["民生项目"],
                Case.assignee_id.is_not(None),
            )
            .order_by(Case.accepted_at.desc(), Case.id.desc())
        ).all()
        index = {cid: k for k, cid in enumerate(self.territory.community_ids)}
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        plans: list[tuple[Any, int]] = []
        for row in candidates:
            gap = (self.period.today - row.last_at.date()).days
            deadline = row.deadline_at
            decided = not plans
            if gap < 10 or (decided and (deadline is None or deadline != end_of(deadline.date()))):
                continue
            if decided and deadline.date() < self.period.today:
                continue
            plans.append((row, 3 if decided else 2))
            if len(plans) == 2:
                break
        for row, meetings in plans:
            secretary = self.territory.secretary[index[row.community_id]]
            step = max((self.period.today - row.last_at.date()).days // (meetings + 1), 1)
            for n, stage in enumerate(DELIBERATION_ORDER[:meetings], start=1):
                day = row.last_at.date() + dt.timedelta(days=step * n)
                met = at(day, 1170)  # meetings are held in the evening
                attendees = rand_int(rng, 6, 12) if n < 3 else rand_int(rng, 25, 60)
                minutes = T.DELIBERATION_MINUTES[stage.value]
                deciding = stage is DELIBERATION_DECIDING
                decision = T.DELIBERATION_DECISION if deciding else None
                due = row.deadline_at.date() if deciding else None
                rows.append(
                    {
                        "case_id": row.id,
                        "stage": stage.value,
                        "meeting_date": day,
                        "attendees": attendees,
                        "minutes": minutes,
                        "decision": decision,
                        "responsible_id": row.assignee_id if deciding else None,
                        "due_date": due,
                        "recorded_by_id": secretary,
                        "recorded_at": met,
                    }
                )
                data = {
                    "stage": stage.value,
                    "meeting_date": day.isoformat(),
                    "attendees": attendees,
                }
                note = f"{stage.label}（{day:%Y-%m-%d}，到会 {attendees} 人）：{minutes}"
                events.append(self._event_row(row, secretary, met, Action.DELIBERATE, note, data))
                if deciding:
                    events.append(
                        self._event_row(
                            row,
                            secretary,
                            met,
                            Action.DELIBERATION_DECISION,
                            decision,
                            {"stage": stage.value},
                        )
                    )
        ids = self.writer.ids(Deliberation, len(rows))
        self.writer.write(Deliberation, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
        self.writer.write(CaseEvent, events)

    def _event_row(
        self,
        row: Any,
        actor: int,
        moment: dt.datetime,
        action: Action,
        note: str | None,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """One 三议 event, its state move checked by the state machine."""
        before = CaseStatus(row.status)
        return {
            "id": self.writer.ids(CaseEvent, 1)[0],
            "case_id": row.id,
            "actor_id": actor,
            "at": moment,
            "action": action.value,
            "from_status": before.value,
            "to_status": self.transitions(before, action).value,
            "note": note,
            "data": json.dumps(data, ensure_ascii=False, default=str, sort_keys=True),
        }
