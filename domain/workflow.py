"""The case pipeline (四道程序): states, 五件制 handling types, actions and the allowed moves.

受理 → 办理中 → 已办结/已答复 → 已反馈 → 已回访 → 归档, with 上报街道 (a hand-off: the 街道 staff
签收 and handle it, or 退回 it to the 社区), 上报 beyond the 街道 (waiting for an outside unit's
回单), 补办 (clock paused until materials arrive), 退回 (with a reason) and 不满意 (reopens).
Every rule about which action may move a case from which state lives in ``TRANSITIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseStatus(StrEnum):
    """Where a case stands in the pipeline; the value is stored in the database."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    AWAITING_MATERIALS = "awaiting_materials"
    ESCALATED = "escalated"
    SUBDISTRICT_PENDING = "to_subdistrict"
    AT_SUBDISTRICT = "at_subdistrict"
    RESOLVED = "resolved"
    ANSWERED = "answered"
    NOTIFIED = "notified"
    FOLLOWED_UP = "followed_up"
    ARCHIVED = "archived"
    RETURNED = "returned"
    MERGED = "merged"
    HISTORICAL_OPEN = "historical_open"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.AWAITING_MATERIALS: "待补材料",
    CaseStatus.ESCALATED: "已上报",
    CaseStatus.SUBDISTRICT_PENDING: "待街道签收",
    CaseStatus.AT_SUBDISTRICT: "街道办理中",
    CaseStatus.RESOLVED: "已办结",
    CaseStatus.ANSWERED: "已答复",
    CaseStatus.NOTIFIED: "已反馈",
    CaseStatus.FOLLOWED_UP: "已回访",
    CaseStatus.ARCHIVED: "归档",
    CaseStatus.RETURNED: "已退回",
    CaseStatus.MERGED: "已合并",
    CaseStatus.HISTORICAL_OPEN: "历史未结",
}

# State groups, defined once and used by queries, KPIs and pages alike.
OPEN_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_MATERIALS,
        CaseStatus.ESCALATED,
        CaseStatus.SUBDISTRICT_PENDING,
        CaseStatus.AT_SUBDISTRICT,
    }
)
"""Cases the community (or the 街道 it handed them to) still owes work on (the clock may run)."""

AT_SUBDISTRICT_STATUSES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.SUBDISTRICT_PENDING, CaseStatus.AT_SUBDISTRICT}
)
"""Cases the 社区 handed to the 街道 (上报街道): in the 街道 staff's queue, handled by them."""

ESCALATED_STATUSES: frozenset[CaseStatus] = AT_SUBDISTRICT_STATUSES | {CaseStatus.ESCALATED}
"""Cases that are with a higher level now: the 街道 or an outside unit (the 已上报 list)."""

FINISHED_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.RESOLVED,
        CaseStatus.ANSWERED,
        CaseStatus.NOTIFIED,
        CaseStatus.FOLLOWED_UP,
        CaseStatus.ARCHIVED,
    }
)
"""Cases that were resolved or answered (已办结 + 已答复), whatever came after."""

CLOSED_WITHOUT_RESULT: frozenset[CaseStatus] = frozenset({CaseStatus.RETURNED, CaseStatus.MERGED})
"""Cases that left the pipeline without a result; excluded from 解决率."""

HISTORICAL_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.HISTORICAL_OPEN})
"""历史未结: open in an old ledger and archived at import. Not resolved (in 受理件数 and 解决率's
base, not its numerator), nobody's 在办, never 逾期 (DOMAIN.md §6)."""

PAUSED_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.AWAITING_MATERIALS})
"""The clock does not run in these states (补办件 waiting for materials)."""


def is_open(status: CaseStatus | str) -> bool:
    """True while the community still owes work on the case."""
    return CaseStatus(status) in OPEN_STATUSES


def is_finished(status: CaseStatus | str) -> bool:
    """True once the case was resolved or answered (已办结/已答复 and later)."""
    return CaseStatus(status) in FINISHED_STATUSES


class HandlingType(StrEnum):
    """五件制: the handling type given to every accepted case; it sets the clock."""

    IMMEDIATE = "immediate"
    SUPPLEMENT = "supplement"
    ESCALATE = "escalate"
    RETURN = "return"
    PROMISED = "promised"

    @property
    def label(self) -> str:
        return HANDLING_LABELS[self]


