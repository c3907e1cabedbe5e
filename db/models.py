"""SQLAlchemy 2 typed models: territory, people, users, cases and their events, visits, assistance.

Times are naive Asia/Shanghai wall-clock times. Enumerations are stored as short English
codes (``domain.workflow``); labels are Chinese in the UI. Column types are kept portable
(SQLite, PostgreSQL, MySQL/MariaDB): bounded ``String`` lengths, no JSON operators.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

COORDINATE = Float().with_variant(Double(), "mysql")
"""A coordinate: double precision everywhere (MySQL's FLOAT alone is single precision)."""


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Subdistrict(Base):
    """街道: the subdistrict a deployment serves."""

    __tablename__ = "subdistricts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    communities: Mapped[list[Community]] = relationship(back_populates="subdistrict")


class Community(Base):
    """社区: a residents' committee area."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistricts.id"))
    name: Mapped[str] = mapped_column(String(60), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    subdistrict: Mapped[Subdistrict] = relationship(back_populates="communities")
    grid_cells: Mapped[list[GridCell]] = relationship(back_populates="community")


class Person(Base):
    """A staff member, grid worker, party member or deputy (not necessarily a user)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # staff | grid_worker | party_member | deputy
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    party_branch: Mapped[str | None] = mapped_column(String(60))
    service_post: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(String(40))
    party_group: Mapped[str | None] = mapped_column(String(60))
    """党小组."""
    joined_party_on: Mapped[dt.date | None] = mapped_column(Date)
    party_status: Mapped[str | None] = mapped_column(String(10))
    """在职 / 离退休 / 流动."""
    service_scope: Mapped[str | None] = mapped_column(String(200))
    """服务范围 of a deputy (两代表一委员)."""
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    roster_key: Mapped[str | None] = mapped_column(String(64), index=True)


class GridCell(Base):
    """网格: a cell of the territory, with its boundary and responsible people (1+2+X)."""

    __tablename__ = "grid_cells"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    boundary_geojson: Mapped[str] = mapped_column(Text)
    center_lat: Mapped[float] = mapped_column(COORDINATE)
    center_lon: Mapped[float] = mapped_column(COORDINATE)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    """Out of use (merged, split, redrawn); never deleted, so its cases keep it."""
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("grid_cells.id"))
    position: Mapped[int | None] = mapped_column(Integer)
    """Order on the 社区's schematic map."""
    community: Mapped[Community] = relationship(back_populates="grid_cells")
    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id])
    buildings: Mapped[list[Building]] = relationship(back_populates="grid_cell")
    collectors: Mapped[list[Person]] = relationship(secondary="grid_collectors")


class Building(Base):
    """楼栋 of a grid cell, with its 楼栋长 (the X of the 1+2+X rule)."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("grid_cell_id", "name", name="uq_buildings_cell_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"))
    name: Mapped[str] = mapped_column(String(30))
    head_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    grid_cell: Mapped[GridCell] = relationship(back_populates="buildings")


class GridCollector(Base):
    """民情搜集义务人: the party members who collect concerns in a cell."""

    __tablename__ = "grid_collectors"
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class Household(Base):
    """户: a household in a grid cell; head name, phone and address are personal data."""

    __tablename__ = "households"
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), index=True)
    building: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(20))
    head_name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    members: Mapped[int] = mapped_column(Integer, default=1)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    roster_key: Mapped[str | None] = mapped_column(String(64), index=True)
    tags: Mapped[list[HouseholdTag]] = relationship(cascade="all, delete-orphan")


class HouseholdTag(Base):
    """A target-group tag of a household (五彩连心卡 colours, 低保户, 特困党员 …)."""

    __tablename__ = "household_tags"
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(Base):
    """A login account; ``role`` is admin | secretary | staff | gridworker | viewer."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    grid_cells: Mapped[list[GridCell]] = relationship(secondary="user_grid_scopes")


class UserGridScope(Base):
    """The grid cells a grid worker may see and change."""

    __tablename__ = "user_grid_scopes"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), primary_key=True)


class LoginEvent(Base):
    """Every login, failed attempt and lockout."""

    __tablename__ = "login_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # success | failure | locked | logout
    detail: Mapped[str | None] = mapped_column(String(200))


# ---------------------------------------------------------------------------------------------
# Server-side login sessions (issue 17, migration 0013): revocable in every process at once.


