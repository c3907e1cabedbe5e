"""三议 民情会诊: a concern that needs a collective decision goes 党小组会 → 支委会 → 党员大会.

Each meeting is recorded (date, attendees, minutes); the 党员大会 names the 责任人 and the
办理时限 that become the case's assignee and deadline. The order and what a meeting must carry
are decided here; ``services.deliberation`` writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.validation import MAX_NOTE, text_error


class Stage(StrEnum):
    """A 三议 meeting, in the order they are held."""

    PARTY_GROUP = "party_group"
    BRANCH_COMMITTEE = "branch_committee"
    MEMBERS_ASSEMBLY = "members_assembly"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS: dict[Stage, str] = {
    Stage.PARTY_GROUP: "党小组会",
    Stage.BRANCH_COMMITTEE: "支委会",
    Stage.MEMBERS_ASSEMBLY: "党员大会",
}

ORDER: tuple[Stage, ...] = (Stage.PARTY_GROUP, Stage.BRANCH_COMMITTEE, Stage.MEMBERS_ASSEMBLY)
DECIDING_STAGE = Stage.MEMBERS_ASSEMBLY
"""The meeting whose decision names the 责任人 and 办理时限."""

MAX_ATTENDEES = 10_000
MAX_MINUTES = 2000


def next_stage(held: Sequence[str]) -> Stage | None:
    """The meeting due next after the ``held`` ones (in order), or None when all three were held."""
    done = len([s for s in held if s in Stage.__members__.values()])
    return ORDER[done] if done < len(ORDER) else None


@dataclass
class MeetingDraft:
    """What the 三议 form submits for one case."""

    stage: str | None
    meeting_date: dt.date | None
    attendees: int | None
    minutes: str
    decision: str = ""
    responsible_id: int | None = None
    due_date: dt.date | None = None


def validate_meeting(
    draft: MeetingDraft,
    *,
    held: Sequence[str],
    last_meeting: dt.date | None,
    today: dt.date,
) -> dict[str, str]:
    """Field → Chinese message for a meeting that cannot be recorded yet."""
    errors: dict[str, str] = {}
    due = next_stage(held)
    if due is None:
        errors["stage"] = "该案件的三议已全部完成"
    elif draft.stage != due.value:
        errors["stage"] = f"请按顺序召开：下一步应为「{due.label}」"
    if draft.meeting_date is None:
        errors["meeting_date"] = "请填写会议日期"
    elif draft.meeting_date > today:
        errors["meeting_date"] = "会议日期不能晚于今天"
    elif last_meeting is not None and draft.meeting_date < last_meeting:
        errors["meeting_date"] = f"会议日期不能早于上一次会议（{last_meeting:%Y-%m-%d}）"
    if draft.attendees is None or not 1 <= draft.attendees <= MAX_ATTENDEES:
        errors["attendees"] = f"到会人数应在 1 到 {MAX_ATTENDEES} 之间"
    message = text_error(draft.minutes, label="会议纪要", required=True, limit=MAX_MINUTES)
    if message:
        errors["minutes"] = message
    if draft.stage == DECIDING_STAGE.value:
        message = text_error(draft.decision, label="会议决定", required=True, limit=MAX_NOTE)
        if message:
            errors["decision"] = message
        if draft.responsible_id is None:
            errors["responsible_id"] = "请选择责任人"
        if draft.due_date is None:
            errors["due_date"] = "请填写办理时限"
        elif draft.meeting_date is not None and draft.due_date < draft.meeting_date:
            errors["due_date"] = "办理时限不能早于会议日期"
    return errors
