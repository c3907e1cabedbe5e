"""基础数据 writes: import rosters (idempotent), edit or retire people, households and service
points with history, create users for people; and the roster templates (a pure renderer).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.models import Household, HouseholdTag, Person, ServicePoint, User
from db.queries.rosters import community_centre, stored_keys
from domain.roles import Actor, Role
from domain.rosters import (
    COLUMNS,
    Roster,
    RosterResult,
    find_header,
    is_instruction_sheet,
    missing_columns,
    template_rows,
)
from services.history import record_change
from services.spreadsheet import new_sheet, streaming_book, workbook_bytes
from services.tabular import TableFileError, read_sheets
from services.users import create_account


class RosterError(ValueError):
    """A refused roster file or edit; the message is Chinese."""


@dataclass(frozen=True)
class RosterFile:
    """The sheet of an upload that holds the roster: its headers and numbered rows."""

    sheet: str
    headers: list[object]
    rows: list[tuple[int, list[object]]]


def roster_sheet(name: str, rows: Sequence[Sequence[object]], roster: Roster) -> RosterFile | None:
    """The roster in one sheet: None if no header row names its columns; refused if one names
    them but lacks a required column."""
    index = find_header(roster, rows)
    if index is None:
        return None
    missing = missing_columns(roster, rows[index])
    if missing:
        raise RosterError(f"工作表「{name}」缺少必需的列：{'、'.join(missing)}")
    numbered = [(n, list(r)) for n, r in enumerate(rows, start=1) if n > index + 1]
    return RosterFile(name, list(rows[index]), numbered)


def read_roster(data: bytes, filename: str, roster: Roster) -> RosterFile:
    """The first sheet (instruction sheets skipped) whose header row names the roster's columns.

    A sheet that looks like the roster but lacks a required column is passed over when a later
    sheet has them all (a workbook of several rosters, e.g. 导出全部设置); refused otherwise.
    """
    try:
        sheets = read_sheets(data, filename)
    except TableFileError as exc:
        raise RosterError(str(exc)) from exc
    incomplete: RosterError | None = None
    for name, rows in sheets:
        if is_instruction_sheet(name):
            continue
        try:
            found = roster_sheet(name, rows, roster)
        except RosterError as exc:
            incomplete = incomplete or exc
            continue
        if found is not None:
            return found
    if incomplete is not None:
        raise incomplete
    raise RosterError(
        f"没有找到{roster.label}的表头：请使用模板的列名（如「{template_rows(roster)[0][0]}」）"
    )


@dataclass(frozen=True)
class RosterOutcome:
    """What an import did: rows added, rows skipped as already stored."""

    added: int
    skipped: int


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise RosterError("只有管理员可以维护基础数据")


def _record(session: Session, actor: Actor, entity: str, ident: int, action: str,
            before: dict[str, Any] | None, after: dict[str, Any] | None, now: dt.datetime) -> None:  # fmt: skip
    record_change(session, entity=entity, entity_id=ident, action=action, before=before,
                  after=after, username=actor.username, now=now)  # fmt: skip


def import_roster(
    session: Session,
    *,
    actor: Actor,
    roster: Roster,
    community_id: int,
    result: RosterResult,
    now: dt.datetime,
) -> RosterOutcome:
    """Store the parsed rows whose key is not stored yet (one transaction); refused rows are not touched."""
    _require_admin(actor)
    known = stored_keys(session, roster=roster)
    made: list[tuple[Household | Person | ServicePoint, str]] = []
    centre = community_centre(session, community_id=community_id) or (0.0, 0.0)
    for row in result.rows:
        if row.roster_key in known:
            continue
        v: dict[str, Any] = dict(row.values)
        record: Household | Person | ServicePoint
        if roster is Roster.HOUSEHOLDS:
            record = Household(
                grid_cell_id=v["grid_cell_id"], building=v["building"], unit=v.get("unit"),
                room=v.get("room"), head_name=v["head_name"], phone=v.get("phone"),
                address=v.get("address"), members=v["members"], roster_key=row.roster_key,
                tags=[HouseholdTag(tag=t) for t in v["tags"]],
            )  # fmt: skip
        elif roster is Roster.PEOPLE:
            record = Person(
                name=v["name"], phone=v.get("phone"), kind=v["kind"], community_id=community_id,
                is_party_member=v["kind"] == "party_member" or bool(v.get("party_branch")),
                party_branch=v.get("party_branch"), party_group=v.get("party_group"),
                joined_party_on=v.get("joined_party_on"), party_status=v.get("party_status"),
                title=v.get("title"), service_scope=v.get("service_scope"), roster_key=row.roster_key,
            )  # fmt: skip
        else:
            lat, lon = v.get("latitude"), v.get("longitude")
            record = ServicePoint(
                community_id=community_id, kind=v["kind"], name=v["name"],
                latitude=centre[0] if lat is None else lat,
                longitude=centre[1] if lon is None else lon, roster_key=row.roster_key,
            )  # fmt: skip
        made.append((record, row.roster_key))
        known.add(row.roster_key)
    session.add_all(record for record, _ in made)
    session.flush()  # one batch of INSERTs (ids come back in order), not one per row
    for record, key in made:
        _record(session, actor, roster.value, record.id, "import", None, {"roster_key": key}, now)
    session.commit()
    return RosterOutcome(len(made), len(result.rows) - len(made))


def template_xlsx(roster: Roster) -> bytes:
    """The roster's template: Chinese headers, one example row, a 填表说明 sheet."""
    headers, example = template_rows(roster)
    book = streaming_book()
    sheet = new_sheet(book, roster.label)
    sheet.append(headers)
    sheet.append(example)
    notes = new_sheet(book, "填表说明")
    required = "、".join(c.label for c in COLUMNS[roster] if c.required)
    notes.append([f"第一行为列名，请勿修改；示例行可删除。必填列：{required}"])
    return workbook_bytes(book)


