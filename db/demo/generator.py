"""Deterministic demo data: one 街道 with four 社区, a grid that tiles the map, households,
people, users, twelve months of cases ending today (with their event history), visits and
assistance records.

``random.Random(seed)`` drives everything, so the same seed and ``today`` give the same rows.
Rows are written with bulk Core inserts and ids assigned here (one million cases take minutes).
Figures are calibrated on DOMAIN.md: 解决率 ≈ 85 %, 满意率 ≈ 95 %, most households visited.

CLI: ``python -m db.demo --url sqlite:///bench/out/cases-1m.db --cases 1000000 --no-events``.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection, Date, DateTime, Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from config import DEMO_PASSWORD, local_now
from db import demo_text as T
from db.models import (
    Assistance,
    Base,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Community,
    Deliberation,
    GridCell,
    GridCollector,
    Household,
    HouseholdTag,
    LiaisonLink,
    Person,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
    ServicePoint,
    Subdistrict,
    User,
    UserGridScope,
    Visit,
)
from db.models import PointRule as PointRuleRow
from db.rollups import rebuild as rebuild_rollups
from db.seed import DEFAULT_CATEGORIES, ensure_categories, hash_password
from domain.calendar import WorkCalendar, china_calendar
from domain.deadlines import (
    compute_deadline,
    end_of,
    extend_after_pause,
    handling_working_days,
    response_due,
)
from domain.deliberation import DECIDING_STAGE as DELIBERATION_DECIDING
from domain.deliberation import ORDER as DELIBERATION_ORDER
from domain.people import DEFAULT_RULES as DEFAULT_POINT_RULES
from domain.reference import AssistanceKind, PersonKind, ServicePointKind, ServicePost, TargetGroup
from domain.roles import Role
from domain.workflow import (
    OPEN_STATUSES,
    Action,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    NotifyMethod,
    Satisfaction,
)

DEMO_CASES = 3000
"""Cases in the demo database (about a year of a four-社区 街道)."""

SUBDISTRICT_NAME = "芙蓉街道"
COMMUNITIES: tuple[tuple[str, str], ...] = (
    ("文盛社区", "WS"),
    ("中和社区", "ZH"),
    ("荷花池社区", "HHC"),
    ("桂花园社区", "GHY"),
)
"""(name, code) of the demo 社区; the first one is the demo accounts' community."""

DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("admin", Role.ADMIN.value, "系统管理员"),
    ("secretary", Role.SECRETARY.value, "刘建华"),
    ("staff", Role.STAFF.value, "陈丽萍"),
    ("gridworker", Role.GRIDWORKER.value, "张志强"),
    ("viewer", Role.VIEWER.value, "大屏展示"),
)
"""(username, role, display name) of the demo logins; the password is ``config.DEMO_PASSWORD``."""

GRIDWORKER_CELLS = 3
"""The demo grid worker is 片长 of the first three cells of the first 社区."""

# The map: an 8 × 6 lattice of cells around 长沙市芙蓉区; each 社区 a 4 × 3 block.
ORIGIN_LON, ORIGIN_LAT = 112.9820, 28.1890
CELL_DLON, CELL_DLAT = 0.0030, 0.0026
LATTICE_COLS, LATTICE_ROWS = 8, 6
BLOCK_COLS, BLOCK_ROWS = 4, 3

CHUNK = 10_000
MINUTE = dt.timedelta(minutes=1)


@dataclass
class GenerationReport:
    """What ``generate`` wrote: rows per table and the time it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line per table, in Chinese, for the CLI."""
        lines = [f"  {name:<22}{n:>12,}" for name, n in self.counts.items()]
        return "\n".join([*lines, f"  用时 {self.seconds:.1f} 秒"])


# ---------------------------------------------------------------- calendar memo


class _Clock:
    """Memoised calendar and deadline calls: a million cases ask the same few hundred days."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.cal = calendar
        self._add: dict[tuple[dt.date, int], dt.date] = {}
        self._deadline: dict[tuple[str, dt.date, dt.date | None, bool], dt.datetime] = {}
        self._response: dict[tuple[dt.date, bool], dt.datetime] = {}
        self._between: dict[tuple[dt.date, dt.date], int] = {}
        self._extend: dict[tuple[dt.date, dt.date, dt.date], dt.datetime] = {}

    def add(self, day: dt.date, days: int) -> dt.date:
        key = (day, days)
        found = self._add.get(key)
        if found is None:
            found = self._add[key] = self.cal.add_working_days(day, days)
        return found

    def deadline(
        self, kind: str, day: dt.date, promised: dt.date | None, urgent: bool
    ) -> dt.datetime:
        key = (kind, day, promised, urgent)
        found = self._deadline.get(key)
        if found is None:
            found = self._deadline[key] = compute_deadline(
                kind,
                dt.datetime.combine(day, dt.time()),
                promised_date=promised,
                urgent=urgent,
                calendar=self.cal,
            )
        return found

    def response(self, day: dt.date, urgent: bool) -> dt.datetime:
        key = (day, urgent)
        found = self._response.get(key)
        if found is None:
            found = self._response[key] = response_due(
                dt.datetime.combine(day, dt.time()), urgent=urgent, calendar=self.cal
            )
        return found

    def working_days(self, start: dt.date, end: dt.date) -> int:
        key = (start, end)
        found = self._between.get(key)
        if found is None:
            found = self._between[key] = handling_working_days(
                dt.datetime.combine(start, dt.time()),
                dt.datetime.combine(end, dt.time()),
                calendar=self.cal,
            )
        return found

    def extend(self, deadline: dt.date, paused: dt.date, resumed: dt.date) -> dt.datetime:
        key = (deadline, paused, resumed)
        found = self._extend.get(key)
        if found is None:
            found = self._extend[key] = extend_after_pause(
                end_of(deadline),
                dt.datetime.combine(paused, dt.time()),
                dt.datetime.combine(resumed, dt.time()),
                calendar=self.cal,
            )
        return found


# ---------------------------------------------------------------- small helpers


class _Picker:
    """Weighted choice with precomputed cumulative weights (much faster than ``choices``)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _ri(rng: random.Random, low: int, high: int) -> int:
    """A random integer in [low, high]; ``random()`` is much cheaper than ``randint``."""
    return low + int(rng.random() * (high - low + 1))


def _rr(rng: random.Random, low: int, stop: int) -> int:
    """A random integer in [low, stop)."""
    return low + int(rng.random() * (stop - low))


def _pick(rng: random.Random, items: Sequence[Any]) -> Any:
    """A uniformly chosen element of ``items``."""
    return items[int(rng.random() * len(items))]


