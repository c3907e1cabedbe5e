"""The demo 街道's territory and people: a grid that tiles the map, 社区, cadres, grid workers,
party members and deputies, households, the demo logins and service points."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import DEMO_PASSWORD
from db.demo import text as T
from db.demo.common import Picker, mobile, person_name, pick, rand_below, rand_int
from db.demo.writer import BulkWriter
from db.models import (
    Category,
    Community,
    GridCell,
    GridCollector,
    Household,
    HouseholdTag,
    OutsideUnit,
    Person,
    ServicePoint,
    Subdistrict,
    User,
    UserGridScope,
)
from db.seed import DEFAULT_CATEGORIES, ensure_categories, hash_password
from domain.reference import PersonKind, ServicePointKind, ServicePost, TargetGroup
from domain.roles import Role

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
    ("jiedao", Role.SUBDISTRICT_LEADER.value, "王振国"),
    ("jdstaff", Role.SUBDISTRICT_STAFF.value, "李晓燕"),
)
"""(username, role, display name) of the demo logins; the password is ``config.DEMO_PASSWORD``.

The 社区 roles belong to the first 社区 (``secretary`` is its 社区书记); ``jiedao`` (街道领导) and
``jdstaff`` (街道工作人员, who receives the cases escalated to the 街道) belong to the 街道."""

GRIDWORKER_CELLS = 3
"""The demo grid worker is 片长 of the first three cells of the first 社区."""

# The map: an 8 × 6 lattice of cells around 长沙市芙蓉区; each 社区 a 4 × 3 block.
ORIGIN_LON, ORIGIN_LAT = 112.9820, 28.1890
CELL_DLON, CELL_DLAT = 0.0030, 0.0026
LATTICE_COLS, LATTICE_ROWS = 8, 6
BLOCK_COLS, BLOCK_ROWS = 4, 3

HouseholdRef = tuple[int, str, str | None, str]
"""(household id, head name, phone, building)"""


def centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float]:
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
class Cell:
    """One grid cell as the generator sees it: its place, people and households."""

    id: int
    community: int  # index into COMMUNITIES
    community_id: int
    code: str
    estate: str
    ring: list[list[float]]
    center: tuple[float, float]
    leader: str = ""
    collectors: tuple[str, str] = ("", "")
    households: list[HouseholdRef] = field(default_factory=list)
    weight: float = 1.0
    factory: str | None = None


def point_in_cell(rng: random.Random, cell: Cell) -> tuple[float, float]:
    """A random point inside the cell (cells are star-shaped around their centroid)."""
    ring = cell.ring
    k = rand_below(rng, 0, len(ring) - 1)
    a, b = rng.random(), rng.random()
    if a + b > 1:
        a, b = 1 - a, 1 - b
    a, b = a * 0.9, b * 0.9
    cx, cy = cell.center
    lon = cx + a * (ring[k][0] - cx) + b * (ring[k + 1][0] - cx)
    lat = cy + a * (ring[k][1] - cy) + b * (ring[k + 1][1] - cy)
    return round(lat, 6), round(lon, 6)


class Territory:
    """The 街道 written at construction: who and what is where, for the rows that follow."""

    def __init__(self, writer: BulkWriter, rng: random.Random, now: dt.datetime) -> None:
        self.writer = writer
        self.categories = self._categories()
        sub_id = self.writer.ids(Subdistrict, 1)[0]
        self.writer.write(Subdistrict, [{"id": sub_id, "name": SUBDISTRICT_NAME}])
        com_ids = list(self.writer.ids(Community, len(COMMUNITIES)))
        self.writer.write(
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
        estates = [s + pick(rng, T.ESTATE_SUFFIXES) for s in stems]
        per_row = LATTICE_COLS // BLOCK_COLS
        cell_ids = iter(self.writer.ids(GridCell, LATTICE_COLS * LATTICE_ROWS))
        self.cells: list[Cell] = []
        for k, (_, code) in enumerate(COMMUNITIES):
            bx, by = (k % per_row) * BLOCK_COLS, (k // per_row) * BLOCK_ROWS
            n = 0
            for j in range(by + BLOCK_ROWS - 1, by - 1, -1):  # numbered north to south
                for i in range(bx, bx + BLOCK_COLS):
                    n += 1
                    ring = rings[i, j]
                    cx, cy = centroid(ring)
                    cell = Cell(
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
                        cell.factory = pick(rng, T.FACTORIES)
                        cell.weight *= 1.4
                    self.cells.append(cell)

        people, leaders, collectors = self._people(rng)
        self.writer.write(Person, people)
        self.writer.write(
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
        self.writer.write(
            GridCollector,
            [{"grid_cell_id": cid, "person_id": pid} for cid, pids in collectors for pid in pids],
        )
        self._households(rng)
        self._users(now)
        self._service_points(rng)
        self._outside_units()

    def _categories(self) -> dict[str, int]:
        with Session(bind=self.writer.conn) as session:
            found = {c.name: c.id for c in ensure_categories(session)}
            missing = [name for name in DEFAULT_CATEGORIES if name not in found]
            if missing:
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
        ids = iter(self.writer.ids(Person, 60 * len(COMMUNITIES)))

        def person(k: int, kind: PersonKind, name: str, **extra: Any) -> int:
            pid = next(ids)
            com = COMMUNITIES[k][0]
            row = {
                "id": pid,
                "name": name,
                "phone": mobile(rng),
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
                name = person_name(rng)
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
                name = demo_names[Role.GRIDWORKER] if k == 0 and w == 0 else person_name(rng)
                pid = person(k, PersonKind.GRID_WORKER, name, party=rng.random() < 0.5)
                rows[-1]["title"] = "专职网格员"
                workers.append(pid)
            if k == 0:
                self.demo_person[Role.GRIDWORKER] = workers[0]
            members = [
                person(
                    k,
                    PersonKind.PARTY_MEMBER,
                    person_name(rng),
                    party=True,
                    branch=f"{COMMUNITIES[k][0]}第{m % 4 + 1}党支部",
                    service_post=posts[m % len(posts)].value,
                )
                for m in range(32)
            ]
            self.deputies[k] = [
                person(k, PersonKind.DEPUTY, person_name(rng), party=d == 0, title=title)
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
        tag_pick = Picker(list(TargetGroup), (35, 10, 12, 7, 12, 20, 4))
        self.tagged: list[tuple[Cell, int, str, TargetGroup]] = []
        """(cell, household id, head, group) of every household in a target group"""
        next_id = self.writer.ids(Household, 0).start
        for cell in self.cells:
            target = rand_int(rng, 30, 80)
            building = 0
            while len(cell.households) < target:
                building += 1
                b = f"{building}栋"
                units = rand_int(rng, 1, 3)
                floors = rand_int(rng, 2, 7)
                rooms = rand_int(rng, 1, 2)
                for u in range(1, units + 1):
                    for f in range(1, floors + 1):
                        for r in range(1, rooms + 1):
                            if len(cell.households) >= target or rng.random() < 0.08:
                                continue  # empty flats
                            hid = next_id
                            next_id += 1
                            head = person_name(rng)
                            phone = mobile(rng) if rng.random() < 0.93 else None
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
                                    "members": pick(rng, (1, 2, 2, 3, 3, 3, 4, 4, 5)),
                                }
                            )
                            cell.households.append((hid, head, phone, b))
                            if rng.random() < 0.16:
                                group = tag_pick(rng)
                                tags.append({"household_id": hid, "tag": group.value})
                                self.tagged.append((cell, hid, head, group))
        self.writer.next_id["households"] = next_id
        self.writer.write(Household, rows)
        self.writer.write(HouseholdTag, tags)
        self.households = [(cell, h) for cell in self.cells for h in cell.households]

    def _users(self, now: dt.datetime) -> None:
        """The five demo logins plus three staff users per 社区 (case assignees)."""
        hashed = hash_password(DEMO_PASSWORD)
        existing = dict(self.writer.conn.execute(select(User.username, User.id)).all())
        rows: list[dict[str, Any]] = []
        ids = iter(self.writer.ids(User, len(DEMO_ACCOUNTS) + 3 * len(COMMUNITIES)))

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
        self.subdistrict_staff = demo[Role.SUBDISTRICT_STAFF]
        self.gw_cells = {c.id for c in self.cells[:GRIDWORKER_CELLS]}
        self.writer.write(User, rows)
        have = set(self.writer.conn.execute(select(UserGridScope.grid_cell_id)).scalars())
        self.writer.write(
            UserGridScope,
            [
                {"user_id": self.gridworker, "grid_cell_id": cid}
                for cid in sorted(self.gw_cells - have)
            ],
        )

    def _outside_units(self) -> None:
        """The directory of outside units a 上报上级单位 names (区 departments, 12345 …)."""
        have = set(self.writer.conn.execute(select(OutsideUnit.name)).scalars())
        todo = [u for u in T.OUTSIDE_UNITS if u[0] not in have]
        ids = iter(self.writer.ids(OutsideUnit, len(todo)))
        self.writer.write(
            OutsideUnit,
            [
                {
                    "id": next(ids),
                    "name": name,
                    "level": level.value,
                    "contact": contact,
                    "typical_days": days,
                    "is_active": True,
                }
                for name, level, contact, days in todo
            ],
        )

    def _service_points(self, rng: random.Random) -> None:
        rows = []
        kinds = list(ServicePointKind)
        ids = iter(self.writer.ids(ServicePoint, 5 * len(COMMUNITIES)))
        for k, (name, _) in enumerate(COMMUNITIES):
            cells = [c for c in self.cells if c.community == k]
            picks = rng.sample(cells, 5)
            for n, (kind, cell) in enumerate(
                zip([*kinds, ServicePointKind.CLINIC], picks, strict=True)
            ):
                lat, lon = point_in_cell(rng, cell)
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
        self.writer.write(ServicePoint, rows)

    def visitors(self, rng: random.Random, cell: Cell) -> str:
        """Who went: the cell's 片长, often with one of its two 信息员."""
        names = [cell.leader]
        if rng.random() < 0.6:
            names.append(cell.collectors[rand_below(rng, 0, 2)])
        return "、".join(names)

    def recorder(self, cell: Cell) -> int:
        """The user who records the cell's visits and assistance."""
        if cell.id in self.gw_cells:
            return self.gridworker
        pool = self.staff[cell.community]
        return pool[cell.id % len(pool)]
