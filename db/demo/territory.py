"""The demo 街道's territory and people: a grid that tiles the map, 社区, cadres, grid workers,
party members and deputies, households, the demo logins and service points — set up through
the same services an admin uses on a real 街道 (boundary file, rosters, users)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import DEMO_PASSWORD
from db.demo import text as T
from db.demo.common import Picker, mobile, person_name, pick, rand_below, rand_int
from db.demo.writer import BulkWriter, table_of
from db.models import (
    Base,
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
from db.queries.rosters import community_cells
from db.queries.users import needs_first_admin
from db.seed import DEFAULT_CATEGORIES, ensure_categories
from domain.boundary_files import Feature
from domain.boundary_plan import KnownCell, plan_boundaries
from domain.geo import Crs
from domain.ledger_import import NameIndex
from domain.reference import PersonKind, ServicePointKind, ServicePost, TargetGroup
from domain.roles import Actor, Role
from domain.rosters import COLUMNS, TAG_WORDS, Roster, parse_roster
from services.outside_units import save_outside_unit
from services.people import set_service_post
from services.rosters import import_roster
from services.territory import (
    apply_boundaries,
    create_community,
    create_subdistrict,
    set_cell_people,
)
from services.users import NewAccount, create_accounts, create_first_admin

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

Row = tuple[int, list[object]]
"""A numbered row of a roster file (its row number, its cells)."""


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


ROSTER_KIND: dict[PersonKind, str] = {
    PersonKind.STAFF: "工作人员",
    PersonKind.GRID_WORKER: "网格员",
    PersonKind.PARTY_MEMBER: "党员",
    PersonKind.DEPUTY: "两代表一委员",
}
"""The 类别 a 社区 office writes in its 人员名册 for each kind of demo person."""

TAG_WORD: dict[TargetGroup, str] = {
    group: next(word for word, tag in TAG_WORDS.items() if tag == group.value)
    for group in TargetGroup
}
"""The 类别 word of the 住户台账 for each target group (低保户, 残疾人 …)."""


def roster_table(roster: Roster, rows: list[dict[str, object]]) -> tuple[list[str], list[Row]]:
    """The roster as its template lays it out: the Chinese headers and numbered rows."""
    columns = COLUMNS[roster]
    headers = [c.label for c in columns]
    numbered: list[Row] = [
        (n, ["" if row.get(c.key) is None else str(row[c.key]) for c in columns])
        for n, row in enumerate(rows, start=2)
    ]
    return headers, numbered


SET_UP: dict[str, type[Base]] = {
    m.__tablename__: m
    for m in (Subdistrict, Community, Person, GridCell, GridCollector, Household, HouseholdTag,
              User, UserGridScope, ServicePoint, OutsideUnit)
}  # fmt: skip
"""The tables the setup services fill, in the report's order."""