class UserSession(Base):
    """One login: keyed by the SHA-256 of its login cookie; revoked by logout, a password change,
    disabling the user, the admin's 强制下线 or idling (``services.sessions``)."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_revoked", "user_id", "revoked_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(20))


class Category(Base):
    """A concern category (六类别 by default); editable by an admin."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CaseNumberCounter(Base):
    """The last case number used per year: a row lock makes numbers unique and gap-free."""

    __tablename__ = "case_number_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """A resident's concern (民情) running through the pipeline."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    handling_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    description: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(String(40))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(COORDINATE)
    longitude: Mapped[float | None] = mapped_column(COORDINATE)
    first_handler_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    response_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(60))
    escalation_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    handling_working_days: Mapped[int | None] = mapped_column(Integer)
    resolved_level: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    notify_method: Mapped[str | None] = mapped_column(String(20))
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(30))
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0009: 上报 beyond the 街道 (the outside unit of the directory and its reference number) and
    # 上级转办 (the order number and deadline given by 12345 or the 街道).
    outside_unit_id: Mapped[int | None] = mapped_column(ForeignKey("outside_units.id"))
    escalation_ref: Mapped[str | None] = mapped_column(String(40))
    external_no: Mapped[str | None] = mapped_column(String(40), index=True)
    external_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    category: Mapped[Category] = relationship()
    grid_cell: Mapped[GridCell] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", viewonly=True
    )

    # Optimistic locking: an UPDATE carries ``WHERE version = :seen``; a stale writer fails.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        # KPI covering indexes (migration 0005): the aggregates read only index entries.
        Index(
            "ix_cases_kpi_accepted",
            "accepted_at",
            "status",
            "handling_type",
            "is_repeat",
            "resolved_level",
            "first_response_at",
            "response_due_at",
            "community_id",
            "grid_cell_id",
        ),
        Index(
            "ix_cases_kpi_cell_accepted",
            "grid_cell_id",
            "accepted_at",
            "status",
            "handling_type",
            "is_repeat",
            "resolved_level",
            "first_response_at",
            "response_due_at",
        ),
        Index(
            "ix_cases_kpi_finished",
            "finished_at",
            "deadline_at",
            "handling_working_days",
            "community_id",
            "grid_cell_id",
        ),
        Index(
            "ix_cases_kpi_followed_up",
            "followed_up_at",
            "satisfaction",
            "community_id",
            "grid_cell_id",
        ),
        Index(
            "ix_cases_kpi_community_accepted",
            "community_id",
            "accepted_at",
            "status",
            "handling_type",
            "is_repeat",
            "resolved_level",
            "first_response_at",
            "response_due_at",
        ),
        # 0008: (status, deadline, id) gives the overdue list its order straight from the index
        # on every backend (PostgreSQL otherwise walked the deadline index past millions).
        Index("ix_cases_status_deadline_id", "status", "deadline_at", "id"),
        # 0008: the dashboard's 已上报 list (status = escalated, oldest first).
        Index("ix_cases_status_accepted", "status", "accepted_at"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        Index("ix_cases_phone", "reporter_phone"),
        # 0004: the ledger's sorts and filters (see services/ledger.py).
        Index("ix_cases_deadline_id", "deadline_at", "id"),
        Index("ix_cases_cell_category_accepted", "grid_cell_id", "category_id", "accepted_at"),
        Index("ix_cases_category_accepted", "category_id", "accepted_at"),
        Index("ix_cases_channel_accepted", "channel", "accepted_at"),
    )


class OutsideUnit(Base):
    """An outside unit a case may be escalated to (区 departments, 上级部门, the 12345 hotline).

    Not a user: the app records what was sent to it (reference number, its deadline) and its
    回单 when it comes. ``level`` is the 化解层级 of a case it resolves (``domain.workflow.Level``).
    """

    __tablename__ = "outside_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(String(100), default="")
    typical_days: Mapped[int] = mapped_column(Integer, default=10)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CaseEvent(Base):
    """One appended step of a case's history: who, when, which action, from/to state, note."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # JSON text of changed fields
    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Visit(Base):
    """走访: a home visit to a household (or a building) of a grid cell."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    building: Mapped[str | None] = mapped_column(String(30))
    visited_at: Mapped[dt.datetime] = mapped_column(DateTime)
    visitors: Mapped[str] = mapped_column(String(200))
    people_met: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (
        Index("ix_visits_kpi", "visited_at", "grid_cell_id", "household_id", "people_met"),
        Index("ix_visits_household", "household_id", "visited_at"),
    )


