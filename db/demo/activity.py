"""The demo's visits (走访) and assistance (帮扶) records over the twelve months."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from db.demo import text as T
from db.demo.common import Period, Picker, at, office_minute, pick, rand_below, rand_int
from db.demo.territory import Cell, HouseholdRef, Territory
from db.demo.writer import BulkWriter
from db.models import Assistance, Visit
from domain.reference import AssistanceKind, TargetGroup


class Activity:
    """Writes the routine visits and the assistance records of the territory's cells."""

    def __init__(
        self,
        writer: BulkWriter,
        territory: Territory,
        period: Period,
        rng: random.Random,
        *,
        n_cases: int,
    ) -> None:
        self.writer = writer
        self.territory = territory
        self.period = period
        self.rng = rng
        self.n_cases = n_cases

    def visit_row(
        self,
        rng: random.Random,
        vid: int,
        cell: Cell,
        household: HouseholdRef,
        visited_at: dt.datetime,
        notes: str,
    ) -> dict[str, Any]:
        """One visit of ``household`` by the cell's people."""
        return {
            "id": vid,
            "grid_cell_id": cell.id,
            "household_id": household[0],
            "building": household[3],
            "visited_at": visited_at,
            "visitors": self.territory.visitors(rng, cell),
            "people_met": pick(rng, (1, 1, 2, 2, 2, 3, 3, 4)),
            "notes": notes,
            "recorded_by_id": self.territory.recorder(cell),
        }

    def _visit_moment(self, rng: random.Random, day_pick: Picker[dt.date]) -> dt.datetime:
        day = day_pick(rng)
        r = rng.random()
        if r < 0.45:
            minute = rand_below(rng, 540, 690)
        elif r < 0.85:
            minute = rand_below(rng, 870, 1050)
        else:
            minute = rand_below(rng, 1140, 1230)  # evenings, when people are home
        moment = at(day, minute)
        return self.period.clip_today(rng, moment) if day == self.period.today else moment

    def write_visits(self, day_pick: Picker[dt.date]) -> None:
        """Routine visits: most households at least once, target groups more often."""
        rng = self.rng
        writer = self.writer
        territory = self.territory
        n_households = len(territory.households)
        total = min(max(int(self.n_cases * 1.2), int(n_households * 1.4)), 200_000)
        order = list(range(n_households))
        rng.shuffle(order)
        first_round = order[: int(n_households * rng.uniform(0.88, 0.93))]
        tagged_ids = {hid for _, hid, _, _ in territory.tagged}
        weights = [3.0 if h[0] in tagged_ids else 1.0 for _, h in territory.households]
        repeat = Picker(range(n_households), weights)
        picks = first_round + [repeat(rng) for _ in range(max(total - len(first_round), 0))]
        ids = writer.ids(Visit, len(picks))
        rows = []
        for vid, idx in zip(ids, picks, strict=True):
            cell, household = territory.households[idx]
            moment = self._visit_moment(rng, day_pick)
            rows.append(self.visit_row(rng, vid, cell, household, moment, pick(rng, T.VISIT_NOTES)))
        rows.sort(key=lambda r: (r["visited_at"], r["id"]))
        writer.write(Visit, rows)

    def write_assistance(self, day_pick: Picker[dt.date]) -> None:
        """帮扶 records for tagged households, plus group actions (meals, voluntary labour)."""
        rng = self.rng
        writer = self.writer
        territory = self.territory
        total = min(max(int(self.n_cases * 0.15), 300), 50_000)
        kinds_for: dict[TargetGroup, tuple[AssistanceKind, ...]] = {
            TargetGroup.ELDERLY_ALONE: (
                AssistanceKind.CHARITY_MEALS,
                AssistanceKind.CONDOLENCE_VISIT,
                AssistanceKind.CHARITY_SHOP,
                AssistanceKind.MICRO_WISH,
            ),
            TargetGroup.MIGRANT_CHILD: (AssistanceKind.SCHOOL_AID, AssistanceKind.MICRO_WISH),
            TargetGroup.UNEMPLOYED: (AssistanceKind.EMPLOYMENT, AssistanceKind.CHARITY_SHOP),
            TargetGroup.SINGLE_MOTHER: (
                AssistanceKind.SCHOOL_AID,
                AssistanceKind.CONDOLENCE_VISIT,
                AssistanceKind.CHARITY_SHOP,
            ),
            TargetGroup.DISABLED: (
                AssistanceKind.CONDOLENCE_VISIT,
                AssistanceKind.BENEFITS_PAPERWORK,
                AssistanceKind.CHARITY_SHOP,
            ),
            TargetGroup.LOW_INCOME: (
                AssistanceKind.BENEFITS_PAPERWORK,
                AssistanceKind.CHARITY_SHOP,
                AssistanceKind.CONDOLENCE_VISIT,
            ),
            TargetGroup.POOR_PARTY_MEMBER: (AssistanceKind.CONDOLENCE_VISIT,),
        }
        value_range: dict[AssistanceKind, tuple[int, int] | None] = {
            AssistanceKind.CONDOLENCE_VISIT: (200, 1000),
            AssistanceKind.CHARITY_MEALS: (15, 15),
            AssistanceKind.CHARITY_SHOP: (50, 300),
            AssistanceKind.EMPLOYMENT: None,
            AssistanceKind.BENEFITS_PAPERWORK: None,
            AssistanceKind.VOLUNTARY_LABOUR: None,
            AssistanceKind.MICRO_WISH: (50, 500),
            AssistanceKind.SCHOOL_AID: (500, 3000),
        }
        ids = writer.ids(Assistance, total)
        rows = []
        for aid in ids:
            day = day_pick(rng)
            moment = at(day, office_minute(rng))
            if day == self.period.today:
                moment = self.period.clip_today(rng, moment)
            if rng.random() < 0.1 or not territory.tagged:
                cell = pick(rng, territory.cells)
                kind = pick(rng, (AssistanceKind.VOLUNTARY_LABOUR, AssistanceKind.CHARITY_MEALS))
                if kind is AssistanceKind.CHARITY_MEALS:
                    persons = rand_int(rng, 8, 16)
                    beneficiary = f"{cell.estate}空巢老人{persons}人"
                    value: float | None = 15.0 * persons * rand_int(rng, 1, 5)
                    group = TargetGroup.ELDERLY_ALONE
                else:
                    persons = rand_int(rng, 20, 120)
                    beneficiary = f"{cell.estate}居民"
                    value = None
                    group = pick(rng, (TargetGroup.ELDERLY_ALONE, TargetGroup.DISABLED))
                household = None
                helpers = f"{cell.leader}等党员志愿者{rand_int(rng, 6, 30)}人"
            else:
                cell, household, head, group = pick(rng, territory.tagged)
                kind = pick(rng, kinds_for[group])
                persons = 1 if rng.random() < 0.85 else rand_int(rng, 2, 4)
                beneficiary = head
                bounds = value_range[kind]
                value = None if bounds is None else float(rand_int(rng, *bounds))
                if kind is AssistanceKind.CHARITY_MEALS:
                    value = 15.0 * rand_int(rng, 5, 30)
                helpers = "、".join(
                    [
                        cell.leader,
                        *rng.sample(territory.member_names[cell.community], rand_int(rng, 0, 2)),
                    ]
                )
            rows.append(
                {
                    "id": aid,
                    "grid_cell_id": cell.id,
                    "household_id": household,
                    "beneficiary": beneficiary[:60],
                    "target_group": group.value,
                    "kind": kind.value,
                    "given_at": moment,
                    "persons_helped": persons,
                    "value_yuan": value,
                    "helpers": helpers[:200],
                    "notes": f"{group.label}：{kind.label}",
                    "recorded_by_id": self.territory.recorder(cell),
                }
            )
        rows.sort(key=lambda r: (r["given_at"], r["id"]))
        writer.write(Assistance, rows)

    # ------------------------------------------------------------ cases
