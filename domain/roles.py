"""Roles, what each may see and do, and the actor a service acts for.

One table per question (pages, case actions, personal data) so that a rule changes in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.workflow import AT_SUBDISTRICT_STATUSES, Action, CaseStatus


class Role(StrEnum):
    """A user's role; stored in ``users.role``."""

    ADMIN = "admin"
    SECRETARY = "secretary"
    STAFF = "staff"
    GRIDWORKER = "gridworker"
    VIEWER = "viewer"
    SUBDISTRICT_LEADER = "subdistrict_leader"
    SUBDISTRICT_STAFF = "subdistrict_staff"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "管理员",
    Role.SECRETARY: "社区书记/主任",
    Role.STAFF: "社区工作人员",
    Role.GRIDWORKER: "网格员",
    Role.VIEWER: "大屏展示",
    Role.SUBDISTRICT_LEADER: "街道领导",
    Role.SUBDISTRICT_STAFF: "街道工作人员",
}

SUBDISTRICT_ROLES: frozenset[Role] = frozenset({Role.SUBDISTRICT_LEADER, Role.SUBDISTRICT_STAFF})
"""Roles of the 街道 itself: they see every 社区 of the 街道 (DOMAIN.md §1 "Units and scope")."""


class PageKey(StrEnum):
    """Every screen of the app; its URL path is the value."""

    HOME = "home"
    INTAKE = "intake"
    LEDGER = "ledger"
    CASE = "case"
    TODO = "todo"
    DASHBOARD = "dashboard"
    VISITS = "visits"
    ASSISTANCE = "assistance"
    PRESENT = "present"
    USERS = "users"
    AUDIT = "audit"
    CATEGORIES = "categories"
    IMPORT = "import"
    REPORTS = "reports"
    LIAISON = "liaison"
    RECEPTION = "reception"
    DELIBERATION = "deliberation"
    ESCALATIONS = "escalations"
    SETUP = "setup"
    TERRITORY = "territory"
    ROSTERS = "rosters"
    CALENDAR = "calendar"


_ALL = frozenset(Role)
_WORKERS = frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF, Role.GRIDWORKER})

PAGE_ACCESS: dict[PageKey, frozenset[Role]] = {
    PageKey.HOME: _ALL,
    PageKey.INTAKE: _WORKERS,
    PageKey.LEDGER: _WORKERS | SUBDISTRICT_ROLES,
    PageKey.CASE: _WORKERS | SUBDISTRICT_ROLES,
    PageKey.TODO: _WORKERS | {Role.SUBDISTRICT_STAFF},
    PageKey.DASHBOARD: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF, Role.SUBDISTRICT_LEADER}),
    PageKey.VISITS: _WORKERS,
    PageKey.ASSISTANCE: _WORKERS,
    PageKey.PRESENT: frozenset({Role.VIEWER, Role.SECRETARY, Role.ADMIN, Role.SUBDISTRICT_LEADER}),
    PageKey.USERS: frozenset({Role.ADMIN}),
    PageKey.AUDIT: frozenset({Role.ADMIN, Role.SECRETARY}),
    PageKey.CATEGORIES: frozenset({Role.ADMIN}),
    PageKey.IMPORT: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF}),
    PageKey.REPORTS: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF, Role.SUBDISTRICT_LEADER}),
    PageKey.LIAISON: _WORKERS,
    PageKey.RECEPTION: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF}),
    PageKey.DELIBERATION: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF}),
    # 街道待办 (the 街道 staff's queue), the 社区's cases with a higher level, 回单, outside units.
    PageKey.ESCALATIONS: frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF}) | SUBDISTRICT_ROLES,
    # Setting up the 街道 (issue 13): the admin's.
    PageKey.SETUP: frozenset({Role.ADMIN}),
    PageKey.TERRITORY: frozenset({Role.ADMIN}),
    PageKey.ROSTERS: frozenset({Role.ADMIN}),
    PageKey.CALENDAR: frozenset({Role.ADMIN}),
}

DELIBERATION_ACTIONS: frozenset[Action] = frozenset(
    {Action.DELIBERATE, Action.DELIBERATION_DECISION}
)
"""三议 steps: recorded as meetings on the 三议 page (PageKey.DELIBERATION), not as case-page forms."""

POINT_RULE_EDITORS: frozenset[Role] = frozenset({Role.ADMIN})
"""Roles that edit the 积分 rules."""

# Case actions each role may take (the state machine decides *when*; this decides *who*).
_HANDLING = (
    frozenset(Action)
    - {Action.ACCEPT, Action.IMPORT, Action.ARCHIVE_HISTORICAL}  # done by 台账导入 only
    - DELIBERATION_ACTIONS
)
SUBDISTRICT_DESK_ACTIONS: frozenset[Action] = frozenset({Action.SIGN_FOR, Action.HAND_BACK})
"""签收 and 退回社区: the 街道 staff's answer to a 上报街道."""
_COMMUNITY_HANDLING = _HANDLING - SUBDISTRICT_DESK_ACTIONS
ACTION_ACCESS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _HANDLING,
    Role.SECRETARY: _COMMUNITY_HANDLING,
    Role.STAFF: _COMMUNITY_HANDLING,
    Role.GRIDWORKER: frozenset(
        {
            Action.START,
            Action.REQUEST_MATERIALS,
            Action.MATERIALS_RECEIVED,
            Action.FINISH_RESOLVED,
            Action.FINISH_ANSWERED,
            Action.NOTIFY,
            Action.FOLLOW_UP,
            Action.NOTE,
            Action.REMIND,
        }
    ),
    Role.VIEWER: frozenset(),
    # 街道 leaders compare 社区 and may press (催办) or note; they enter no data.
    Role.SUBDISTRICT_LEADER: frozenset({Action.REMIND, Action.NOTE}),
    # 街道 staff handle what a 社区 escalated to the 街道 with the same actions and clocks.
    Role.SUBDISTRICT_STAFF: _HANDLING,
}

PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.SECRETARY, Role.STAFF})
"""Roles that see residents' full names and phones (grid workers only in their own cells)."""

REVEAL_ROLES: frozenset[Role] = PERSONAL_DATA_ROLES | {Role.GRIDWORKER} | SUBDISTRICT_ROLES
"""Roles that may unmask one case's resident on the case page (an audited reveal); the 街道
sees residents masked everywhere else (DOMAIN.md §1, issue 14 item 6)."""

UNIT_ROLES: frozenset[Role] = frozenset({Role.SECRETARY, Role.STAFF, Role.GRIDWORKER})
"""社区 roles that must belong to one 社区; without it they see nothing (the admin assigns it)."""


def can_open(role: Role | str, page: PageKey | str) -> bool:
    """True if ``role`` may open ``page``."""
    return Role(role) in PAGE_ACCESS[PageKey(page)]


def can_act(role: Role | str, action: Action | str) -> bool:
    """True if ``role`` may take ``action`` on a case it can see."""
    return Action(action) in ACTION_ACCESS[Role(role)]


ANY_LEVEL_ACTIONS: frozenset[Action] = frozenset({Action.REMIND, Action.NOTE})
"""催办 and 备注: taken at any level, whoever holds the case."""


def holds_case(role: Role | str, status: CaseStatus | str) -> bool:
    """True if ``role``'s level holds a case in ``status``.

    While a case is at the 街道 (待街道签收, 街道办理中) the 街道 staff handle it and the 社区
    watches; while an outside unit has it (已上报, sent by the 社区 or by the 街道) either
    level may enter its 回单; in every other state the 社区 does and the 街道 watches. The
    admin holds all.
    """
    who = Role(role)
    current = CaseStatus(status)
    at_subdistrict = current in AT_SUBDISTRICT_STATUSES
    if who is Role.ADMIN or current is CaseStatus.ESCALATED:
        return True
    return at_subdistrict if who in SUBDISTRICT_ROLES else not at_subdistrict


def action_refusal(role: Role | str, action: Action | str, status: CaseStatus | str) -> str:
    """The Chinese reason ``role`` may not take ``action`` on a case in ``status``."""
    who, act = Role(role), Action(action)
    if not can_act(who, act):
        return f"您的角色（{who.label}）不能执行「{act.label}」"
    if CaseStatus(status) in AT_SUBDISTRICT_STATUSES:
        return f"该案件已上报街道，由街道工作人员办理；社区可催办或备注，不能执行「{act.label}」"
    return f"该案件由社区办理，街道可催办或备注，不能执行「{act.label}」"


def can_act_on(role: Role | str, action: Action | str, status: CaseStatus | str) -> bool:
    """True if ``role`` may take ``action`` on a case in ``status`` (role, then holding level)."""
    act = Action(action)
    if not can_act(role, act):
        return False
    return act in ANY_LEVEL_ACTIONS or holds_case(role, status)


@dataclass(frozen=True)
class Actor:
    """Who a service acts for: the logged-in user, with a grid scope for grid workers."""

    user_id: int
    username: str
    role: Role
    display_name: str = ""
    grid_cell_ids: frozenset[int] | None = None
    """None means every cell; a grid worker has the cells assigned to them."""
    community_id: int | None = None
    """The actor's unit: one 社区, or None for the 街道 (every 社区 of it)."""

    def sees_community(self, community_id: int) -> bool:
        """True if records of ``community_id`` are inside this actor's unit."""
        return self.community_id is None or community_id == self.community_id

    @property
    def at_subdistrict(self) -> bool:
        """True for the 街道's own people (leader and staff)."""
        return self.role in SUBDISTRICT_ROLES

    def sees_cell(self, grid_cell_id: int) -> bool:
        """True if this actor may see records of ``grid_cell_id``."""
        return self.grid_cell_ids is None or grid_cell_id in self.grid_cell_ids

    @property
    def lacks_unit(self) -> bool:
        """True for a 社区 role whose account has no 社区: it may see no records at all."""
        return self.community_id is None and self.role in UNIT_ROLES

    @property
    def sees_personal_data(self) -> bool:
        """True if residents' names and phones are shown to this actor unmasked."""
        return self.role in PERSONAL_DATA_ROLES or self.role is Role.GRIDWORKER

    @property
    def may_reveal_personal_data(self) -> bool:
        """True if this actor may unmask a case's resident through the case page's audited reveal."""
        return self.role in REVEAL_ROLES
