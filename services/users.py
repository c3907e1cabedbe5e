"""User administration: create, disable, re-role, grid scope, password reset and change.

Passwords are stored as bcrypt hashes only and never logged; a new or reset account must
choose its own password at first login. Every change is recorded in ``audit_entries``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import GridCell, User
from db.queries.users import needs_first_admin
from db.seed import check_password, create_user, hash_password
from domain.roles import Actor, Role
from services.audit import add_entry
from services.sessions import EndReason, revoke_user_sessions

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,39}$")
_COMMON = frozenset(
    {"password", "password1", "12345678", "123456789", "1234567890", "qwertyuiop", "admin12345",
     "11111111", "00000000", "abc12345", "iloveyou", "1q2w3e4r5t"}
)  # fmt: skip


class UserError(ValueError):
    """A refused user change; ``errors`` maps field → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def password_problems(password: str, *, username: str = "") -> str | None:
    """None if ``password`` is strong enough, else the Chinese reason."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    kinds = sum(bool(re.search(p, password)) for p in (r"[A-Za-z]", r"\d", r"[^A-Za-z0-9]"))
    if kinds < 2:
        return "密码须包含字母、数字、符号中的至少两类"
    if password.lower() in _COMMON or (username and username.lower() in password.lower()):
        return "密码太常见或包含用户名，请换一个"
    return None


def _audit(
    session: Session, actor: Actor, action: str, target: str, detail: str, now: dt.datetime
) -> None:
    add_entry(
        session, username=actor.username, action=action, target=target, detail=detail, now=now
    )


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise UserError({"role": "只有管理员可以管理用户"})


def _cells(session: Session, ids: list[int] | None) -> list[GridCell]:
    if not ids:
        return []
    return list(session.scalars(select(GridCell).where(GridCell.id.in_(ids))).all())


def _account_errors(username: str, display_name: str, password: str) -> dict[str, str]:
    """What is wrong with a new account's username, name and password (field → message)."""
    errors: dict[str, str] = {}
    if not _USERNAME.match(username):
        errors["username"] = "用户名须为 3–40 位小写字母、数字或 _ . -，以字母开头"
    if not display_name.strip():
        errors["display_name"] = "请填写姓名"
    problem = password_problems(password, username=username)
    if problem:
        errors["password"] = problem
    return errors


def _add_account(
    session: Session,
    errors: dict[str, str],
    username: str,
    display_name: str,
    password: str,
    role: str,
    now: dt.datetime,
    must_change_password: bool,
) -> User:
    """Refuse the form's ``errors``, or add the user with the password hashed (not committed)."""
    if errors:
        raise UserError(errors)
    return create_user(
        session,
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=hash_password(password),
        now=now,
        must_change_password=must_change_password,
    )


def create_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    password: str,
    now: dt.datetime,
    grid_cell_ids: list[int] | None = None,
) -> User:
    """Create a user who must change the given initial password at first login."""
    _require_admin(actor)
    username = username.strip().lower()
    errors = _account_errors(username, display_name, password)
    if "username" not in errors and session.scalar(
        select(func.count()).select_from(User).where(User.username == username)
    ):
        errors = {"username": f"用户名「{username}」已存在", **errors}
    if role not in Role.__members__.values():
        errors["role"] = "请选择角色"
    if role == Role.GRIDWORKER and not grid_cell_ids:
        errors["grid_cell_ids"] = "网格员须至少分配一个网格"
    user = _add_account(session, errors, username, display_name, password, role, now, True)
    user.grid_cells = _cells(session, grid_cell_ids)
    _audit(session, actor, "user.create", username, f"角色 {Role(role).label}", now)
    session.commit()
    return user


@dataclass(frozen=True)
class NewAccount:
    """One account of ``create_accounts``: who, with which role, unit, person and cells."""

    username: str
    display_name: str
    role: str
    community_id: int | None = None
    person_id: int | None = None
    grid_cell_ids: tuple[int, ...] = ()


