"""What a valid case, visit and assistance record is; every message in Chinese.

Validators return a dict ``{field: message}``; an empty dict means valid. Pages show each
message at its field and keep what was typed; services refuse to write when any is present.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from domain.reference import AssistanceKind, TargetGroup
from domain.workflow import Channel, HandlingType

MAX_DESCRIPTION = 2000
MAX_NAME = 40
MAX_NOTE = 1000
MAX_ADDRESS = 200

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# 区号 (3–4 digits starting with 0) + 7–8 digit number, optional extension.
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")


def normalize_phone(raw: str) -> str:
    """Strip spaces, full-width digits and a +86 prefix; keep the digits and dashes."""
    text = raw.strip().translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    text = re.sub(r"[\s()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def phone_error(raw: str) -> str | None:
    """None if ``raw`` is a mainland mobile or landline number, else the message to show."""
    phone = normalize_phone(raw)
    if _MOBILE.match(phone) or _LANDLINE.match(phone) or _LOCAL.match(phone):
        return None
    return "电话号码格式不正确：手机为 11 位（如 13812345678），座机如 0731-84561234"


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; keep the first 3 and last 2 of anything else."""
    if not phone:
        return ""
    p = normalize_phone(phone)
    if len(p) >= 11:
        return p[:3] + "****" + p[-4:]
    return p[:3] + "*" * max(len(p) - 5, 1) + p[-2:]


def mask_name(name: str | None) -> str:
    """张* / 欧阳** : keep the first character only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1 if len(name) > 1 else 1)


def reporter_label(name: str | None, *, anonymous: bool, shown: bool = False) -> str:
    """How a resident reporter is shown: 「匿名」, the full name (``shown``), or 张*."""
    if anonymous and not name:
        return "匿名"
    return (name or "") if shown else mask_name(name)


CORRECTABLE_FIELDS: dict[str, str] = {
    "channel": "来源渠道",
    "category_id": "类别",
    "grid_cell_id": "所属网格",
    "description": "诉求内容",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
}
"""Fields a 更正 event may change, with their Chinese labels."""

PERSONAL_FIELDS = frozenset({"reporter_name", "reporter_phone"})
"""Fields holding a resident's personal data (masked for roles that may not see it)."""


@dataclass(kw_only=True)
class CaseDraft:
    """A resident's concern before it becomes a case: from intake, a visit or a 接待日.

    Intake fills every field; a visit's or a reception day's form fills the concern and
    ``as_case`` adds the channel, the time and (for a visit) the grid cell.
    """

    channel: str | None = None
    category_id: int | None = None
    handling_type: str | None = None
    grid_cell_id: int | None = None
    description: str = ""
    accepted_at: dt.datetime | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    promised_date: dt.date | None = None
    urgent: bool = False
    assignee_id: int | None = None
    repeat_of_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    external_no: str = ""
    """上级转办: the order number given by 12345 or the 街道 (工单号)."""
    external_due_date: dt.date | None = None
    """上级转办: the deadline set by 12345 or the 街道 (it wins if earlier than the computed one)."""


MAX_EXTERNAL_NO = 40


def external_order_errors(draft: CaseDraft) -> dict[str, str]:
    """What is wrong with a draft's 上级转办 order number and deadline (only that channel has them)."""
    number = (draft.external_no or "").strip()
    if draft.channel != Channel.FORWARDED:
        if number or draft.external_due_date is not None:
            return {"external_no": "只有「上级转办」的民情才填写上级工单号和上级期限"}
        return {}
    errors: dict[str, str] = {}
    if len(number) > MAX_EXTERNAL_NO:
        errors["external_no"] = f"上级工单号不能超过 {MAX_EXTERNAL_NO} 个字符"
    due = draft.external_due_date
    if due is not None and draft.accepted_at is not None and due < draft.accepted_at.date():
        errors["external_due_date"] = "上级期限不能早于受理日期"
    return errors


def as_case(
    concern: CaseDraft,
    *,
    channel: Channel,
    accepted_at: dt.datetime,
    grid_cell_id: int | None = None,
) -> CaseDraft:
    """A concern raised on a visit or at a 接待日 as the case it becomes (its channel and time)."""
    return replace(
        concern,
        channel=channel.value,
        accepted_at=accepted_at,
        grid_cell_id=concern.grid_cell_id if grid_cell_id is None else grid_cell_id,
    )


def validate_case(draft: CaseDraft, now: dt.datetime) -> dict[str, str]:
    """Field → Chinese message for everything wrong with an intake draft."""
    errors: dict[str, str] = {}
    if not draft.channel or draft.channel not in Channel.__members__.values():
        errors["channel"] = "请选择来源渠道"
    if draft.category_id is None:
        errors["category_id"] = "请选择类别"
    if not draft.handling_type or draft.handling_type not in HandlingType.__members__.values():
        errors["handling_type"] = "请选择五件制办理类型"
    if draft.grid_cell_id is None:
        errors["grid_cell_id"] = "请选择所属网格"
    description = (draft.description or "").strip()
    if not description:
        errors["description"] = "请填写诉求内容"
    elif len(description) < 5:
        errors["description"] = "诉求内容太短，请至少写 5 个字"
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = (
            f"诉求内容不能超过 {MAX_DESCRIPTION} 字（当前 {len(description)} 字）"
        )
    if not draft.anonymous:
        name = (draft.reporter_name or "").strip()
        if not name:
            errors["reporter_name"] = "请填写反映人姓名，或勾选「匿名」"
        elif len(name) > MAX_NAME:
            errors["reporter_name"] = f"姓名不能超过 {MAX_NAME} 字"
    phone = (draft.reporter_phone or "").strip()
    if phone:
        message = phone_error(phone)
        if message:
            errors["reporter_phone"] = message
    elif not draft.anonymous:
        errors["reporter_phone"] = "请填写联系电话，或勾选「匿名」"
    if draft.accepted_at is None:
        errors["accepted_at"] = "请填写受理日期和时间"
    elif draft.accepted_at > now:
        errors["accepted_at"] = "受理时间不能晚于现在"
    if draft.handling_type == HandlingType.PROMISED:
        if draft.promised_date is None:
            errors["promised_date"] = "承诺件须填写承诺办结日期"
        elif draft.accepted_at is not None and draft.promised_date < draft.accepted_at.date():
            errors["promised_date"] = "承诺办结日期不能早于受理日期"
    if (draft.latitude is None) != (draft.longitude is None):
        errors["point"] = "位置须同时填写经度和纬度"
    elif draft.latitude is not None and not (
        -90 <= draft.latitude <= 90 and -180 <= (draft.longitude or 0) <= 180
    ):
        errors["point"] = "经纬度超出范围"
    errors.update(external_order_errors(draft))
    return errors