class Assistance(Base):
    """帮扶: an assistance action for a beneficiary of a target group."""

    __tablename__ = "assistance"
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    beneficiary: Mapped[str] = mapped_column(String(60))
    target_group: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[dt.datetime] = mapped_column(DateTime)
    persons_helped: Mapped[int] = mapped_column(Integer, default=1)
    value_yuan: Mapped[float | None] = mapped_column(Numeric(12, 2))
    helpers: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (Index("ix_assistance_kpi", "given_at", "grid_cell_id", "persons_helped"),)


class ServicePoint(Base):
    """A service point on the map (党员服务站, 卫生站, 警务室, 便民服务中心)."""

    __tablename__ = "service_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    latitude: Mapped[float] = mapped_column(COORDINATE)
    longitude: Mapped[float] = mapped_column(COORDINATE)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    roster_key: Mapped[str | None] = mapped_column(String(64), index=True)


class AuditEntry(Base):
    """Security-relevant reads and refusals (viewing full personal data, out-of-scope requests)."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(String(500))


class FormSubmission(Base):
    """One filling of a form that was saved (走访, 帮扶): its token can never save a second record.

    The primary key makes a repeat fail inside the database even when two submits race.
    """

    __tablename__ = "form_submissions"
    form: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    target: Mapped[str] = mapped_column(String(60))
    username: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------------------------------------
# 台账导入 (issue 7): which ledger rows became which cases, so that an import is idempotent.


class ImportRow(Base):
    """One imported ledger row: its fingerprint (unique), the case it became, batch and source."""

    __tablename__ = "import_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    batch: Mapped[str] = mapped_column(String(40), index=True)
    source_name: Mapped[str] = mapped_column(String(200))
    row_number: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


LONG_TEXT = Text().with_variant(mysql.LONGTEXT(), "mysql")
"""Text of any size (MySQL/MariaDB's TEXT holds only 64 KB)."""


class ImportJob(Base):
    """A ledger import run as a job (``services.import_jobs``): it runs to the end without the page.

    ``status``: queued, running, done, stopped, failed; a running job whose ``heartbeat_at`` is
    stale (its process died) counts as 未完成 and can be resumed. ``created_at`` is the import's
    moment: every chunk's records carry it, so a resumed job ends as an uninterrupted one would.
    The rows still to import wait in ``import_job_chunks``.
    """

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(40), unique=True)
    source_name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))
    options: Mapped[str] = mapped_column(Text)
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(80))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(String(500))


class ImportJobChunk(Base):
    """One chunk of a job's parsed rows still to import (JSON); deleted with the chunk's commit."""

    __tablename__ = "import_job_chunks"
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[str] = mapped_column(LONG_TEXT)


# ---------------------------------------------------------------------------------------------
# People behind the pipeline (issue 8): 联户 liaison, 积分 points, 接待日 reception sessions and
# 三议 deliberations. Rules about them live in ``domain/people.py`` and ``domain/deliberation.py``.


class LiaisonLink(Base):
    """联户 (1+2+X): a party member or grid worker liaises with a household or a resident group.

    Exactly one of ``household_id`` and ``group_name`` is set; ``grid_cell_id`` is the cell the
    household or group lives in (the grid scope of the link).
    """

    __tablename__ = "liaison_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    group_name: Mapped[str | None] = mapped_column(String(60))
    since: Mapped[dt.date | None] = mapped_column(Date)


class PointRule(Base):
    """积分 rule an admin edits: a fact kind (``rule_key``) earns ``points`` while active."""

    __tablename__ = "point_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(60))
    points: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PointRecord(Base):
    """One point award: who, on which day, how many, by which rule, for which source record."""

    __tablename__ = "point_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    earned_on: Mapped[dt.date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Integer)
    rule_key: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str] = mapped_column(String(20))  # visit | assistance | case
    source_id: Mapped[int] = mapped_column(Integer)
    settled_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_point_records_person_day", "person_id", "earned_on"),
        Index("ix_point_records_day", "earned_on"),
        Index(
            "ux_point_records_award",
            "person_id",
            "rule_key",
            "source_type",
            "source_id",
            unique=True,
        ),
    )


class ReceptionSession(Base):
    """接待日: a reception session at a time and place, with deputies receiving residents."""

    __tablename__ = "reception_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    held_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    place: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deputies: Mapped[list[Person]] = relationship(secondary="reception_deputies")