class Territory:
    """The 街道 set up at construction through the admin's setup services, as a real 街道 does
    (``services.territory``, ``services.rosters``, ``services.users`` …): who and what is
    where, for the rows that follow. The random draws decide what is written; the services
    write it, each step committed inside the caller's transaction (the session joins it)."""

    def __init__(self, writer: BulkWriter, rng: random.Random, now: dt.datetime) -> None:
        self.writer = writer
        self.now = now
        self.session = Session(bind=writer.conn, expire_on_commit=False)  # one writer: no reloads
        before = self._rows()
        self.categories = self._categories()
        self.actor = self._admin()
        create_subdistrict(self.session, actor=self.actor, name=SUBDISTRICT_NAME, now=now)
        self.community_ids = [
            create_community(self.session, actor=self.actor, name=name, code=code, now=now).id
            for name, code in COMMUNITIES
        ]

        # Cells: community k owns a BLOCK_COLS × BLOCK_ROWS block of the lattice.
        rings = lattice_rings(rng)
        stems = list(T.ESTATE_STEMS)
        rng.shuffle(stems)
        estates = [s + pick(rng, T.ESTATE_SUFFIXES) for s in stems]
        per_row = LATTICE_COLS // BLOCK_COLS
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
                        id=0,  # the id the setup gives it, below
                        community=k,
                        community_id=self.community_ids[k],
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
        self._boundaries()
        self._people(rng)
        self._households(rng)
        self._users(now)
        self._service_points(rng)
        self._outside_units()
        after = self._rows()
        self.writer.counts.update({name: after[name] - before[name] for name in SET_UP})
        self.session.close()

    def _rows(self) -> dict[str, int]:
        """Rows per set-up table (the report counts what the setup added, as the writer does)."""
        return {
            name: self.session.scalar(select(func.count()).select_from(table_of(model))) or 0
            for name, model in SET_UP.items()
        }

    # ------------------------------------------------------------ through the setup services

    def _admin(self) -> Actor:
        """The demo's ``admin``: the first administrator of an empty database, as in production."""
        session = self.session
        if needs_first_admin(session):
            name = DEMO_ACCOUNTS[0][2]
            create_first_admin(
                session, username="admin", display_name=name, password=DEMO_PASSWORD,
                repeat=DEMO_PASSWORD, now=self.now,
            )  # fmt: skip
        admin = session.scalar(select(User).where(User.username == "admin"))
        if admin is None or admin.role != Role.ADMIN:
            admin = session.scalar(
                select(User).where(User.role == Role.ADMIN.value).order_by(User.id).limit(1)
            )
        if admin is None:
            raise RuntimeError("演示数据需要一个管理员账号来初始化街道")
        return Actor(admin.id, admin.username, Role.ADMIN, admin.display_name)

    def _boundaries(self) -> None:
        """Each 社区's cells come from a boundary file (GeoJSON, WGS-84): code, name, polygon."""
        known: list[KnownCell] = []
        for k, (name, code) in enumerate(COMMUNITIES):
            cells = [c for c in self.cells if c.community == k]
            features = [
                Feature(
                    {"名称": self.cell_name(c), "编码": c.code},
                    {"type": "Polygon", "coordinates": [c.ring]},
                )
                for c in cells
            ]
            plan = plan_boundaries(
                features, key="名称", crs=Crs.WGS84, community_id=self.community_ids[k],
                community_code=code, community_name=name, cells=known, code_key="编码",
            )  # fmt: skip
            if plan.problems:
                raise RuntimeError("；".join(plan.problems))
            apply_boundaries(self.session, actor=self.actor, plan=plan, now=self.now)
            ids = dict(
                self.session.execute(
                    select(GridCell.code, GridCell.id).where(
                        GridCell.code.in_([c.code for c in cells])
                    )
                ).all()
            )
            for c in cells:
                c.id = ids[c.code]
                shape = {"type": "Polygon", "coordinates": [c.ring]}
                known.append(KnownCell(c.id, c.community_id, c.code, self.cell_name(c), shape))

    @staticmethod
    def cell_name(cell: Cell) -> str:
        """「第3网格·锦绣小区」: the cell's number in its 社区 and its estate."""
        return f"第{cell.code[-2:].lstrip('0')}网格·{cell.estate}"

    def _import(self, roster: Roster, k: int, rows: list[dict[str, object]]) -> list[int]:
        """Import one 社区's roster rows as an admin does; the stored ids in the rows' order."""
        headers, numbered = roster_table(roster, rows)
        community_id = self.community_ids[k]
        cells = NameIndex(community_cells(self.session, community_id=community_id), "网格")
        result = parse_roster(roster, headers, numbered, community_id=community_id, cells=cells)
        if result.refused or len(result.rows) != len(rows):
            refused = "；".join(f"{r.shown}：{'、'.join(r.reasons)}" for r in result.refused)
            raise RuntimeError(f"演示{roster.label}有行被拒绝：{refused}")
        import_roster(
            self.session, actor=self.actor, roster=roster, community_id=community_id,
            result=result, now=self.now,
        )  # fmt: skip
        model: type[Person] | type[Household] | type[ServicePoint] = ServicePoint
        if roster is not Roster.SERVICE_POINTS:
            model = Person if roster is Roster.PEOPLE else Household
        keys = [r.roster_key for r in result.rows]
        stored = dict(
            self.session.execute(
                select(model.roster_key, model.id).where(model.roster_key.in_(keys))
            ).all()
        )
        return [stored[key] for key in keys]

    def _categories(self) -> dict[str, int]:
        found = {c.name: c.id for c in ensure_categories(self.session)}
        missing = [name for name in DEFAULT_CATEGORIES if name not in found]
        if missing:
            made = [Category(name=name, sort_order=90 + i) for i, name in enumerate(missing)]
            self.session.add_all(made)
            self.session.flush()
            found.update({c.name: c.id for c in made})
        self.session.flush()
        return {name: found[name] for name in DEFAULT_CATEGORIES}

    def _people(self, rng: random.Random) -> None:
        """两委 members, grid workers, party members and deputies (the 人员名册 of each 社区),
        their 设岗定责 posts, and each cell's 片长 and two 民情搜集义务人."""
        rows: list[dict[str, Any]] = []
        posts = list(ServicePost)
        drafts: dict[int, list[int]] = {}  # 社区 → its rows' indexes into ``rows``

        def person(k: int, kind: PersonKind, name: str, **extra: Any) -> int:
            """Draft one person; returns its row index (the id comes with the import)."""
            com = COMMUNITIES[k][0]
            row: dict[str, Any] = {
                "name": name,
                "phone": mobile(rng),
                "kind": ROSTER_KIND[kind],
                "title": None,
                "party_branch": None,
                "service_post": None,
            }
            if extra.pop("party", False):
                row["party_branch"] = extra.pop("branch", f"{com}第一党支部")
            row.update(extra)
            rows.append(row)
            drafts.setdefault(k, []).append(len(rows) - 1)
            return len(rows) - 1

        demo_names = {role: name for _, role, name in DEMO_ACCOUNTS}
        cadres: dict[int, list[int]] = {}
        workers: dict[int, list[int]] = {}
        members: dict[int, list[int]] = {}
        deputies: dict[int, list[int]] = {}
        for k in range(len(COMMUNITIES)):
            cadres[k] = []
            for t, title in enumerate(T.CADRE_TITLES):
                name = person_name(rng)
                if k == 0 and t == 0:
                    name = demo_names[Role.SECRETARY]
                if k == 0 and t == 4:
                    name = demo_names[Role.STAFF]
                cadres[k].append(person(k, PersonKind.STAFF, name, party=t < 5, title=title))
            workers[k] = []
            for w in range(3):
                name = demo_names[Role.GRIDWORKER] if k == 0 and w == 0 else person_name(rng)
                pid = person(k, PersonKind.GRID_WORKER, name, party=rng.random() < 0.5)
                rows[-1]["title"] = "专职网格员"
                workers[k].append(pid)
            members[k] = [
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
            deputies[k] = [
                person(k, PersonKind.DEPUTY, person_name(rng), party=d == 0, title=title)
                for d, title in enumerate(("区人大代表", "区政协委员"))
            ]

        ident: dict[int, int] = {}  # row index → person id
        for k, indexes in drafts.items():
            stored = self._import(Roster.PEOPLE, k, [rows[i] for i in indexes])
            ident.update(zip(indexes, stored, strict=True))
        for i, row in enumerate(rows):
            if row["service_post"] is not None:
                set_service_post(
                    self.session, actor=self.actor, person_id=ident[i],
                    post=row["service_post"], now=self.now,
                )  # fmt: skip

        self.person_names: dict[int, str] = {ident[i]: r["name"] for i, r in enumerate(rows)}
        self.cadres: dict[int, list[tuple[int, str]]] = {
            k: [(ident[i], rows[i]["name"]) for i in found] for k, found in cadres.items()
        }
        self.members = {k: [ident[i] for i in found] for k, found in members.items()}
        self.deputies = {k: [ident[i] for i in found] for k, found in deputies.items()}
        self.demo_person: dict[str, int] = {
            Role.SECRETARY: self.cadres[0][0][0],
            Role.STAFF: self.cadres[0][4][0],
            Role.GRIDWORKER: ident[workers[0][0]],
        }
        self.leaders: dict[int, int] = {}
        for k in range(len(COMMUNITIES)):
            cells = [c for c in self.cells if c.community == k]
            # Grid workers lead three cells each (the demo one: the first three), cadres the rest.
            lead_order = [ident[workers[k][c // 3]] for c in range(9)] + [
                self.cadres[k][1 + c][0] for c in range(3)
            ]
            own = self.members[k]
            for c, cell in enumerate(cells):
                leader = lead_order[c % len(lead_order)]
                pair = [own[(2 * c) % len(own)], own[(2 * c + 1) % len(own)]]
                set_cell_people(
                    self.session, actor=self.actor, cell_id=cell.id, leader_id=leader,
                    collector_ids=pair, now=self.now,
                )  # fmt: skip
                self.leaders[cell.id] = leader
                cell.leader = self.person_names[leader]
                cell.collectors = (self.person_names[pair[0]], self.person_names[pair[1]])
        self.member_names = {
            k: [rows[i]["name"] for i in drafts[k]] for k in range(len(COMMUNITIES))
        }

    def _households(self, rng: random.Random) -> None:
        """Each 社区's 住户台账 (户主, 楼栋/单元/室, 地址, 人口数, 电话, 所属网格, 类别), imported."""
        tag_pick = Picker(list(TargetGroup), (35, 10, 12, 7, 12, 20, 4))
        drafts: dict[int, list[dict[str, object]]] = {}
        tagged: list[tuple[Cell, int, str, TargetGroup]] = []
        for cell in self.cells:
            target = rand_int(rng, 30, 80)
            building = 0
            drafted: list[tuple[str, str | None, str]] = []
            while len(drafted) < target:
                building += 1
                b = f"{building}栋"
                units = rand_int(rng, 1, 3)
                floors = rand_int(rng, 2, 7)
                rooms = rand_int(rng, 1, 2)
                for u in range(1, units + 1):
                    for f in range(1, floors + 1):
                        for r in range(1, rooms + 1):
                            if len(drafted) >= target or rng.random() < 0.08:
                                continue  # empty flats
                            head = person_name(rng)
                            phone = mobile(rng) if rng.random() < 0.93 else None
                            room = f"{f}0{r}"
                            row: dict[str, object] = {
                                "head_name": head,
                                "building": b,
                                "unit": f"{u}单元",
                                "room": room,
                                "address": f"{SUBDISTRICT_NAME}{COMMUNITIES[cell.community][0]}"
                                f"{cell.estate}{b}{u}单元{room}室",
                                "members": pick(rng, (1, 2, 2, 3, 3, 3, 4, 4, 5)),
                                "phone": phone,
                                "grid_cell": cell.code,
                            }
                            drafted.append((head, phone, b))
                            rows = drafts.setdefault(cell.community, [])
                            if rng.random() < 0.16:
                                group = tag_pick(rng)
                                row["tags"] = TAG_WORD[group]
                                tagged.append((cell, len(rows), head, group))
                            rows.append(row)
                            cell.households.append((len(rows) - 1, head, phone, b))
        ident = {k: self._import(Roster.HOUSEHOLDS, k, rows) for k, rows in drafts.items()}
        for cell in self.cells:
            own = ident[cell.community]
            cell.households = [(own[i], head, phone, b) for i, head, phone, b in cell.households]
        self.tagged = [(cell, ident[cell.community][i], head, g) for cell, i, head, g in tagged]
        """(cell, household id, head, group) of every household in a target group"""
        self.households = [(cell, h) for cell in self.cells for h in cell.households]

    def _users(self, now: dt.datetime) -> None:
        """The demo logins plus three staff users per 社区 (case assignees), all with the demo
        password (``services.users.create_accounts``: checked as the admin's user form checks)."""
        existing = dict(self.session.execute(select(User.username, User.id)).all())
        accounts: list[NewAccount] = []
        gw_cells = tuple(c.id for c in self.cells[:GRIDWORKER_CELLS])

        def user(username: str, role: str, name: str, k: int | None, pid: int | None) -> None:
            if username not in existing:
                accounts.append(
                    NewAccount(
                        username, name, role, None if k is None else self.community_ids[k], pid,
                        gw_cells if role == Role.GRIDWORKER else (),
                    )
                )  # fmt: skip

        for username, role, name in DEMO_ACCOUNTS:
            k = 0 if role in (Role.SECRETARY, Role.STAFF, Role.GRIDWORKER) else None
            user(username, role, name, k, self.demo_person.get(role))
        picks: dict[int, tuple[int, ...]] = {}
        for k, (_, code) in enumerate(COMMUNITIES):
            picks[k] = (1, 2, 3) if k == 0 else (0, 1, 2)
            for n, c in enumerate(picks[k], start=1):
                pid, name = self.cadres[k][c]
                user(f"{code.lower()}{n:02d}", Role.STAFF.value, name, k, pid)
        create_accounts(
            self.session, actor=self.actor, accounts=accounts, password=DEMO_PASSWORD,
            must_change_password=False, now=now,
        )  # fmt: skip
        ids = dict(self.session.execute(select(User.username, User.id)).all())
        demo = {role: ids[username] for username, role, _ in DEMO_ACCOUNTS}
        self.staff: dict[int, list[int]] = {}
        self.secretary: dict[int, int] = {}
        for k, (_, code) in enumerate(COMMUNITIES):
            pool = [demo[Role.SECRETARY], demo[Role.STAFF]] if k == 0 else []
            pool += [ids[f"{code.lower()}{n:02d}"] for n in range(1, len(picks[k]) + 1)]
            self.staff[k] = pool
            self.secretary[k] = pool[0]
        self.gridworker = demo[Role.GRIDWORKER]
        self.subdistrict_staff = demo[Role.SUBDISTRICT_STAFF]
        self.gw_cells = set(gw_cells)

    def _outside_units(self) -> None:
        """The directory of outside units a 上报上级单位 names (区 departments, 12345 …)."""
        have = set(self.session.scalars(select(OutsideUnit.name)))
        for name, level, contact, days in T.OUTSIDE_UNITS:
            if name not in have:
                save_outside_unit(
                    self.session, actor=self.actor, name=name, level=level.value,
                    contact=contact, typical_days=days, now=self.now,
                )  # fmt: skip

    def _service_points(self, rng: random.Random) -> None:
        """Each 社区's 服务点 roster (名称, 类型, 纬度, 经度), imported."""
        kinds = list(ServicePointKind)
        for k, (name, _) in enumerate(COMMUNITIES):
            rows: list[dict[str, object]] = []
            cells = [c for c in self.cells if c.community == k]
            picks = rng.sample(cells, 5)
            for n, (kind, cell) in enumerate(
                zip([*kinds, ServicePointKind.CLINIC], picks, strict=True)
            ):
                lat, lon = point_in_cell(rng, cell)
                label = kind.label if n < len(kinds) else f"{cell.estate}{kind.label}"
                rows.append(
                    {
                        "name": f"{name}{label}" if n < len(kinds) else label,
                        "kind": kind.label,
                        "latitude": repr(lat),
                        "longitude": repr(lon),
                    }
                )
            self._import(Roster.SERVICE_POINTS, k, rows)

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
