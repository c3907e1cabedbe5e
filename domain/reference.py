"""Reference lists stored as short English codes: target groups (五彩连心卡), assistance kinds,
party members' service posts (设岗定责), service point kinds and people's kinds.

``household_tags.tag`` and ``assistance.target_group`` hold a ``TargetGroup`` value,
``assistance.kind`` an ``AssistanceKind``, ``people.service_post`` a ``ServicePost``,
``service_points.kind`` a ``ServicePointKind`` and ``people.kind`` a ``PersonKind``.
"""

from __future__ import annotations

from enum import StrEnum


class TargetGroup(StrEnum):
    """A group that assistance is aimed at; the 五彩连心卡 colours plus 低保户 and 特困党员."""

    ELDERLY_ALONE = "elderly_alone"
    MIGRANT_CHILD = "migrant_child"
    UNEMPLOYED = "unemployed"
    SINGLE_MOTHER = "single_mother"
    DISABLED = "disabled"
    LOW_INCOME = "low_income"
    POOR_PARTY_MEMBER = "poor_party_member"

    @property
    def label(self) -> str:
        return TARGET_GROUP_LABELS[self]

    @property
    def colour(self) -> str | None:
        """The 五彩连心卡 colour (橙/绿/红/粉/蓝), or None for groups without a card colour."""
        return TARGET_GROUP_COLOURS.get(self)


TARGET_GROUP_LABELS: dict[TargetGroup, str] = {
    TargetGroup.ELDERLY_ALONE: "三无/空巢老人",
    TargetGroup.MIGRANT_CHILD: "流动儿童",
    TargetGroup.UNEMPLOYED: "下岗失业人员",
    TargetGroup.SINGLE_MOTHER: "单亲困难母亲/妇女",
    TargetGroup.DISABLED: "残疾人",
    TargetGroup.LOW_INCOME: "低保户",
    TargetGroup.POOR_PARTY_MEMBER: "特困党员",
}

TARGET_GROUP_COLOURS: dict[TargetGroup, str] = {
    TargetGroup.ELDERLY_ALONE: "橙",
    TargetGroup.MIGRANT_CHILD: "绿",
    TargetGroup.UNEMPLOYED: "红",
    TargetGroup.SINGLE_MOTHER: "粉",
    TargetGroup.DISABLED: "蓝",
}


class AssistanceKind(StrEnum):
    """What an assistance record (帮扶) gave."""

    CONDOLENCE_VISIT = "condolence_visit"
    CHARITY_MEALS = "charity_meals"
    CHARITY_SHOP = "charity_shop"
    EMPLOYMENT = "employment"
    BENEFITS_PAPERWORK = "benefits_paperwork"
    VOLUNTARY_LABOUR = "voluntary_labour"
    MICRO_WISH = "micro_wish"
    SCHOOL_AID = "school_aid"

    @property
    def label(self) -> str:
        return ASSISTANCE_KIND_LABELS[self]


ASSISTANCE_KIND_LABELS: dict[AssistanceKind, str] = {
    AssistanceKind.CONDOLENCE_VISIT: "慰问",
    AssistanceKind.CHARITY_MEALS: "爱心盒饭",
    AssistanceKind.CHARITY_SHOP: "爱心超市物品",
    AssistanceKind.EMPLOYMENT: "就业帮扶",
    AssistanceKind.BENEFITS_PAPERWORK: "低保/医保代办",
    AssistanceKind.VOLUNTARY_LABOUR: "义务劳动",
    AssistanceKind.MICRO_WISH: "微心愿",
    AssistanceKind.SCHOOL_AID: "助学",
}


def assistance_kind_label(kind: str) -> str:
    """The Chinese name of a stored kind of help (an unknown code shown as stored)."""
    try:
        return AssistanceKind(kind).label
    except ValueError:
        return kind


def target_group_label(group: str) -> str:
    """The Chinese name of a stored target group, with its 五彩连心卡 colour if it has one."""
    try:
        target = TargetGroup(group)
    except ValueError:
        return group
    colour = target.colour
    return f"{target.label}（{colour}卡）" if colour else target.label


class ServicePost(StrEnum):
    """设岗定责: the post a party member takes on."""

    POLICY_OUTREACH = "policy_outreach"
    AID = "aid"
    PROBATION_CARE = "probation_care"
    SAFETY = "safety"
    ENVIRONMENT = "environment"
    CULTURE_SPORTS = "culture_sports"
    SCIENCE_OUTREACH = "science_outreach"
    CIVILITY_WATCH = "civility_watch"
    HERITAGE_EDUCATION = "heritage_education"

    @property
    def label(self) -> str:
        return SERVICE_POST_LABELS[self]


SERVICE_POST_LABELS: dict[ServicePost, str] = {
    ServicePost.POLICY_OUTREACH: "政策宣讲",
    ServicePost.AID: "帮扶助困",
    ServicePost.PROBATION_CARE: "民事帮教",
    ServicePost.SAFETY: "平安安全",
    ServicePost.ENVIRONMENT: "美化环境",
    ServicePost.CULTURE_SPORTS: "文体组织",
    ServicePost.SCIENCE_OUTREACH: "科普宣传",
    ServicePost.CIVILITY_WATCH: "文明监督",
    ServicePost.HERITAGE_EDUCATION: "革命传统教育",
}


class ServicePointKind(StrEnum):
    """A kind of service point marked on the map."""

    PARTY_STATION = "party_station"
    CLINIC = "clinic"
    POLICE = "police"
    SERVICE_CENTRE = "service_centre"

    @property
    def label(self) -> str:
        return SERVICE_POINT_LABELS[self]


SERVICE_POINT_LABELS: dict[ServicePointKind, str] = {
    ServicePointKind.PARTY_STATION: "党员服务站",
    ServicePointKind.CLINIC: "卫生站",
    ServicePointKind.POLICE: "警务室",
    ServicePointKind.SERVICE_CENTRE: "便民服务中心",
}


class PersonKind(StrEnum):
    """What a person is to the community (``people.kind``)."""

    STAFF = "staff"
    GRID_WORKER = "grid_worker"
    PARTY_MEMBER = "party_member"
    DEPUTY = "deputy"

    @property
    def label(self) -> str:
        return {
            "staff": "两委成员/工作人员",
            "grid_worker": "网格员",
            "party_member": "党员",
            "deputy": "代表委员",
        }[self.value]