EDITABLE: dict[str, tuple[str, ...]] = {
    "person": ("name", "phone", "kind", "title", "party_branch", "party_group", "party_status", "service_scope"),
    "household": ("head_name", "phone", "address", "building", "unit", "room", "members"),
    "service_point": ("name", "kind", "latitude", "longitude"),
}  # fmt: skip
_MODELS: dict[str, Any] = {
    "person": Person, "household": Household, "service_point": ServicePoint,
}  # fmt: skip


def edit_record(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    record_id: int,
    changes: dict[str, Any],
    now: dt.datetime,
) -> int:
    """Change the given fields of a person, household or service point; the changed ones are recorded."""
    _require_admin(actor)
    record = session.get(_MODELS[entity], record_id)
    if record is None:
        raise RosterError("记录不存在")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE[entity]:
            raise RosterError(f"字段「{key}」不能修改")
        if getattr(record, key) != value:
            before[key], after[key] = getattr(record, key), value
            setattr(record, key, value)
    if after:
        _record(session, actor, entity, record_id, "update", before, after, now)
    session.commit()
    return len(after)


def retire_record(
    session: Session, *, actor: Actor, entity: str, record_id: int, now: dt.datetime
) -> None:
    """Take a record out of use (never deleted: what refers to it keeps it); recorded."""
    _require_admin(actor)
    record = session.get(_MODELS[entity], record_id)
    if record is None:
        raise RosterError("记录不存在")
    if record.retired_at is not None:
        raise RosterError("该记录已停用")
    record.retired_at = now
    _record(
        session, actor, entity, record_id, "retire", {"retired_at": None}, {"retired_at": now}, now
    )
    session.commit()


def one_time_password() -> str:
    """A 12-character password of letters and digits (both kinds always present)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return word


def users_for_people(
    session: Session,
    *,
    actor: Actor,
    person_ids: list[int],
    role: str,
    community_id: int | None,
    grid_cell_ids: list[int] | None,
    prefix: str,
    now: dt.datetime,
) -> list[tuple[str, str, str]]:
    """Create one user per person (must change the one-time password at first login).

    Returns (username, name, one-time password) for each, to be shown and downloaded once.
    """
    _require_admin(actor)
    made: list[tuple[str, str, str]] = []
    for pid in person_ids:
        person = session.get(Person, pid)
        if person is None:
            raise RosterError("人员不存在")
        username = f"{prefix.strip().lower()}{pid:04d}"
        password = one_time_password()
        user: User = create_account(
            session, actor=actor, username=username, display_name=person.name, role=role,
            password=password, now=now, grid_cell_ids=grid_cell_ids,
        )  # fmt: skip
        user.person_id, user.community_id = pid, community_id
        session.commit()
        made.append((username, person.name, password))
    return made


def passwords_csv(made: list[tuple[str, str, str]]) -> bytes:
    """The one-time passwords as a UTF-8 (BOM) CSV for Excel."""
    lines = ["用户名,姓名,初始密码（首次登录须修改）"] + [",".join(row) for row in made]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