HANDLING_LABELS: dict[HandlingType, str] = {
    HandlingType.IMMEDIATE: "即办件",
    HandlingType.SUPPLEMENT: "补办件",
    HandlingType.ESCALATE: "上报件",
    HandlingType.RETURN: "退回件",
    HandlingType.PROMISED: "承诺件",
}


class Channel(StrEnum):
    """Where a concern came from (渠道)."""

    MAILBOX = "mailbox"
    HOTLINE = "hotline"
    CONTACT_CARD = "contact_card"
    INFORMANT = "informant"
    DIARY = "diary"
    RECEPTION_DAY = "reception_day"
    HOME_VISIT = "home_visit"
    LETTER_VISIT = "letter_visit"
    CHAT_GROUP = "chat_group"
    FORWARDED = "forwarded"
    SUGGESTION_BOX = "suggestion_box"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.MAILBOX: "民情信箱",
    Channel.HOTLINE: "民情热线",
    Channel.CONTACT_CARD: "民情连心卡",
    Channel.INFORMANT: "民情信息员",
    Channel.DIARY: "民情日记",
    Channel.RECEPTION_DAY: "接待日",
    Channel.HOME_VISIT: "入户走访",
    Channel.LETTER_VISIT: "来信来访",
    Channel.CHAT_GROUP: "QQ/微信群",
    Channel.FORWARDED: "上级转办",
    Channel.SUGGESTION_BOX: "意见箱",
}


class Level(StrEnum):
    """The level that resolved a case: 小事不出社区、大事不出街道、难事不出区."""

    COMMUNITY = "community"
    SUBDISTRICT = "subdistrict"
    DISTRICT = "district"
    HIGHER_DEPARTMENT = "department"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS: dict[Level, str] = {
    Level.COMMUNITY: "社区",
    Level.SUBDISTRICT: "街道",
    Level.DISTRICT: "区",
    Level.HIGHER_DEPARTMENT: "上级部门",
}


