"""The demo's cases: arrivals per day and channel, who reported what where, 重信, and each
case's life (``db.demo.lifecycle``) written with its events."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from db.demo import text as T
from db.demo.activity import Activity
from db.demo.common import (
    CHUNK,
    MINUTE,
    Clock,
    Period,
    Picker,
    at,
    mobile,
    office_minute,
    person_name,
    pick,
    rand_below,
    rand_int,
)
from db.demo.lifecycle import Lifecycle, LifePlanner
from db.demo.territory import Cell, Territory, point_in_cell
from db.demo.writer import BulkWriter, table_of
from db.models import Case, CaseEvent, CaseNumberCounter, Visit
from domain.workflow import Channel, HandlingType

H = HandlingType


@dataclass
class Batch:
    """Rows of up to ``CHUNK`` cases, written together."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)


class CaseWriter:
    """Writes the cases in accepted order: who, what, where, and each one's life up to ``now``."""

    CATEGORY_WEIGHTS: ClassVar[dict[Any, Any]] = {
        "政策咨询": 17,
        "矛盾纠纷": 12,
        "困难救助": 15,
        "环境卫生": 25,
        "民生项目": 19,
        "社区事务": 12,
    }
    # category → weights of (immediate, promised, supplement, escalate, return)
    HANDLING_WEIGHTS: ClassVar[dict[Any, Any]] = {
        "政策咨询": (80, 12, 2, 2, 4),
        "矛盾纠纷": (30, 50, 0, 14, 6),
        "困难救助": (8, 22, 55, 10, 5),
        "环境卫生": (45, 40, 0, 12, 3),
        "民生项目": (18, 48, 6, 24, 4),
        "社区事务": (56, 26, 12, 3, 3),
    }
    HANDLING_ORDER = (H.IMMEDIATE, H.PROMISED, H.SUPPLEMENT, H.ESCALATE, H.RETURN)
    CHANNEL_WEIGHTS: ClassVar[dict[Any, Any]] = {
        Channel.MAILBOX: 9,
        Channel.HOTLINE: 21,
        Channel.CONTACT_CARD: 10,
        Channel.INFORMANT: 10,
        Channel.DIARY: 4,
        Channel.RECEPTION_DAY: 6,
        Channel.HOME_VISIT: 14,
        Channel.LETTER_VISIT: 8,
        Channel.CHAT_GROUP: 10,
        Channel.FORWARDED: 5,
        Channel.SUGGESTION_BOX: 3,
    }
    OFF_DAY_CHANNELS = (Channel.HOTLINE, Channel.CHAT_GROUP, Channel.INFORMANT, Channel.HOME_VISIT)
    ANONYMOUS: ClassVar[dict[Any, Any]] = {
        Channel.SUGGESTION_BOX: 0.6,
        Channel.MAILBOX: 0.25,
        Channel.FORWARDED: 0.1,
    }

    def __init__(
        self,
        writer: BulkWriter,
        territory: Territory,
        activity: Activity,
        period: Period,
        clock: Clock,
        *,
        n_cases: int,
        with_events: bool,
    ) -> None:
        self.writer = writer
        self.territory = territory
        self.activity = activity
        self.period = period
        self.rng = activity.rng
        self.clock = clock
        self.now = period.now
        self.n_cases = n_cases
        self.with_events = with_events
        self.category = Picker(list(self.CATEGORY_WEIGHTS), list(self.CATEGORY_WEIGHTS.values()))
        self.handling = {
            cat: Picker(self.HANDLING_ORDER, w) for cat, w in self.HANDLING_WEIGHTS.items()
        }
        self.templates = {
            cat: Picker([t for t, _ in items], [w for _, w in items])
            for cat, items in T.CASE_TEMPLATES.items()
        }
        self.channel = Picker(list(self.CHANNEL_WEIGHTS), list(self.CHANNEL_WEIGHTS.values()))
        self.cell = Picker(territory.cells, [c.weight for c in territory.cells])
        self.recent: dict[tuple[int, str], list[tuple[int, str, dt.datetime, Any]]] = {}
        self.next_visit = writer.ids(Visit, 0).start
        self.planner = LifePlanner(self.rng, clock, self.now, desk=territory.subdistrict_staff)
        self.lifecycle = Lifecycle(clock, self.now, first_event_id=writer.ids(CaseEvent, 0).start)

    def arrivals(self, day: dt.date, n: int) -> list[tuple[dt.datetime, Channel]]:
        """``n`` (moment, channel) pairs of one day, in time order."""
        rng = self.rng
        workday = self.clock.cal.is_workday(day)
        out = []
        for _ in range(n):
            channel = self.channel(rng)
            if not workday and channel not in self.OFF_DAY_CHANNELS:
                channel = self.OFF_DAY_CHANNELS[rand_below(rng, 0, 4)]
            if channel is Channel.RECEPTION_DAY and day.weekday() != 1:
                channel = Channel.LETTER_VISIT  # 接待日 is Tuesday morning
            if channel is Channel.MAILBOX:
                minute = rand_below(rng, 480, 570)  # opened every morning
            elif channel is Channel.RECEPTION_DAY:
                minute = rand_below(rng, 510, 690)
            elif channel in (Channel.HOTLINE, Channel.CHAT_GROUP) and rng.random() < 0.2:
                minute = rand_below(rng, 1080, 1290)
            else:
                minute = office_minute(rng)
            moment = at(day, minute) + dt.timedelta(seconds=rand_below(rng, 0, 60))
            if day == self.period.today:
                moment = self.period.clip_today(rng, moment)
            out.append((moment, channel))
        out.sort(key=lambda p: p[0])
        return out

    # ------------------------------------------------------------ helpers

    def _reporter(self, cell: Cell, channel: Channel) -> tuple[str | None, str | None, Any, bool]:
        rng = self.rng
        if channel is not Channel.HOME_VISIT and rng.random() < self.ANONYMOUS.get(channel, 0.02):
            return None, None, None, True
        if channel is Channel.HOME_VISIT or rng.random() < 0.55:
            hid, head, phone, _ = cell.households[rand_below(rng, 0, len(cell.households))]
            return head, phone or mobile(rng), hid, False
        return person_name(rng), mobile(rng), None, False

    def _description(self, cat: str, cell: Cell, name: str | None) -> str:
        rng = self.rng
        template = self.templates[cat](rng)
        if "{factory}" in template and cell.factory is None:
            cell_factory = pick(rng, T.FACTORIES)
        else:
            cell_factory = cell.factory or ""
        return template.format(
            estate=cell.estate,
            road=pick(rng, T.ROADS),
            factory=cell_factory,
            b=rand_int(rng, 1, 12),
            u=rand_int(rng, 1, 3),
            f=rand_int(rng, 3, 7),
            n=rand_int(rng, 2, 15),
            h=pick(rng, (12, 16, 20, 24, 36, 300)),
            k=rand_int(rng, 2, 4),
            name=name or "一位居民",
        )

    # ------------------------------------------------------------ one case

    def plan(
        self, batch: Batch, case_id: int, case_no: str, t0: dt.datetime, channel: Channel
    ) -> None:
        """Plan one case's life, keep what happened by ``now`` and add its rows to ``batch``."""
        rng = self.rng
        g = self.territory
        cell: Cell = self.cell(rng)
        cat = self.category(rng)
        kind: HandlingType = self.handling[cat](rng)
        urgent = cat in ("环境卫生", "民生项目", "矛盾纠纷") and rng.random() < 0.05
        if urgent and kind in (H.SUPPLEMENT, H.RETURN):
            kind = H.IMMEDIATE
        name, phone, household, anonymous = self._reporter(cell, channel)

        # 重信: the same place and category (often the same person) within the last months.
        repeat_of = None
        merged_into = None
        description = ""
        key = (cell.id, cat)
        earlier = self.recent.get(key)
        if earlier and rng.random() < 0.09:
            prev_id, prev_no, prev_at, prev_who = earlier[-1 - rand_below(rng, 0, len(earlier))]
            if (t0 - prev_at).days <= 120:
                repeat_of = prev_id
                same_person = prev_who is not None and (
                    channel is not Channel.HOME_VISIT or prev_who[2] is not None
                )
                if same_person and rng.random() < 0.6:
                    name, phone, household, anonymous = prev_who
                description = "再次反映：" + self._description(cat, cell, name)
                if (t0 - prev_at).days <= 5 and kind is not H.RETURN and rng.random() < 0.3:
                    merged_into = prev_no
        if not description:
            description = self._description(cat, cell, name)
        who = None if anonymous else (name, phone, household, anonymous)
        bucket = self.recent.setdefault(key, [])
        bucket.append((case_id, case_no, t0, who))
        if len(bucket) > 6:
            del bucket[0]

        pool = g.staff[cell.community]
        in_gw = cell.id in g.gw_cells
        if in_gw and channel in (Channel.HOME_VISIT, Channel.INFORMANT):
            first = g.gridworker
        else:
            first = pool[rand_below(rng, 0, len(pool))]
        if in_gw and rng.random() < 0.5:
            assignee = g.gridworker
        else:
            assignee = first if rng.random() < 0.6 else pool[rand_below(rng, 0, len(pool))]
        secretary = g.secretary[cell.community]

        visit_id = None
        if channel is Channel.HOME_VISIT:
            visit_id = self.next_visit
            self.next_visit += 1
            hh = next(h for h in cell.households if h[0] == household)
            seen = t0 - MINUTE * rand_int(rng, 10, 90)
            if seen.date() != t0.date():
                seen = t0
            batch.visits.append(
                self.activity.visit_row(
                    rng, visit_id, cell, hh, seen, f"走访中发现：{description[:40]}"
                )
            )
            self.writer.next_id["visits"] = self.next_visit

        day0 = t0.date()
        promised = None
        if kind is H.PROMISED:
            if cat != "民生项目":
                span = rand_int(rng, 1, 5)
            elif rng.random() < 0.7:
                span = rand_int(rng, 5, 15)
            else:
                span = rand_int(rng, 20, 40)  # a works project: promised weeks ahead
            promised = self.clock.add(day0, span)
        deadline = self.clock.deadline(kind.value, day0, promised, urgent)
        due = self.clock.response(day0, urgent)
        lat = lon = None
        if cat != "政策咨询" and rng.random() < 0.8:
            lat, lon = point_in_cell(rng, cell)

        steps = self.planner.steps(
            t0, kind, cat, urgent, deadline, promised, first, assignee, secretary, merged_into
        )
        events = batch.events if self.with_events else None
        row = self.lifecycle.apply(
            steps, case_id=case_id, deadline=deadline, urgent=urgent, events=events
        )
        row.update(
            id=case_id,
            case_no=case_no,
            channel=channel.value,
            category_id=g.categories[cat],
            handling_type=kind.value,
            is_urgent=urgent,
            community_id=cell.community_id,
            grid_cell_id=cell.id,
            household_id=household,
            visit_id=visit_id,
            description=description,
            reporter_name=name,
            reporter_phone=phone,
            is_anonymous=anonymous,
            latitude=lat,
            longitude=lon,
            first_handler_id=first,
            assignee_id=assignee,
            accepted_at=t0,
            promised_date=promised,
            response_due_at=due,
            repeat_of_id=repeat_of,
            is_repeat=repeat_of is not None,
            version=1,
        )
        batch.cases.append(row)

    def write(self, day_weights: list[tuple[dt.date, float]]) -> None:
        """Cases in accepted order, numbered gap-free per year, with their events."""
        rng = self.rng
        days = [d for d, _ in day_weights]
        per_day = Counter(
            rng.choices(range(len(days)), [w for _, w in day_weights], k=self.n_cases)
        )
        first_case = self.writer.ids(Case, self.n_cases).start
        case_id = first_case
        seq: Counter[int] = Counter()
        batch: Batch = Batch()
        for index, day in enumerate(days):
            arrivals = self.arrivals(day, per_day.get(index, 0))
            for moment, channel in arrivals:
                seq[moment.year] += 1
                case_no = f"MQ-{moment.year}-{seq[moment.year]:06d}"
                self.plan(batch, case_id, case_no, moment, channel)
                case_id += 1
                if len(batch.cases) >= CHUNK:
                    self._flush(batch)
                    batch = Batch()
        self._flush(batch)
        self.writer.next_id["case_events"] = self.lifecycle.next_event
        self.writer.conn.execute(
            table_of(CaseNumberCounter).delete().where(CaseNumberCounter.year.in_(list(seq)))
        )
        self.writer.write(
            CaseNumberCounter, [{"year": y, "last_seq": n} for y, n in sorted(seq.items())]
        )

    def _flush(self, batch: Batch) -> None:
        """Write a batch: the visits that found cases, the cases, then their events."""
        if batch.visits:
            self.writer.write(Visit, batch.visits)
        if batch.cases:
            self.writer.write(Case, batch.cases)
        if batch.events:
            self.writer.write(CaseEvent, batch.events)

    # ------------------------------------------------------------ 党建联户 (issue 8)