class ReceptionDeputy(Base):
    """A deputy (人大代表/政协委员/党代表, ``people.kind`` deputy) receiving at a session."""

    __tablename__ = "reception_deputies"
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class ReceptionConcern(Base):
    """A concern raised at a reception session: the case it became (one session per case)."""

    __tablename__ = "reception_concerns"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"), index=True)


class Deliberation(Base):
    """三议: one meeting (党小组会 / 支委会 / 党员大会) that deliberated a case, and its decision."""

    __tablename__ = "deliberations"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    attendees: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


__all__ = [
    "Assistance",
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "Category",
    "Community",
    "Deliberation",
    "GridCell",
    "GridCollector",
    "Household",
    "HouseholdTag",
    "ImportRow",
    "LiaisonLink",
    "LoginEvent",
    "OutsideUnit",
    "Person",
    "PointRecord",
    "PointRule",
    "ReceptionConcern",
    "ReceptionDeputy",
    "ReceptionSession",
    "ServicePoint",
    "Subdistrict",
    "User",
    "UserGridScope",
    "Visit",
]


# --- KPI rollups (migration 0008): kept exact by ``db.rollups`` in every writing transaction.


class KpiDay(Base):
    """One day of one grid cell's figures: the dashboard sums these instead of scanning records.

    Each measure is counted on the day its own moment falls on: ``accepted`` …
    ``resolved_at_community`` on a case's acceptance day, ``finished`` … ``finished_with_days``
    on its finishing day, ``answered``/``satisfied`` on its follow-up (回访) day;
    ``visits``/``visit_persons`` on the visit's day, ``assistance_persons`` on the assistance's.
    """

    __tablename__ = "kpi_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), primary_key=True)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    resolution_base: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at_community: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    finished_on_time: Mapped[int] = mapped_column(Integer, default=0)
    handling_days: Mapped[int] = mapped_column(Integer, default=0)
    finished_with_days: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    visit_persons: Mapped[int] = mapped_column(Integer, default=0)
    assistance_persons: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_kpi_days_community_day", "community_id", "day"),
        Index("ix_kpi_days_cell_day", "grid_cell_id", "day"),
    )


class KpiOpenDay(Base):
    """Open cases of one grid cell whose deadline falls on one day: 在办件数 and 逾期件数 now.

    Only days that still have open cases keep a row (rows that drop to zero are deleted), so
    the table stays as small as the open work however long the history. Cases without a
    deadline are filed under ``NO_DEADLINE`` (9999-12-31).
    """

    __tablename__ = "kpi_open_days"
    deadline_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    """Cases in an open state (已受理, 办理中, 待补材料, 已上报)."""
    clock_running: Mapped[int] = mapped_column(Integer, default=0)
    """Of those, the ones whose clock runs (not paused): overdue once the deadline passes."""


class KpiReception(Base):
    """The cases raised at one 接待日 session in one grid cell, and how they stand now."""

    __tablename__ = "kpi_reception"
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    resolution_base: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)


NO_DEADLINE = dt.date(9999, 12, 31)
"""``kpi_open_days.deadline_day`` of open cases that have no deadline."""


class KpiDayGroup(Base):
    """One day of one 社区's accepted cases in one group of a breakdown (category, channel …).

    ``dimension`` is ``category`` (key: the category id), ``channel``, ``handling`` (五件制
    type) or ``level`` (the level that resolved them, ``""`` when not recorded; only
    ``resolved`` is counted there).
    """

    __tablename__ = "kpi_day_groups"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(30), primary_key=True)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    resolution_base: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------------------------
# Setting up a 街道 (issue 13): the edit history of the base data and the admin's calendar notices.


class RecordChange(Base):
    """One edit of territory, people, households, visits or assistance: who, when, before, after."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(Text)
    """JSON of the changed fields before the edit (None for a creation)."""
    after: Mapped[str | None] = mapped_column(Text)


class CalendarDay(Base):
    """A holiday or 调休 workday an admin entered from a State Council notice."""

    __tablename__ = "calendar_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40))
    entered_by: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------------------------------------
# The ledger's text index (issue 17): character grams of each case's searchable text.


class CaseGram(Base):
    """One gram (``db.search_index.code``) of a case's description, reporter, phone or number."""

    __tablename__ = "case_grams"
    __table_args__ = ({"sqlite_with_rowid": False},)
    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class CaseGramPending(Base):
    """A case inserted in bulk and not indexed yet: searches scan it until it is."""

    __tablename__ = "case_grams_pending"
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