class Satisfaction(StrEnum):
    """The answer to a follow-up call (回访)."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    NO_ANSWER = "no_answer"

    @property
    def label(self) -> str:
        return SATISFACTION_LABELS[self]


SATISFACTION_LABELS: dict[Satisfaction, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
    Satisfaction.NO_ANSWER: "未评价",
}

SATISFIED_ANSWERS: frozenset[Satisfaction] = frozenset(
    {Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED}
)
ANSWERED_FOLLOW_UPS: frozenset[Satisfaction] = frozenset(
    {Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.DISSATISFIED}
)


class NotifyMethod(StrEnum):
    """How the resident was told the result (公示反馈)."""

    PHONE = "phone"
    HOME = "home"
    LETTER = "letter"

    @property
    def label(self) -> str:
        return {"phone": "电话答复", "home": "上门告知", "letter": "信函回复"}[self.value]


class Action(StrEnum):
    """Everything a person can do to a case; each appends one event."""

    ACCEPT = "accept"
    START = "start"
    REQUEST_MATERIALS = "request_materials"
    MATERIALS_RECEIVED = "materials_received"
    ESCALATE = "escalate"
    ESCALATE_TO_SUBDISTRICT = "to_subdistrict"
    SIGN_FOR = "sign_for"
    HAND_BACK = "hand_back"
    ESCALATION_ANSWERED = "escalation_answered"
    RETURN = "return"
    FINISH_RESOLVED = "finish_resolved"
    FINISH_ANSWERED = "finish_answered"
    NOTIFY = "notify"
    FOLLOW_UP = "follow_up"
    ARCHIVE = "archive"
    MERGE = "merge"
    REMIND = "remind"
    REASSIGN = "reassign"
    NOTE = "note"
    CORRECT = "correct"
    IMPORT = "import"
    DELIBERATE = "deliberate"
    DELIBERATION_DECISION = "deliberation_decision"
    ARCHIVE_HISTORICAL = "archive_historical"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.ACCEPT: "受理",
    Action.START: "开始办理",
    Action.REQUEST_MATERIALS: "补办：通知补材料",
    Action.MATERIALS_RECEIVED: "材料已补齐",
    Action.ESCALATE: "上报上级单位",
    Action.ESCALATE_TO_SUBDISTRICT: "上报街道",
    Action.SIGN_FOR: "街道签收",
    Action.HAND_BACK: "退回社区",
    Action.ESCALATION_ANSWERED: "录入回单",
    Action.RETURN: "退回",
    Action.FINISH_RESOLVED: "办结",
    Action.FINISH_ANSWERED: "答复",
    Action.NOTIFY: "反馈居民",
    Action.FOLLOW_UP: "回访",
    Action.ARCHIVE: "归档",
    Action.MERGE: "合并重复件",
    Action.REMIND: "催办",
    Action.REASSIGN: "改派",
    Action.NOTE: "备注",
    Action.CORRECT: "更正",
    Action.IMPORT: "台账导入",
    Action.DELIBERATE: "三议：会议审议",
    Action.DELIBERATION_DECISION: "三议：议定责任人和时限",
    Action.ARCHIVE_HISTORICAL: "归档为历史未结",
}

FIRST_RESPONSE_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.START,
        Action.REQUEST_MATERIALS,
        Action.ESCALATE,
        Action.ESCALATE_TO_SUBDISTRICT,
        Action.RETURN,
        Action.FINISH_RESOLVED,
        Action.FINISH_ANSWERED,
        Action.MERGE,
    }
)
"""Actions that count as the first contact or handling (响应) and set ``first_response_at``."""

S = CaseStatus
_WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS})
_HANDLED = _WORKING | {S.AT_SUBDISTRICT}
"""States in which whoever holds the case (the 社区, or the 街道 after 签收) works on it."""
_ANY = frozenset(S)

# action -> (states it may start from, state it leads to; None keeps the state).
# FOLLOW_UP's target depends on the answer: see ``next_status``.
TRANSITIONS: dict[Action, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    Action.START: (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    Action.REQUEST_MATERIALS: (_WORKING, S.AWAITING_MATERIALS),
    Action.MATERIALS_RECEIVED: (frozenset({S.AWAITING_MATERIALS}), S.IN_PROGRESS),
    # 上报 beyond the 街道 (区, 上级部门, 12345), by the 社区 or by the 街道 staff holding the
    # case: it waits for the outside unit's 回单.
    Action.ESCALATE: (_HANDLED, S.ESCALATED),
    Action.ESCALATION_ANSWERED: (frozenset({S.ESCALATED}), S.IN_PROGRESS),
    # 上报街道 is a hand-off: the 街道 staff 签收 it and handle it, or 退回 it to the 社区.
    Action.ESCALATE_TO_SUBDISTRICT: (_WORKING, S.SUBDISTRICT_PENDING),
    Action.SIGN_FOR: (frozenset({S.SUBDISTRICT_PENDING}), S.AT_SUBDISTRICT),
    Action.HAND_BACK: (AT_SUBDISTRICT_STATUSES, S.IN_PROGRESS),
    Action.RETURN: (_WORKING | {S.AWAITING_MATERIALS}, S.RETURNED),
    Action.FINISH_RESOLVED: (_HANDLED, S.RESOLVED),
    Action.FINISH_ANSWERED: (_HANDLED | {S.ESCALATED}, S.ANSWERED),
    Action.NOTIFY: (frozenset({S.RESOLVED, S.ANSWERED}), S.NOTIFIED),
    Action.FOLLOW_UP: (frozenset({S.NOTIFIED}), S.FOLLOWED_UP),
    Action.ARCHIVE: (frozenset({S.FOLLOWED_UP}), S.ARCHIVED),
    Action.MERGE: (_WORKING, S.MERGED),
    Action.REMIND: (OPEN_STATUSES, None),
    Action.REASSIGN: (OPEN_STATUSES | {S.RESOLVED, S.ANSWERED, S.NOTIFIED}, None),
    Action.NOTE: (_ANY, None),
    Action.CORRECT: (_ANY - {S.ARCHIVED}, None),
    # 三议 (党小组会 → 支委会 → 党员大会) records meetings about an open case; the decision sets
    # its 责任人 and 办理时限, and the case keeps its state.
    Action.DELIBERATE: (OPEN_STATUSES, None),
    Action.DELIBERATION_DECISION: (OPEN_STATUSES, None),
    # 台账导入 creates a case from an old ledger (like 受理); it never moves an existing one.
    Action.IMPORT: (frozenset(), None),
    # 台账导入 may archive an old ledger's open row right after creating it (the clerk's choice).
    Action.ARCHIVE_HISTORICAL: (OPEN_STATUSES, S.HISTORICAL_OPEN),
}


class TransitionError(ValueError):
    """An action that the state machine refuses; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Transition:
    """The outcome of an allowed action: from which state to which."""

    action: Action
    from_status: CaseStatus
    to_status: CaseStatus