def text_error(
    text: str | None, *, label: str, required: bool, limit: int = MAX_NOTE
) -> str | None:
    """A message for a free-text field that is missing or too long, else None."""
    value = (text or "").strip()
    if required and not value:
        return f"请填写{label}"
    if len(value) > limit:
        return f"{label}不能超过 {limit} 字（当前 {len(value)} 字）"
    return None


# ---------------------------------------------------------------------------------------------
# 走访 (home visits) and 帮扶 (assistance)

MAX_VISITORS = 200
MAX_BUILDING = 30
MAX_PEOPLE_MET = 100
MAX_BENEFICIARY = 60
MAX_HELPERS = 200
MAX_PERSONS_HELPED = 10_000
MAX_VALUE_YUAN = 10_000_000


@dataclass
class VisitDraft:
    """What the visit form submits: where, who visited, how many people met, when."""

    grid_cell_id: int | None
    visited_at: dt.datetime
    visitors: str
    people_met: int | None
    household_id: int | None = None
    building: str = ""
    notes: str = ""


def validate_visit(draft: VisitDraft, now: dt.datetime) -> dict[str, str]:
    """Field → Chinese message for everything wrong with a visit record (走访)."""
    errors: dict[str, str] = {}
    if draft.grid_cell_id is None:
        errors["grid_cell_id"] = "请选择走访的网格"
    building = (draft.building or "").strip()
    if draft.household_id is None and not building:
        errors["household_id"] = "请选择走访的住户，或填写楼栋"
    elif len(building) > MAX_BUILDING:
        errors["building"] = f"楼栋不能超过 {MAX_BUILDING} 字"
    message = text_error(draft.visitors, label="走访人", required=True, limit=MAX_VISITORS)
    if message:
        errors["visitors"] = message
    if draft.people_met is None:
        errors["people_met"] = "请填写见面人数"
    elif not 1 <= draft.people_met <= MAX_PEOPLE_MET:
        errors["people_met"] = f"见面人数应在 1 到 {MAX_PEOPLE_MET} 之间"
    message = text_error(draft.notes, label="走访记录", required=False, limit=MAX_NOTE)
    if message:
        errors["notes"] = message
    if draft.visited_at > now:
        errors["visited_at"] = "走访时间不能晚于现在"
    return errors


@dataclass
class AssistanceDraft:
    """What the assistance form submits: beneficiary, target group, kind, persons, value."""

    grid_cell_id: int | None
    given_at: dt.datetime
    beneficiary: str
    target_group: str | None
    kind: str | None
    persons_helped: int | None
    helpers: str
    value_yuan: float | None = None
    household_id: int | None = None
    notes: str = ""


def validate_assistance(draft: AssistanceDraft, now: dt.datetime) -> dict[str, str]:
    """Field → Chinese message for everything wrong with an assistance record (帮扶)."""
    errors: dict[str, str] = {}
    if draft.grid_cell_id is None:
        errors["grid_cell_id"] = "请选择所属网格"
    beneficiary = (draft.beneficiary or "").strip()
    if draft.household_id is None and not beneficiary:
        errors["beneficiary"] = "请选择受助住户，或填写受助人姓名"
    elif len(beneficiary) > MAX_BENEFICIARY:
        errors["beneficiary"] = f"受助人不能超过 {MAX_BENEFICIARY} 字"
    if not draft.target_group or draft.target_group not in TargetGroup.__members__.values():
        errors["target_group"] = "请选择帮扶对象类别"
    if not draft.kind or draft.kind not in AssistanceKind.__members__.values():
        errors["kind"] = "请选择帮扶方式"
    if draft.persons_helped is None:
        errors["persons_helped"] = "请填写受助人数"
    elif not 1 <= draft.persons_helped <= MAX_PERSONS_HELPED:
        errors["persons_helped"] = f"受助人数应在 1 到 {MAX_PERSONS_HELPED:,} 之间"
    if draft.value_yuan is not None and not 0 <= draft.value_yuan <= MAX_VALUE_YUAN:
        errors["value_yuan"] = f"金额或物品价值应在 0 到 {MAX_VALUE_YUAN:,} 元之间"
    message = text_error(draft.helpers, label="帮扶人", required=True, limit=MAX_HELPERS)
    if message:
        errors["helpers"] = message
    message = text_error(draft.notes, label="备注", required=False, limit=MAX_NOTE)
    if message:
        errors["notes"] = message
    if draft.given_at > now:
        errors["given_at"] = "帮扶日期不能晚于现在"
    return errors
