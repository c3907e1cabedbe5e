"""What a valid case, visit and assistance record is; every message in Chinese.

Validators return a dict ``{field: message}``; an empty dict means valid. Pages show each
message at its field and keep what was typed; services refuse to write when any is present.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

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


@dataclass
class CaseDraft:
    """What an intake form submits, before it becomes a case."""

    channel: str | None
    category_id: int | None
    handling_type: str | None
    grid_cell_id: int | None
    description: str
    accepted_at: dt.datetime
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    promised_date: dt.date | None = None
    urgent: bool = False
    assignee_id: int | None = None
    repeat_of_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None


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
    if draft.accepted_at > now:
        errors["accepted_at"] = "受理时间不能晚于现在"
    if draft.handling_type == HandlingType.PROMISED:
        if draft.promised_date is None:
            errors["promised_date"] = "承诺件须填写承诺办结日期"
        elif draft.promised_date < draft.accepted_at.date():
            errors["promised_date"] = "承诺办结日期不能早于受理日期"
    if (draft.latitude is None) != (draft.longitude is None):
        errors["point"] = "位置须同时填写经度和纬度"
    elif draft.latitude is not None and not (
        -90 <= draft.latitude <= 90 and -180 <= (draft.longitude or 0) <= 180
    ):
        errors["point"] = "经纬度超出范围"
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