def allowed_actions(status: CaseStatus | str) -> list[Action]:
    """The actions the state machine allows from ``status``, in display order."""
    current = CaseStatus(status)
    return [action for action, (sources, _) in TRANSITIONS.items() if current in sources]


def next_status(
    status: CaseStatus | str,
    action: Action | str,
    satisfaction: Satisfaction | str | None = None,
) -> Transition:
    """Apply ``action`` to a case in ``status``; raise ``TransitionError`` if not allowed.

    A follow-up (回访) answered 不满意 reopens the case (back to 办理中).
    """
    current = CaseStatus(status)
    act = Action(action)
    if act is Action.ACCEPT:
        raise TransitionError("受理只能用于新案件")
    sources, target = TRANSITIONS[act]
    if current not in sources:
        raise TransitionError(f"案件当前状态为「{current.label}」，不能执行「{act.label}」")
    if act is Action.FOLLOW_UP:
        if satisfaction is None:
            raise TransitionError("回访须填写满意度")
        if Satisfaction(satisfaction) is Satisfaction.DISSATISFIED:
            target = S.IN_PROGRESS
    return Transition(act, current, target if target is not None else current)


# ---------------------------------------------------------------------------------------------
# What a page asks for before an action, and the level a finished case is recorded at


@dataclass(frozen=True)
class ActionForm:
    """The inputs an action asks for (field names) and which of them are required."""

    action: Action
    inputs: tuple[str, ...]
    required: frozenset[str]


_FORMS: dict[Action, tuple[tuple[str, ...], frozenset[str]]] = {
    Action.START: (("note",), frozenset()),
    Action.REQUEST_MATERIALS: (("materials",), frozenset({"materials"})),
    Action.MATERIALS_RECEIVED: (("note",), frozenset()),
    # 上报上级单位: a unit of the directory (or a level and a department typed in), the outside
    # reference number and the unit's deadline.
    Action.ESCALATE: (
        ("outside_unit_id", "level", "department", "reference_no", "expected_date", "note"),
        frozenset({"expected_date"}),
    ),
    Action.ESCALATE_TO_SUBDISTRICT: (("expected_date", "note"), frozenset({"expected_date"})),
    Action.SIGN_FOR: (("note",), frozenset()),
    Action.HAND_BACK: (("reason",), frozenset({"reason"})),
    # 回单: what the outside unit did, when, and who there answered.
    Action.ESCALATION_ANSWERED: (
        ("answer", "answered_on", "answered_by"),
        frozenset({"answer"}),
    ),
    Action.RETURN: (("reason",), frozenset({"reason"})),
    # The level is required unless the case was escalated (see ``finish_level``).
    Action.FINISH_RESOLVED: (("result", "level"), frozenset({"result"})),
    Action.FINISH_ANSWERED: (("result", "level"), frozenset({"result"})),
    Action.NOTIFY: (("method", "note"), frozenset({"method"})),
    Action.FOLLOW_UP: (("satisfaction", "note"), frozenset({"satisfaction"})),
    Action.ARCHIVE: (("note",), frozenset()),
    Action.MERGE: (("target_case_no", "note"), frozenset({"target_case_no"})),
    Action.REMIND: (("note",), frozenset({"note"})),
    Action.REASSIGN: (("assignee_id", "note"), frozenset({"assignee_id"})),
    Action.NOTE: (("note",), frozenset({"note"})),
    Action.CORRECT: (("field", "value", "note"), frozenset({"field", "value", "note"})),
}


def action_form(action: Action | str) -> ActionForm:
    """The inputs a page must ask for before applying ``action``."""
    act = Action(action)
    inputs, required = _FORMS[act]
    return ActionForm(act, inputs, required)


FINISH_LEVEL_REQUIRED = "请选择化解层级（社区、街道、区或上级部门）"
"""The refusal when a case that was never escalated is finished without a level."""


def finish_level(
    chosen: Level | None,
    escalated: Level | None,
    finished_from: CaseStatus | str | None = None,
) -> Level | None:
    """The 化解层级 a finished case is recorded at: the level that finished it.

    A case finished while the 街道 held it (``finished_from`` 街道办理中) is resolved at the
    街道, whatever was chosen; otherwise the level chosen, else where it was escalated. None
    when neither is known: the level must then be asked for (no silent 社区, which would
    inflate 社区化解率).
    """
    if finished_from is not None and CaseStatus(finished_from) in AT_SUBDISTRICT_STATUSES:
        return Level.SUBDISTRICT
    return chosen if chosen is not None else escalated