def create_accounts(
    session: Session,
    *,
    actor: Actor,
    accounts: Sequence[NewAccount],
    password: str,
    must_change_password: bool,
    now: dt.datetime,
) -> list[User]:
    """Several accounts sharing one initial password, hashed once (bcrypt takes a quarter second).

    The demo's logins are made this way. Each account is checked as ``create_account`` checks
    it, with its unit, person and cells set; all or none (one commit), each recorded.
    """
    _require_admin(actor)
    taken = set(session.scalars(select(User.username)))
    hashed: str | None = None
    made: list[User] = []
    for account in accounts:
        username = account.username.strip().lower()
        errors = _account_errors(username, account.display_name, password)
        if "username" not in errors and username in taken:
            errors = {"username": f"用户名「{username}」已存在", **errors}
        if account.role not in Role.__members__.values():
            errors["role"] = "请选择角色"
        if account.role == Role.GRIDWORKER and not account.grid_cell_ids:
            errors["grid_cell_ids"] = "网格员须至少分配一个网格"
        if errors:
            session.rollback()
            raise UserError({k: f"{username}：{v}" for k, v in errors.items()})
        hashed = hashed or hash_password(password)
        user = create_user(
            session, username=username, display_name=account.display_name.strip(),
            role=account.role, password_hash=hashed, now=now, community_id=account.community_id,
            person_id=account.person_id, must_change_password=must_change_password,
        )  # fmt: skip
        user.grid_cells = _cells(session, list(account.grid_cell_ids))
        _audit(session, actor, "user.create", username, f"角色 {Role(account.role).label}", now)
        taken.add(username)
        made.append(user)
    session.commit()
    return made


def update_account(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    role: str,
    is_active: bool,
    grid_cell_ids: list[int] | None,
    now: dt.datetime,
) -> User:
    """Change a user's role, active flag and grid scope; an admin cannot lock themself out."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise UserError({"user": "用户不存在"})
    if user.id == actor.user_id and (role != Role.ADMIN or not is_active):
        raise UserError({"role": "不能停用自己或取消自己的管理员角色"})
    if role == Role.GRIDWORKER and not grid_cell_ids:
        raise UserError({"grid_cell_ids": "网格员须至少分配一个网格"})
    changes = []
    if user.role != role:
        changes.append(f"角色 {Role(user.role).label} → {Role(role).label}")
        user.role = role
    if user.is_active != is_active:
        changes.append("启用" if is_active else "停用")
        user.is_active = is_active
        if not is_active:  # a disabled user's sessions end in every process at once
            revoke_user_sessions(session, user_id=user.id, reason=EndReason.DISABLED, now=now)
    new_cells = _cells(session, grid_cell_ids if role == Role.GRIDWORKER else [])
    if {c.id for c in user.grid_cells} != {c.id for c in new_cells}:
        changes.append("网格范围：" + ("、".join(c.name for c in new_cells) or "无"))
        user.grid_cells = new_cells
    if changes:
        _audit(session, actor, "user.update", user.username, "；".join(changes), now)
    session.commit()
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int, now: dt.datetime) -> str:
    """Give the user a random one-time password (returned once, never stored in clear)."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise UserError({"user": "用户不存在"})
    temporary = secrets.token_urlsafe(9) + "-7"
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    revoke_user_sessions(session, user_id=user.id, reason=EndReason.RESET, now=now)
    _audit(
        session, actor, "user.reset_password", user.username, "重置密码，须在首次登录时修改", now
    )
    session.commit()
    return temporary


def change_own_password(
    session: Session,
    *,
    username: str,
    current: str,
    new: str,
    repeat: str,
    now: dt.datetime,
    keep_session: str | None = None,
) -> None:
    """The user sets their own password (required after creation or a reset); every other
    session of theirs ends (``keep_session``, the one they changed it in, stays)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError({"user": "用户不存在"})
    errors: dict[str, str] = {}
    if not check_password(current, user.password_hash):
        errors["current"] = "当前密码不正确"
    problem = password_problems(new, username=username)
    if problem:
        errors["new"] = problem
    elif new != repeat:
        errors["repeat"] = "两次输入的新密码不一致"
    elif new == current:
        errors["new"] = "新密码不能与当前密码相同"
    if errors:
        raise UserError(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_user_sessions(
        session, user_id=user.id, reason=EndReason.PASSWORD, now=now, keep=keep_session
    )
    add_entry(
        session, username=username, action="user.change_password", target=username,
        detail="修改了自己的密码", now=now,
    )  # fmt: skip
    session.commit()


def create_first_admin(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    repeat: str,
    now: dt.datetime,
) -> User:
    """Create the first administrator, once, on a database with no users."""
    username = username.strip().lower()
    if not needs_first_admin(session):
        raise UserError({"username": "已存在用户，不能再次初始化管理员"})
    errors = _account_errors(username, display_name, password)
    if "password" not in errors and password != repeat:
        errors["repeat"] = "两次输入的密码不一致"
    user = _add_account(
        session, errors, username, display_name, password, Role.ADMIN.value, now, False
    )
    add_entry(
        session, username=username, action="user.first_admin", target=username,
        detail="初始化第一个管理员", now=now,
    )  # fmt: skip
    session.commit()
    return user