def _name(rng: random.Random) -> str:
    given = _pick(rng, T.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += _pick(rng, T.GIVEN_CHARS)
    return _pick(rng, T.SURNAMES) + given


def _mobile(rng: random.Random) -> str:
    prefix = _pick(rng, ("13", "15", "17", "18", "19"))
    return f"{prefix}{_rr(rng, 0, 10**9):09d}"


def _at(day: dt.date, minute_of_day: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60)


def _office_minute(rng: random.Random) -> int:
    """A minute of office hours (08:30–12:00, 14:00–17:30)."""
    m = _rr(rng, 0, 420)
    return 510 + m if m < 210 else 840 + (m - 210)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage format (always six fractional digits)."""
    if value is None:
        return None
    text_ = value.isoformat(" ")
    return text_ if value.microsecond else text_ + ".000000"


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _months_back(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def _point_in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting: True if (lon, lat) is inside the closed ``ring``."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x:
                inside = not inside
    return inside


def _centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Area centroid of a closed ring (shoelace)."""
    a = cx = cy = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        cross = x1 * y2 - x2 * y1
        a += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    a *= 0.5
    return cx / (6 * a), cy / (6 * a)


# ---------------------------------------------------------------- the territory


def lattice_rings(rng: random.Random) -> dict[tuple[int, int], list[list[float]]]:
    """Cell (col, row) → closed counter-clockwise ring: a jittered lattice sharing its edges.

    Every corner and every edge midpoint is drawn once and used by both cells beside it, so
    neighbours share edges exactly and no two cells overlap.
    """
    corners: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(LATTICE_COLS + 1):
        for j in range(LATTICE_ROWS + 1):
            jx = rng.uniform(-0.18, 0.18) * CELL_DLON
            jy = rng.uniform(-0.18, 0.18) * CELL_DLAT
            corners[i, j] = (ORIGIN_LON + i * CELL_DLON + jx, ORIGIN_LAT + j * CELL_DLAT + jy)

    mids: dict[tuple[str, int, int], tuple[float, float]] = {}
    for i in range(LATTICE_COLS):
        for j in range(LATTICE_ROWS + 1):  # horizontal edge (i, j) → (i + 1, j)
            (x1, y1), (x2, y2) = corners[i, j], corners[i + 1, j]
            bend = rng.uniform(-0.08, 0.08) * CELL_DLAT
            mids["h", i, j] = ((x1 + x2) / 2, (y1 + y2) / 2 + bend)
    for i in range(LATTICE_COLS + 1):
        for j in range(LATTICE_ROWS):  # vertical edge (i, j) → (i, j + 1)
            (x1, y1), (x2, y2) = corners[i, j], corners[i, j + 1]
            bend = rng.uniform(-0.08, 0.08) * CELL_DLON
            mids["v", i, j] = ((x1 + x2) / 2 + bend, (y1 + y2) / 2)

    rings: dict[tuple[int, int], list[list[float]]] = {}
    for i in range(LATTICE_COLS):
        for j in range(LATTICE_ROWS):
            points = [
                corners[i, j],
                mids["h", i, j],
                corners[i + 1, j],
                mids["v", i + 1, j],
                corners[i + 1, j + 1],
                mids["h", i, j + 1],
                corners[i, j + 1],
                mids["v", i, j],
            ]
            ring = [[round(x, 6), round(y, 6)] for x, y in points]
            rings[i, j] = [*ring, ring[0]]
    return rings


@dataclass
class _Cell:
    id: int
    community: int  # index into COMMUNITIES
    community_id: int
    code: str
    estate: str
    ring: list[list[float]]
    center: tuple[float, float]
    leader: str = ""
    collectors: tuple[str, str] = ("", "")
    households: list[tuple[int, str, str | None, str]] = field(default_factory=list)
    """(household id, head name, phone, building)"""
    weight: float = 1.0
    factory: str | None = None


def _point_in_cell(rng: random.Random, cell: _Cell) -> tuple[float, float]:
    """A random point inside the cell (cells are star-shaped around their centroid)."""
    ring = cell.ring
    k = _rr(rng, 0, len(ring) - 1)
    a, b = rng.random(), rng.random()
    if a + b > 1:
        a, b = 1 - a, 1 - b
    a, b = a * 0.9, b * 0.9
    cx, cy = cell.center
    lon = cx + a * (ring[k][0] - cx) + b * (ring[k + 1][0] - cx)
    lat = cy + a * (ring[k][1] - cy) + b * (ring[k + 1][1] - cy)
    return round(lat, 6), round(lon, 6)


# ---------------------------------------------------------------- the generator


class _Generator:
    """Builds and writes every demo row through one connection."""

    def __init__(
        self,
        conn: Connection,
        *,
        cases: int,
        seed: int,
        today: dt.date,
        now: dt.datetime,
        with_events: bool,
    ) -> None:
        self.conn = conn
        self.n_cases = cases
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.now = now
        self.with_events = with_events
        self.clock = _Clock(china_calendar())
        self.start = _months_back(today, 11)
        self.counts: Counter[str] = Counter()
        self.next_id: dict[str, int] = {}

    # ------------------------------------------------------------ plumbing

    def _ids(self, table: type[Base], n: int) -> range:
        name = table.__tablename__
        if name not in self.next_id:
            found = self.conn.execute(select(func.max(table.__table__.c.id))).scalar()
            self.next_id[name] = (found or 0) + 1
        first = self.next_id[name]
        self.next_id[name] = first + n
        return range(first, first + n)

    def _write(self, table: type[Base], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.conn.dialect.name == "sqlite":
            self._write_sqlite(table, rows)
        elif self.conn.dialect.name == "postgresql":
            self._write_postgresql(table, rows)
        else:
            for k in range(0, len(rows), CHUNK):
                self.conn.execute(insert(table.__table__), rows[k : k + CHUNK])
        self.counts[table.__tablename__] += len(rows)

    def _write_sqlite(self, table: type[Base], rows: list[dict[str, Any]]) -> None:
        """SQLite fast path: plain DB-API ``executemany`` with SQLAlchemy's storage formats.

        Converting a million rows' datetimes through SQLAlchemy's bind processors costs more
        than the inserts themselves; the strings here are byte-identical to what it writes.
        """
        columns = list(rows[0])
        types = [table.__table__.c[name].type for name in columns]
        converters = [
            _sqlite_datetime
            if isinstance(t, DateTime)
            else _sqlite_date
            if isinstance(t, Date)
            else None
            for t in types
        ]
        plan = list(zip(columns, converters, strict=True))
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "{table.__tablename__}" ({names}) VALUES ({marks})'
        for k in range(0, len(rows), CHUNK):
            values = [
                tuple(row[c] if conv is None else conv(row[c]) for c, conv in plan)
                for row in rows[k : k + CHUNK]
            ]
            self.conn.exec_driver_sql(sql, values)

    def _write_postgresql(self, table: type[Base], rows: list[dict[str, Any]]) -> None:
        """PostgreSQL fast path: ``COPY … FROM STDIN`` on this transaction's connection.

        Ten million cases through multi-row INSERTs take hours; COPY takes minutes.
        """
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        driver = self.conn.connection.driver_connection
        sql = f'COPY "{table.__tablename__}" ({names}) FROM STDIN'
        with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([row[c] for c in columns])

    # ------------------------------------------------------------ territory and people

    def build_world(self) -> None:
        rng = self.rng
        now = self.now
        self.categories = self._categories()
        sub_id = self._ids(Subdistrict, 1)[0]
        self._write(Subdistrict, [{"id": sub_id, "name": SUBDISTRICT_NAME}])
        com_ids = list(self._ids(Community, len(COMMUNITIES)))
        self._write(
            Community,
            [
                {"id": cid, "subdistrict_id": sub_id, "name": name, "code": code}
                for cid, (name, code) in zip(com_ids, COMMUNITIES, strict=True)
            ],
        )
        self.community_ids = com_ids

        # Cells: community k owns a BLOCK_COLS × BLOCK_ROWS block of the lattice.
        rings = lattice_rings(rng)
        stems = list(T.ESTATE_STEMS)
        rng.shuffle(stems)
        estates = [s + _pick(rng, T.ESTATE_SUFFIXES) for s in stems]
        per_row = LATTICE_COLS // BLOCK_COLS
        cell_ids = iter(self._ids(GridCell, LATTICE_COLS * LATTICE_ROWS))
        self.cells: list[_Cell] = []
        for k, (_, code) in enumerate(COMMUNITIES):
            bx, by = (k % per_row) * BLOCK_COLS, (k // per_row) * BLOCK_ROWS
            n = 0
            for j in range(by + BLOCK_ROWS - 1, by - 1, -1):  # numbered north to south
                for i in range(bx, bx + BLOCK_COLS):
                    n += 1
                    ring = rings[i, j]
                    cx, cy = _centroid(ring)
                    cell = _Cell(
                        id=next(cell_ids),
                        community=k,
                        community_id=com_ids[k],
                        code=f"{code}-{n:02d}",
                        estate=estates[len(self.cells) % len(estates)],
                        ring=ring,
                        center=(round(cx, 6), round(cy, 6)),
                        weight=rng.uniform(0.5, 1.6),
                    )
                    if rng.random() < 0.12:
                        cell.factory = _pick(rng, T.FACTORIES)
                        cell.weight *= 1.4
                    self.cells.append(cell)

        people, leaders, collectors = self._people(rng)
        self._write(Person, people)
        self._write(
            GridCell,
            [
                {
                    "id": c.id,
                    "community_id": c.community_id,
                    "code": c.code,
                    "name": f"第{c.code[-2:].lstrip('0')}网格·{c.estate}",
                    "boundary_geojson": json.dumps(
                        {"type": "Polygon", "coordinates": [c.ring]}, separators=(",", ":")
                    ),
                    "center_lat": c.center[1],
                    "center_lon": c.center[0],
                    "leader_id": leaders[c.id],
                }
                for c in self.cells
            ],
        )
        self._write(
            GridCollector,
            [{"grid_cell_id": cid, "person_id": pid} for cid, pids in collectors for pid in pids],
        )
        self._households(rng)
        self._users(now)
        self._service_points(rng)

    def _categories(self) -> dict[str, int]:
        with Session(bind=self.conn) as session:
            found = {c.name: c.id for c in ensure_categories(session)}
            missing = [name for name in DEFAULT_CATEGORIES if name not in found]
            if missing:
                from db.models import Category

                made = [Category(name=name, sort_order=90 + i) for i, name in enumerate(missing)]
                session.add_all(made)
                session.flush()
                found.update({c.name: c.id for c in made})
            session.flush()
        return {name: found[name] for name in DEFAULT_CATEGORIES}

    def _people(
        self, rng: random.Random
    ) -> tuple[list[dict[str, Any]], dict[int, int], list[tuple[int, list[int]]]]:
        """两委 members, grid workers, party members and deputies; leaders and collectors."""
        rows: list[dict[str, Any]] = []
        self.cadres: dict[int, list[tuple[int, str]]] = {}
        self.person_names: dict[int, str] = {}
        posts = list(ServicePost)
        leaders: dict[int, int] = {}
        collectors: list[tuple[int, list[int]]] = []
        ids = iter(self._ids(Person, 60 * len(COMMUNITIES)))

        def person(k: int, kind: PersonKind, name: str, **extra: Any) -> int:
            pid = next(ids)
            com = COMMUNITIES[k][0]
            row = {
                "id": pid,
                "name": name,
                "phone": _mobile(rng),
                "kind": kind.value,
                "community_id": self.community_ids[k],
                "is_party_member": False,
                "party_branch": None,
                "service_post": None,
                "title": None,
            }
            if extra.pop("party", False):
                row["is_party_member"] = True
                row["party_branch"] = extra.pop("branch", f"{com}第一党支部")
            row.update(extra)
            rows.append(row)
            self.person_names[pid] = name
            return pid

        demo_names = {role: name for _, role, name in DEMO_ACCOUNTS}
        self.demo_person: dict[str, int] = {}
        self.members: dict[int, list[int]] = {}
        self.deputies: dict[int, list[int]] = {}
        for k in range(len(COMMUNITIES)):
            cadres = []
            for t, title in enumerate(T.CADRE_TITLES):
                name = _name(rng)
                if k == 0 and t == 0:
                    name = demo_names[Role.SECRETARY]
                if k == 0 and t == 4:
                    name = demo_names[Role.STAFF]
                pid = person(k, PersonKind.STAFF, name, party=t < 5, title=title)
                cadres.append((pid, name))
            self.cadres[k] = cadres
            if k == 0:
                self.demo_person[Role.SECRETARY] = cadres[0][0]
                self.demo_person[Role.STAFF] = cadres[4][0]
            workers = []
            for w in range(3):
                name = demo_names[Role.GRIDWORKER] if k == 0 and w == 0 else _name(rng)
                pid = person(k, PersonKind.GRID_WORKER, name, party=rng.random() < 0.5)
                rows[-1]["title"] = "专职网格员"
                workers.append(pid)
            if k == 0:
                self.demo_person[Role.GRIDWORKER] = workers[0]
            members = [
                person(
                    k,
                    PersonKind.PARTY_MEMBER,
                    _name(rng),
                    party=True,
                    branch=f"{COMMUNITIES[k][0]}第{m % 4 + 1}党支部",
                    service_post=posts[m % len(posts)].value,
                )
                for m in range(32)
            ]
            self.deputies[k] = [
                person(k, PersonKind.DEPUTY, _name(rng), party=d == 0, title=title)
                for d, title in enumerate(("区人大代表", "区政协委员"))
            ]
            self.members[k] = members

            cells = [c for c in self.cells if c.community == k]
            # Grid workers lead three cells each (the demo one: the first three), cadres the rest.
            lead_order = [workers[c // 3] for c in range(9)] + [cadres[1 + c][0] for c in range(3)]
            for c, cell in enumerate(cells):
                leader = lead_order[c % len(lead_order)]
                leaders[cell.id] = leader
                pair = [members[(2 * c) % len(members)], members[(2 * c + 1) % len(members)]]
                collectors.append((cell.id, pair))
                cell.leader = self.person_names[leader]
                cell.collectors = (self.person_names[pair[0]], self.person_names[pair[1]])
        self.member_names = {
            k: [r["name"] for r in rows if r["community_id"] == self.community_ids[k]]
            for k in range(len(COMMUNITIES))
        }
        self.leaders = leaders
        return rows, leaders, collectors

    def _households(self, rng: random.Random) -> None:
        rows: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        tag_pick = _Picker(list(TargetGroup), (35, 10, 12, 7, 12, 20, 4))
        self.tagged: list[tuple[_Cell, int, str, TargetGroup]] = []
        next_id = self._ids(Household, 0).start
        for cell in self.cells:
            target = _ri(rng, 30, 80)
            building = 0
            while len(cell.households) < target:
                building += 1
                b = f"{building}栋"
                units = _ri(rng, 1, 3)
                floors = _ri(rng, 2, 7)
                rooms = _ri(rng, 1, 2)
                for u in range(1, units + 1):
                    for f in range(1, floors + 1):
                        for r in range(1, rooms + 1):
                            if len(cell.households) >= target or rng.random() < 0.08:
                                continue  # empty flats
                            hid = next_id
                            next_id += 1
                            head = _name(rng)
                            phone = _mobile(rng) if rng.random() < 0.93 else None
                            room = f"{f}0{r}"
                            rows.append(
                                {
                                    "id": hid,
                                    "grid_cell_id": cell.id,
                                    "building": b,
                                    "unit": f"{u}单元",
                                    "room": room,
                                    "head_name": head,
                                    "phone": phone,
                                    "address": f"{SUBDISTRICT_NAME}{COMMUNITIES[cell.community][0]}"
                                    f"{cell.estate}{b}{u}单元{room}室",
                                    "members": _pick(rng, (1, 2, 2, 3, 3, 3, 4, 4, 5)),
                                }
                            )
                            cell.households.append((hid, head, phone, b))
                            if rng.random() < 0.16:
                                group = tag_pick(rng)
                                tags.append({"household_id": hid, "tag": group.value})
                                self.tagged.append((cell, hid, head, group))
        self.next_id["households"] = next_id
        self._write(Household, rows)
        self._write(HouseholdTag, tags)
        self.households = [(cell, h) for cell in self.cells for h in cell.households]

    def _users(self, now: dt.datetime) -> None:
        """The five demo logins plus three staff users per 社区 (case assignees)."""
        hashed = hash_password(DEMO_PASSWORD)
        existing = dict(self.conn.execute(select(User.username, User.id)).all())
        rows: list[dict[str, Any]] = []
        ids = iter(self._ids(User, 5 + 3 * len(COMMUNITIES)))

        def user(username: str, role: str, name: str, k: int | None, pid: int | None) -> int:
            if username in existing:
                return existing[username]
            uid = next(ids)
            rows.append(
                {
                    "id": uid,
                    "username": username,
                    "display_name": name,
                    "email": f"{username}@example.invalid",
                    "password_hash": hashed,
                    "role": role,
                    "person_id": pid,
                    "community_id": None if k is None else self.community_ids[k],
                    "is_active": True,
                    "must_change_password": False,
                    "failed_logins": 0,
                    "locked_until": None,
                    "created_at": now,
                }
            )
            return uid

        demo: dict[str, int] = {}
        for username, role, name in DEMO_ACCOUNTS:
            k = 0 if role in (Role.SECRETARY, Role.STAFF, Role.GRIDWORKER) else None
            demo[role] = user(username, role, name, k, self.demo_person.get(role))
        self.staff: dict[int, list[int]] = {}
        self.secretary: dict[int, int] = {}
        for k, (_, code) in enumerate(COMMUNITIES):
            pool = [demo[Role.SECRETARY], demo[Role.STAFF]] if k == 0 else []
            picks = (1, 2, 3) if k == 0 else (0, 1, 2)
            for n, c in enumerate(picks, start=1):
                pid, name = self.cadres[k][c]
                pool.append(user(f"{code.lower()}{n:02d}", Role.STAFF.value, name, k, pid))
            self.staff[k] = pool
            self.secretary[k] = pool[0]
        self.gridworker = demo[Role.GRIDWORKER]
        self.gw_cells = {c.id for c in self.cells[:GRIDWORKER_CELLS]}
        self._write(User, rows)
        have = set(self.conn.execute(select(UserGridScope.grid_cell_id)).scalars())
        self._write(
            UserGridScope,
            [
                {"user_id": self.gridworker, "grid_cell_id": cid}
                for cid in sorted(self.gw_cells - have)
            ],
        )

    def _service_points(self, rng: random.Random) -> None:
        rows = []
        kinds = list(ServicePointKind)
        ids = iter(self._ids(ServicePoint, 5 * len(COMMUNITIES)))
        for k, (name, _) in enumerate(COMMUNITIES):
            cells = [c for c in self.cells if c.community == k]
            picks = rng.sample(cells, 5)
            for n, (kind, cell) in enumerate(
                zip([*kinds, ServicePointKind.CLINIC], picks, strict=True)
            ):
                lat, lon = _point_in_cell(rng, cell)
                label = kind.label if n < len(kinds) else f"{cell.estate}{kind.label}"
                rows.append(
                    {
                        "id": next(ids),
                        "community_id": self.community_ids[k],
                        "kind": kind.value,
                        "name": f"{name}{label}" if n < len(kinds) else label,
                        "latitude": lat,
                        "longitude": lon,
                    }
                )
        self._write(ServicePoint, rows)

    # ------------------------------------------------------------ time

    def _days(self) -> list[tuple[dt.date, float]]:
        """Every day of the twelve months with its relative case volume."""
        days = []
        day = self.start
        span = (self.today - self.start).days or 1
        cal = self.clock.cal
        while day <= self.today:
            w = 1.0 if cal.is_workday(day) else 0.3
            if day.month in (12, 1, 2):
                w *= 1.1  # burst and leaking pipes
            elif day.month in (6, 7, 8):
                w *= 1.15  # rubbish, drains, noise
            w *= 0.9 + 0.2 * (day - self.start).days / span
            if day == self.today:
                w *= min(1.0, max(0.15, (self.now.hour * 60 + self.now.minute - 480) / 600))
            days.append((day, w))
            day += dt.timedelta(days=1)
        return days

    def _clip_today(self, rng: random.Random, moment: dt.datetime) -> dt.datetime:
        """Keep a generated moment of today at or before ``now``."""
        if moment <= self.now:
            return moment
        midnight = dt.datetime.combine(self.today, dt.time())
        span = max(int((self.now - midnight).total_seconds() // 60), 1)
        return self.now - dt.timedelta(minutes=_rr(rng, 0, min(span, 240)))

    # ------------------------------------------------------------ visits and assistance

    def _visitors(self, rng: random.Random, cell: _Cell) -> str:
        names = [cell.leader]
        if rng.random() < 0.6:
            names.append(cell.collectors[_rr(rng, 0, 2)])
        return "、".join(names)

    def _recorder(self, cell: _Cell) -> int:
        if cell.id in self.gw_cells:
            return self.gridworker
        pool = self.staff[cell.community]
        return pool[cell.id % len(pool)]

    def _visit_row(
        self,
        rng: random.Random,
        vid: int,
        cell: _Cell,
        household: tuple[int, str, str | None, str],
        at: dt.datetime,
        notes: str,
    ) -> dict[str, Any]:
        return {
            "id": vid,
            "grid_cell_id": cell.id,
            "household_id": household[0],
            "building": household[3],
            "visited_at": at,
            "visitors": self._visitors(rng, cell),
            "people_met": _pick(rng, (1, 1, 2, 2, 2, 3, 3, 4)),
            "notes": notes,
            "recorded_by_id": self._recorder(cell),
        }

    def _visit_moment(self, rng: random.Random, day_pick: _Picker) -> dt.datetime:
        day = day_pick(rng)
        r = rng.random()
        if r < 0.45:
            minute = _rr(rng, 540, 690)
        elif r < 0.85:
            minute = _rr(rng, 870, 1050)
        else:
            minute = _rr(rng, 1140, 1230)  # evenings, when people are home
        moment = _at(day, minute)
        return self._clip_today(rng, moment) if day == self.today else moment

    def write_visits(self, day_pick: _Picker) -> None:
        """Routine visits: most households at least once, target groups more often."""
        rng = self.rng
        n_households = len(self.households)
        total = min(max(int(self.n_cases * 1.2), int(n_households * 1.4)), 200_000)
        order = list(range(n_households))
        rng.shuffle(order)
        first_round = order[: int(n_households * rng.uniform(0.88, 0.93))]
        tagged_ids = {hid for _, hid, _, _ in self.tagged}
        weights = [3.0 if h[0] in tagged_ids else 1.0 for _, h in self.households]
        repeat = _Picker(range(n_households), weights)
        picks = first_round + [repeat(rng) for _ in range(max(total - len(first_round), 0))]
        ids = self._ids(Visit, len(picks))
        rows = []
        for vid, idx in zip(ids, picks, strict=True):
            cell, household = self.households[idx]
            moment = self._visit_moment(rng, day_pick)
            rows.append(
                self._visit_row(rng, vid, cell, household, moment, _pick(rng, T.VISIT_NOTES))
            )
        rows.sort(key=lambda r: (r["visited_at"], r["id"]))
        self._write(Visit, rows)

    def write_assistance(self, day_pick: _Picker) -> None:
        """帮扶 records for tagged households, plus group actions (meals, voluntary labour)."""
        rng = self.rng
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
        ids = self._ids(Assistance, total)
        rows = []
        for aid in ids:
            day = day_pick(rng)
            moment = _at(day, _office_minute(rng))
            if day == self.today:
                moment = self._clip_today(rng, moment)
            if rng.random() < 0.1 or not self.tagged:
                cell = _pick(rng, self.cells)
                kind = _pick(rng, (AssistanceKind.VOLUNTARY_LABOUR, AssistanceKind.CHARITY_MEALS))
                if kind is AssistanceKind.CHARITY_MEALS:
                    persons = _ri(rng, 8, 16)
                    beneficiary = f"{cell.estate}空巢老人{persons}人"
                    value: float | None = 15.0 * persons * _ri(rng, 1, 5)
                    group = TargetGroup.ELDERLY_ALONE
                else:
                    persons = _ri(rng, 20, 120)
                    beneficiary = f"{cell.estate}居民"
                    value = None
                    group = _pick(rng, (TargetGroup.ELDERLY_ALONE, TargetGroup.DISABLED))
                household = None
                helpers = f"{cell.leader}等党员志愿者{_ri(rng, 6, 30)}人"
            else:
                cell, household, head, group = _pick(rng, self.tagged)
                kind = _pick(rng, kinds_for[group])
                persons = 1 if rng.random() < 0.85 else _ri(rng, 2, 4)
                beneficiary = head
                bounds = value_range[kind]
                value = None if bounds is None else float(_ri(rng, *bounds))
                if kind is AssistanceKind.CHARITY_MEALS:
                    value = 15.0 * _ri(rng, 5, 30)
                helpers = "、".join(
                    [cell.leader, *rng.sample(self.member_names[cell.community], _ri(rng, 0, 2))]
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
                    "recorded_by_id": self._recorder(cell),
                }
            )
        rows.sort(key=lambda r: (r["given_at"], r["id"]))
        self._write(Assistance, rows)

    # ------------------------------------------------------------ cases

    def write_cases(self, day_weights: list[tuple[dt.date, float]]) -> None:
        """Cases in accepted order, numbered gap-free per year, with their events."""
        rng = self.rng
        days = [d for d, _ in day_weights]
        per_day = Counter(
            rng.choices(range(len(days)), [w for _, w in day_weights], k=self.n_cases)
        )
        self.case_planner = _CasePlanner(self)
        first_case = self._ids(Case, self.n_cases).start
        self.next_event = self._ids(CaseEvent, 0).start
        case_id = first_case
        seq: Counter[int] = Counter()
        batch: _Batch = _Batch()
        for index, day in enumerate(days):
            arrivals = self.case_planner.arrivals(day, per_day.get(index, 0))
            for moment, channel in arrivals:
                seq[moment.year] += 1
                case_no = f"MQ-{moment.year}-{seq[moment.year]:06d}"
                self.case_planner.plan(batch, case_id, case_no, moment, channel)
                case_id += 1
                if len(batch.cases) >= CHUNK:
                    self._flush(batch)
                    batch = _Batch()
        self._flush(batch)
        self.conn.execute(
            CaseNumberCounter.__table__.delete().where(CaseNumberCounter.year.in_(list(seq)))
        )
        self._write(CaseNumberCounter, [{"year": y, "last_seq": n} for y, n in sorted(seq.items())])

    def _flush(self, batch: _Batch) -> None:
        if batch.visits:
            self._write(Visit, batch.visits)
        if batch.cases:
            self._write(Case, batch.cases)
        if batch.events:
            self._write(CaseEvent, batch.events)

    # ------------------------------------------------------------ 党建联户 (issue 8)

    def write_people(self) -> None:
        """联户 links, the default 积分 rules, past 接待日 sessions and (with events) 三议.

        Written after every other row and driven by a random stream of its own, so the rows
        above are the same with or without this section.
        """
        rng = random.Random(f"people-{self.seed}")
        self._point_rules()
        self._liaison(rng)
        self._reception(rng)
        if self.with_events:
            self._deliberations(rng)

    def _point_rules(self) -> None:
        present = set(self.conn.execute(select(PointRuleRow.rule_key)).scalars())
        missing = [r for r in DEFAULT_POINT_RULES if r.key not in present]
        ids = self._ids(PointRuleRow, len(missing))
        self._write(
            PointRuleRow,
            [
                {
                    "id": rid,
                    "rule_key": r.key,
                    "label": r.label,
                    "points": r.points,
                    "is_active": True,
                    "updated_at": None,
                }
                for rid, r in zip(ids, missing, strict=True)
            ],
        )

    def _liaison(self, rng: random.Random) -> None:
        """1+2+X: each cell's two collectors (and a third member in most cells) liaise with one
        or two buildings (a resident group and its households) and one poor household; the
        片长 takes buildings left over. About one building in six has no liaison yet."""
        poor = (TargetGroup.LOW_INCOME, TargetGroup.POOR_PARTY_MEMBER, TargetGroup.DISABLED)
        needy: dict[int, list[int]] = {}
        for cell, hid, _, group in self.tagged:
            if group in poor:
                needy.setdefault(cell.id, []).append(hid)
        rows: list[dict[str, Any]] = []

        def link(pid: int, cell: _Cell, household: int | None, group: str | None) -> None:
            rows.append(
                {
                    "person_id": pid,
                    "grid_cell_id": cell.id,
                    "household_id": household,
                    "group_name": group,
                    "since": self.start,
                }
            )

        for k in range(len(COMMUNITIES)):
            members = self.members[k]
            cells = [c for c in self.cells if c.community == k]
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
                        pid = self.leaders[cell.id]
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
                        link(pid, cell, _pick(rng, candidates), None)
        unique: dict[tuple[int, int | None, str | None], dict[str, Any]] = {}
        for row in rows:
            unique.setdefault((row["person_id"], row["household_id"], row["group_name"]), row)
        kept = list(unique.values())
        ids = self._ids(LiaisonLink, len(kept))
        self._write(LiaisonLink, [{"id": i, **r} for i, r in zip(ids, kept, strict=True)])

    def _reception(self, rng: random.Random) -> None:
        """接待日 sessions (Tuesday mornings) of the last three months: one per 社区 and day
        that has 接待日 cases, with one to three deputies; those cases are linked to it."""
        since = dt.datetime.combine(self.today - dt.timedelta(days=91), dt.time())
        found = self.conn.execute(
            select(Case.id, Case.accepted_at, Case.community_id)
            .where(Case.channel == Channel.RECEPTION_DAY.value, Case.accepted_at >= since)
            .order_by(Case.accepted_at, Case.id)
        ).all()
        days: dict[tuple[dt.date, int], list[int]] = {}
        for cid, accepted, community_id in found:
            days.setdefault((accepted.date(), community_id), []).append(cid)
        sessions, deputies, concerns = [], [], []
        index = {cid: k for k, cid in enumerate(self.community_ids)}
        for sid, ((day, community_id), case_ids) in zip(
            self._ids(ReceptionSession, len(days)), sorted(days.items()), strict=True
        ):
            k = index[community_id]
            held = _at(day, 510)
            sessions.append(
                {
                    "id": sid,
                    "community_id": community_id,
                    "held_at": held,
                    "place": f"{COMMUNITIES[k][0]}党群服务中心接待室",
                    "topic": _pick(rng, T.RECEPTION_TOPICS),
                    "created_by_id": self.secretary[k],
                    "created_at": _at(day - dt.timedelta(days=7), 570),
                }
            )
            own = self.deputies[k]
            chosen = own if rng.random() < 0.5 else [_pick(rng, own)]
            if rng.random() < 0.3:
                chosen = [*chosen, self.deputies[(k + 1) % len(COMMUNITIES)][_rr(rng, 0, 2)]]
            deputies += [{"session_id": sid, "person_id": pid} for pid in chosen]
            concerns += [{"case_id": cid, "session_id": sid} for cid in case_ids]
        self._write(ReceptionSession, sessions)
        self._write(ReceptionDeputy, deputies)
        self._write(ReceptionConcern, concerns)

    def _deliberations(self, rng: random.Random) -> None:
        """三议 on two open 民生项目 cases: one through all three meetings (the 党员大会 confirms
        the 承办人 and 办理时限 it already has), one waiting for its 党员大会. Each meeting is
        appended to the case's events after its last step, as ``services.deliberation`` does."""
        last = (
            select(CaseEvent.case_id, func.max(CaseEvent.at).label("last_at"))
            .group_by(CaseEvent.case_id)
            .subquery()
        )
        candidates = self.conn.execute(
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
                Case.category_id == self.categories["民生项目"],
                Case.assignee_id.is_not(None),
            )
            .order_by(Case.accepted_at.desc(), Case.id.desc())
        ).all()
        index = {cid: k for k, cid in enumerate(self.community_ids)}
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        plans: list[tuple[Any, int]] = []
        for row in candidates:
            gap = (self.today - row.last_at.date()).days
            deadline = row.deadline_at
            decided = not plans
            if gap < 10 or (decided and (deadline is None or deadline != end_of(deadline.date()))):
                continue
            if decided and deadline.date() < self.today:
                continue
            plans.append((row, 3 if decided else 2))
            if len(plans) == 2:
                break
        for row, meetings in plans:
            secretary = self.secretary[index[row.community_id]]
            step = max((self.today - row.last_at.date()).days // (meetings + 1), 1)
            for n, stage in enumerate(DELIBERATION_ORDER[:meetings], start=1):
                day = row.last_at.date() + dt.timedelta(days=step * n)
                at = _at(day, 1170)  # meetings are held in the evening
                attendees = _ri(rng, 6, 12) if n < 3 else _ri(rng, 25, 60)
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
                        "recorded_at": at,
                    }
                )
                data = {
                    "stage": stage.value,
                    "meeting_date": day.isoformat(),
                    "attendees": attendees,
                }
                note = f"{stage.label}（{day:%Y-%m-%d}，到会 {attendees} 人）：{minutes}"
                events.append(self._event_row(row, secretary, at, Action.DELIBERATE, note, data))
                if deciding:
                    events.append(
                        self._event_row(
                            row,
                            secretary,
                            at,
                            Action.DELIBERATION_DECISION,
                            decision,
                            {"stage": stage.value},
                        )
                    )
        ids = self._ids(Deliberation, len(rows))
        self._write(Deliberation, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
        self._write(CaseEvent, events)

    def _event_row(
        self, row: Any, actor: int, at: dt.datetime, action: Action, note: str | None, data: dict
    ) -> dict[str, Any]:
        event_id = self.next_event
        self.next_event += 1
        return {
            "id": event_id,
            "case_id": row.id,
            "actor_id": actor,
            "at": at,
            "action": action.value,
            "from_status": row.status,
            "to_status": row.status,
            "note": note,
            "data": json.dumps(data, ensure_ascii=False, default=str, sort_keys=True),
        }

    def fix_sequences(self) -> None:
        """PostgreSQL sequences do not see explicit ids: move them past the rows written."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                self.conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )

    def run(self) -> None:
        self.build_world()
        day_weights = self._days()
        day_pick = _Picker([d for d, _ in day_weights], [w for _, w in day_weights])
        self.write_visits(day_pick)
        self.write_assistance(day_pick)
        self.write_cases(day_weights)
        self.write_people()
        self.fix_sequences()
        rebuild_rollups(self.conn)  # the cases went in by bulk INSERT, past the ORM's write hook


@dataclass
class _Batch:
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)


# Planned step of a case: (at, action, to_status or None, note, actor, payload).
_Step = tuple[dt.datetime, Action, CaseStatus | None, str, int, Any]

S = CaseStatus
H = HandlingType

_LEVEL_OF_UNIT: Callable[[str], Level] = lambda unit: (  # noqa: E731
    Level.SUBDISTRICT
    if unit.startswith("街道")
    else Level.DISTRICT
    if unit.startswith("区")
    else Level.HIGHER_DEPARTMENT
)


class _CasePlanner:
    """Plans each case's whole life, then keeps what happened up to ``now``."""

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
        "困难救助": (15, 30, 40, 10, 5),
        "环境卫生": (45, 40, 0, 12, 3),
        "民生项目": (20, 50, 2, 24, 4),
        "社区事务": (60, 28, 6, 3, 3),
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
    STUCK: ClassVar[dict[Any, Any]] = {
        H.IMMEDIATE: 0.015,
        H.PROMISED: 0.09,
        H.SUPPLEMENT: 0.50,
        H.ESCALATE: 0.50,
    }

    def __init__(self, gen: _Generator) -> None:
        self.g = gen
        self.rng = gen.rng
        self.clock = gen.clock
        self.now = gen.now
        self.with_events = gen.with_events
        self.category = _Picker(list(self.CATEGORY_WEIGHTS), list(self.CATEGORY_WEIGHTS.values()))
        self.handling = {
            cat: _Picker(self.HANDLING_ORDER, w) for cat, w in self.HANDLING_WEIGHTS.items()
        }
        self.templates = {
            cat: _Picker([t for t, _ in items], [w for _, w in items])
            for cat, items in T.CASE_TEMPLATES.items()
        }
        self.channel = _Picker(list(self.CHANNEL_WEIGHTS), list(self.CHANNEL_WEIGHTS.values()))
        self.cell = _Picker(gen.cells, [c.weight for c in gen.cells])
        self.recent: dict[tuple[int, str], list[tuple[int, str, dt.datetime, Any]]] = {}
        self.next_visit = gen._ids(Visit, 0).start

    # ------------------------------------------------------------ arrivals

    def arrivals(self, day: dt.date, n: int) -> list[tuple[dt.datetime, Channel]]:
        """``n`` (moment, channel) pairs of one day, in time order."""
        rng = self.rng
        workday = self.clock.cal.is_workday(day)
        out = []
        for _ in range(n):
            channel = self.channel(rng)
            if not workday and channel not in self.OFF_DAY_CHANNELS:
                channel = self.OFF_DAY_CHANNELS[_rr(rng, 0, 4)]
            if channel is Channel.RECEPTION_DAY and day.weekday() != 1:
                channel = Channel.LETTER_VISIT  # 接待日 is Tuesday morning
            if channel is Channel.MAILBOX:
                minute = _rr(rng, 480, 570)  # opened every morning
            elif channel is Channel.RECEPTION_DAY:
                minute = _rr(rng, 510, 690)
            elif channel in (Channel.HOTLINE, Channel.CHAT_GROUP) and rng.random() < 0.2:
                minute = _rr(rng, 1080, 1290)
            else:
                minute = _office_minute(rng)
            moment = _at(day, minute) + dt.timedelta(seconds=_rr(rng, 0, 60))
            if day == self.g.today:
                moment = self.g._clip_today(rng, moment)
            out.append((moment, channel))
        out.sort(key=lambda p: p[0])
        return out

    # ------------------------------------------------------------ helpers

    def _later(self, base: dt.datetime, workdays: int) -> dt.datetime:
        """A moment in office hours ``workdays`` working days after ``base`` (0: later today)."""
        rng = self.rng
        if workdays <= 0:
            moment = base + MINUTE * _ri(rng, 10, 240)
            if moment.date() != base.date():
                moment = base + MINUTE * _ri(rng, 1, 10)
            return moment
        day = self.clock.add(base.date(), workdays)
        return _at(day, _office_minute(rng))

    def _reporter(self, cell: _Cell, channel: Channel) -> tuple[str | None, str | None, Any, bool]:
        rng = self.rng
        if channel is not Channel.HOME_VISIT and rng.random() < self.ANONYMOUS.get(channel, 0.02):
            return None, None, None, True
        if channel is Channel.HOME_VISIT or rng.random() < 0.55:
            hid, head, phone, _ = cell.households[_rr(rng, 0, len(cell.households))]
            return head, phone or _mobile(rng), hid, False
        return _name(rng), _mobile(rng), None, False

    def _description(self, cat: str, cell: _Cell, name: str | None) -> str:
        rng = self.rng
        template = self.templates[cat](rng)
        if "{factory}" in template and cell.factory is None:
            cell_factory = _pick(rng, T.FACTORIES)
        else:
            cell_factory = cell.factory or ""
        return template.format(
            estate=cell.estate,
            road=_pick(rng, T.ROADS),
            factory=cell_factory,
            b=_ri(rng, 1, 12),
            u=_ri(rng, 1, 3),
            f=_ri(rng, 3, 7),
            n=_ri(rng, 2, 15),
            h=_pick(rng, (12, 16, 20, 24, 36, 300)),
            k=_ri(rng, 2, 4),
            name=name or "一位居民",
        )

    # ------------------------------------------------------------ one case

    def plan(
        self, batch: _Batch, case_id: int, case_no: str, t0: dt.datetime, channel: Channel
    ) -> None:
        """Plan one case's life, keep what happened by ``now`` and add its rows to ``batch``."""
        rng = self.rng
        g = self.g
        cell: _Cell = self.cell(rng)
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
            prev_id, prev_no, prev_at, prev_who = earlier[-1 - _rr(rng, 0, len(earlier))]
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
            first = pool[_rr(rng, 0, len(pool))]
        if in_gw and rng.random() < 0.5:
            assignee = g.gridworker
        else:
            assignee = first if rng.random() < 0.6 else pool[_rr(rng, 0, len(pool))]
        secretary = g.secretary[cell.community]

        visit_id = None
        if channel is Channel.HOME_VISIT:
            visit_id = self.next_visit
            self.next_visit += 1
            hh = next(h for h in cell.households if h[0] == household)
            seen = t0 - MINUTE * _ri(rng, 10, 90)
            if seen.date() != t0.date():
                seen = t0
            batch.visits.append(
                g._visit_row(rng, visit_id, cell, hh, seen, f"走访中发现：{description[:40]}")
            )
            g.next_id["visits"] = self.next_visit

        day0 = t0.date()
        promised = None
        if kind is H.PROMISED:
            span = _ri(rng, 5, 15) if cat == "民生项目" else _ri(rng, 1, 5)
            promised = self.clock.add(day0, span)
        deadline = self.clock.deadline(kind.value, day0, promised, urgent)
        due = self.clock.response(day0, urgent)
        lat = lon = None
        if cat != "政策咨询" and rng.random() < 0.8:
            lat, lon = _point_in_cell(rng, cell)

        steps = self._steps(
            t0, kind, cat, urgent, deadline, promised, first, assignee, secretary, merged_into
        )
        row = self._apply(steps, case_id, t0, deadline, batch)
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

    def _steps(
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
    ) -> list[_Step]:
        """The case's whole planned life, in time order (some of it may lie after ``now``)."""
        rng = self.rng
        steps: list[_Step] = [(t0, Action.ACCEPT, S.ACCEPTED, "受理登记", first, None)]
        late_response = rng.random() < 0.06 and not urgent
        # The first response: later today, or the next working day (rarely later).
        if late_response:
            t_start = self._later(t0, _ri(rng, 2, 4))
        elif urgent or rng.random() < 0.7:
            t_start = t0 + MINUTE * _ri(rng, 5, 120)
        else:
            t_start = self._later(t0, 1)

        if merged_into is not None:
            steps.append(
                (
                    t_start,
                    Action.MERGE,
                    S.MERGED,
                    f"与{merged_into}为同一诉求，合并办理",
                    assignee,
                    None,
                )
            )
            return steps
        if kind is H.RETURN:
            reason = _pick(rng, T.RETURN_REASONS)
            steps.append((t_start, Action.RETURN, S.RETURNED, reason, assignee, None))
            return steps

        stuck = rng.random() < self.STUCK[kind]
        age = (self.now - t0).days
        if stuck and age > 150 and rng.random() < 0.4:
            stuck = False  # old escalations and paperwork got answered in the end
        answered = cat == "政策咨询" or rng.random() < 0.12
        level = Level.COMMUNITY
        t = t_start
        if kind is H.IMMEDIATE and not late_response and not stuck:
            t = t0 + MINUTE * _ri(rng, 10, 180)
            if t.date() != t0.date():
                t = t0 + MINUTE * _ri(rng, 1, 9)
            if rng.random() < 0.05:
                steps.append((t, Action.START, S.IN_PROGRESS, "现场查看", assignee, None))
                t = self._later(t, _ri(rng, 1, 2))  # could not be done the same day after all
        else:
            steps.append((t, Action.START, S.IN_PROGRESS, "已联系反映人，安排处理", assignee, None))
            if kind is H.SUPPLEMENT:
                t_req = t + MINUTE * _ri(rng, 5, 60)
                materials = _pick(rng, T.MATERIAL_LISTS)
                steps.append(
                    (t_req, Action.REQUEST_MATERIALS, S.AWAITING_MATERIALS, f"告知需补交：{materials}", assignee, None)
                )  # fmt: skip
                if stuck:
                    return self._reminders(steps, t_req, secretary, deadline, paused=True)
                t = self._later(t_req, _ri(rng, 1, 12))
                new_deadline = self.clock.extend(deadline.date(), t_req.date(), t.date())
                steps.append(
                    (
                        t,
                        Action.MATERIALS_RECEIVED,
                        S.IN_PROGRESS,
                        "材料已补齐",
                        assignee,
                        new_deadline,
                    )
                )
                deadline = new_deadline
                t = self._later(t, _pick(rng, (0, 1, 1, 2, 2, 3, 5)))
            elif kind is H.ESCALATE:
                units = T.ESCALATION_UNITS[cat]
                unit = units[_rr(rng, 0, len(units))]
                t_esc = self._later(t, _pick(rng, (0, 0, 1, 2)))
                esc_days = _pick(rng, (10, 15, 20, 30))
                esc_due = end_of(self.clock.add(t_esc.date(), esc_days))
                steps.append(
                    (t_esc, Action.ESCALATE, S.ESCALATED, f"上报{unit}", assignee, (unit, esc_due))
                )
                if stuck:
                    return self._reminders(steps, t_esc, secretary, esc_due, paused=False)
                level = _LEVEL_OF_UNIT(unit)
                if rng.random() < 0.08:
                    level = Level.COMMUNITY  # the higher level advised; the community did it
                if rng.random() < 0.85:
                    t = self._later(t_esc, _ri(rng, 3, esc_days - 1))
                else:
                    t = self._later(t_esc, esc_days + _ri(rng, 1, 15))
                if rng.random() < 0.6:
                    steps.append(
                        (
                            t,
                            Action.ESCALATION_ANSWERED,
                            S.IN_PROGRESS,
                            f"{unit}已答复",
                            assignee,
                            None,
                        )
                    )
                    t = self._later(t, _pick(rng, (0, 1, 2, 3, 5)))
                else:
                    answered = True
            else:
                if stuck:
                    return self._reminders(steps, t, secretary, deadline, paused=False)
                if kind is H.PROMISED and promised is not None:
                    span = max(self.clock.working_days(t.date(), promised), 0)
                    if rng.random() < 0.9:
                        t = self._later(t, _ri(rng, 0, span))
                    else:
                        t = self._later(t, span + _ri(rng, 1, 8))
                else:
                    t = self._later(t, _pick(rng, (0, 0, 1, 1, 2, 3, 4)))
        return self._finish(steps, t, cat, answered, level, assignee, secretary, reopen=True)

    def _reminders(
        self,
        steps: list[_Step],
        t: dt.datetime,
        secretary: int,
        deadline: dt.datetime,
        *,
        paused: bool,
    ) -> list[_Step]:
        """A stuck case gets 催办 from the secretary after its deadline passes."""
        if not paused and self.rng.random() < 0.7:
            t_remind = self._later(max(t, deadline), 1)
            steps.append((t_remind, Action.REMIND, None, "书记催办，请加快办理", secretary, None))
        return steps

    def _finish(
        self,
        steps: list[_Step],
        t: dt.datetime,
        cat: str,
        answered: bool,
        level: Level,
        assignee: int,
        secretary: int,
        *,
        reopen: bool,
    ) -> list[_Step]:
        """办结/答复 → 反馈 → 回访 → 归档, with a dissatisfied answer reopening the case."""
        rng = self.rng
        if answered:
            steps.append(
                (
                    t,
                    Action.FINISH_ANSWERED,
                    S.ANSWERED,
                    _pick(rng, T.ANSWERED_RESULTS),
                    assignee,
                    level,
                )
            )
        else:
            results = T.RESOLVED_RESULTS[cat]
            steps.append(
                (
                    t,
                    Action.FINISH_RESOLVED,
                    S.RESOLVED,
                    results[_rr(rng, 0, len(results))],
                    assignee,
                    level,
                )
            )
        if rng.random() < 0.03:
            return steps  # never told the resident: stays 已办结/已答复
        t = self._later(t, 0 if rng.random() < 0.6 else _ri(rng, 1, 2))
        method = rng.choices(
            (NotifyMethod.PHONE, NotifyMethod.HOME, NotifyMethod.LETTER), (70, 22, 8)
        )[0]
        steps.append((t, Action.NOTIFY, S.NOTIFIED, f"{method.label}办理结果", assignee, method))
        if rng.random() < 0.1:
            return steps  # no follow-up call (yet)
        t = self._later(t, _ri(rng, 1, 8))
        r = rng.random()
        if r < 0.07:
            answer = Satisfaction.NO_ANSWER
        elif reopen and r < 0.07 + 0.085:
            answer = Satisfaction.DISSATISFIED
        elif r < 0.82:
            answer = Satisfaction.SATISFIED
        else:
            answer = Satisfaction.BASICALLY_SATISFIED
        caller = assignee
        if answer is Satisfaction.DISSATISFIED:
            steps.append(
                (t, Action.FOLLOW_UP, S.IN_PROGRESS, "回访：不满意，重新办理", caller, answer)
            )
            if rng.random() < 0.5:
                return self._reminders(steps, t, secretary, t, paused=False)
            t = self._later(t, _ri(rng, 2, 10))
            return self._finish(steps, t, cat, answered, level, assignee, secretary, reopen=False)
        steps.append((t, Action.FOLLOW_UP, S.FOLLOWED_UP, f"回访：{answer.label}", caller, answer))
        if rng.random() < 0.8:
            t = self._later(t, _ri(rng, 5, 30))
            steps.append((t, Action.ARCHIVE, S.ARCHIVED, "资料归档", secretary, None))
        return steps

    def _apply(
        self,
        steps: list[_Step],
        case_id: int,
        t0: dt.datetime,
        deadline: dt.datetime,
        batch: _Batch,
    ) -> dict[str, Any]:
        """Walk the planned steps up to ``now``: the case's fields and its events."""
        now = self.now
        status = S.ACCEPTED
        first_response = paused_at = escalated_to = escalation_due = None
        finished_at = result = return_reason = level = None
        notified_at = notify_method = followed_up_at = satisfaction = None
        updated = t0
        events = batch.events if self.with_events else None
        for at, action, to, note, actor, payload in steps:
            if at > now:
                break
            before = status
            if to is not None:
                status = to
            if action is Action.ACCEPT:
                before = None
            elif first_response is None and action is not Action.REMIND:
                first_response = at
            if action is Action.REQUEST_MATERIALS:
                paused_at = at
            elif action is Action.MATERIALS_RECEIVED:
                paused_at = None
                deadline = payload
            elif action is Action.ESCALATE:
                escalated_to, escalation_due = payload
                deadline = escalation_due  # a 上报件 now follows the higher level's date
            elif action is Action.FINISH_RESOLVED or action is Action.FINISH_ANSWERED:
                finished_at, result, level = at, note, payload
            elif action is Action.NOTIFY:
                notified_at, notify_method = at, payload.value
            elif action is Action.FOLLOW_UP:
                followed_up_at, satisfaction = at, payload.value
            elif action is Action.RETURN:
                return_reason = note
            updated = at
            if events is not None:
                event_id = self.g.next_event
                self.g.next_event += 1
                events.append(
                    {
                        "id": event_id,
                        "case_id": case_id,
                        "actor_id": actor,
                        "at": at,
                        "action": action.value,
                        "from_status": None if before is None else before.value,
                        "to_status": status.value,
                        "note": note,
                        "data": None,
                    }
                )
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
            else self.clock.working_days(t0.date(), finished_at.date()),
            "resolved_level": None if level is None else level.value,
            "result": result,
            "return_reason": return_reason,
            "notified_at": notified_at,
            "notify_method": notify_method,
            "followed_up_at": followed_up_at,
            "satisfaction": satisfaction,
            "updated_at": updated,
        }


# ---------------------------------------------------------------- entry points


def _default_now(today: dt.date) -> dt.datetime:
    """With a pinned ``today``, "now" is that day's evening (so today's cases are in the past)."""
    return dt.datetime.combine(today, dt.time(18, 0))


def _generate_in(
    conn: Connection,
    *,
    cases: int,
    seed: int,
    today: dt.date,
    now: dt.datetime,
    with_events: bool,
) -> GenerationReport:
    started = time.perf_counter()
    gen = _Generator(conn, cases=cases, seed=seed, today=today, now=now, with_events=with_events)
    gen.run()
    return GenerationReport(dict(gen.counts), time.perf_counter() - started)


def generate(
    engine: Engine,
    *,
    cases: int,
    seed: int = 42,
    today: dt.date,
    with_events: bool = True,
    now: dt.datetime | None = None,
) -> GenerationReport:
    """Write the demo 街道 with ``cases`` cases over twelve months ending ``today`` (one transaction)."""
    with engine.begin() as conn:
        return _generate_in(
            conn,
            cases=cases,
            seed=seed,
            today=today,
            now=now or _default_now(today),
            with_events=with_events,
        )


def _has_communities(conn: Connection) -> bool:
    return conn.execute(select(Community.id).limit(1)).first() is not None


def ensure_demo_data(engine: Engine, *, today: dt.date | None = None) -> bool:
    """Generate the demo data if there is no 社区 yet; True if this call generated it.

    Safe when two processes start at once: the loser of the race hits the unique 街道 name
    (or waits out the winner's lock) and returns False.
    """
    with engine.connect() as conn:
        if _has_communities(conn):
            return False
    if today is None:
        now = local_now()
        today = now.date()
    else:
        now = _default_now(today)
    deadline = time.monotonic() + 120
    while True:
        try:
            with engine.begin() as conn:
                if _has_communities(conn):
                    return False
                _generate_in(
                    conn, cases=DEMO_CASES, seed=42, today=today, now=now, with_events=True
                )
            return True
        except IntegrityError:
            return False  # another process wrote the demo 街道 first
        except OperationalError:
            # Another process holds the lock while it generates (SQLite "database is locked",
            # a MariaDB deadlock): wait for it, then see whether it finished the job.
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
            with engine.connect() as conn:
                if _has_communities(conn):
                    return False


def _clear(engine: Engine) -> None:
    """Drop every table (and Alembic's version row) so that the target can be rebuilt."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _main(argv: Sequence[str] | None = None) -> int:
    from db.engine import make_engine
    from db.migrate import upgrade_to_head

    parser = argparse.ArgumentParser(prog="python -m db.demo", description="生成演示/压测数据")
    parser.add_argument("--url", required=True, help="目标数据库，如 sqlite:///bench/out/x.db")
    parser.add_argument("--cases", type=int, default=DEMO_CASES, help="案件数")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--no-events", action="store_true", help="不写案件流转记录（大数据量）")
    parser.add_argument("--replace", action="store_true", help="清空目标数据库后重新生成")
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        has_data = _has_communities(conn)
    if has_data:
        if not args.replace:
            print(
                "目标数据库已有数据，未写入。如需清空后重新生成，请加 --replace。", file=sys.stderr
            )
            return 2
        _clear(engine)
        upgrade_to_head(engine)
    today = args.today or local_now().date()
    report = generate(
        engine, cases=args.cases, seed=args.seed, today=today, with_events=not args.no_events
    )
    print(f"已生成演示数据（截至 {today.isoformat()}，种子 {args.seed}）：")
    print(report.summary())
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
