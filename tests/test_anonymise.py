"""匿名化: the scrubber, the 公示 query and every slide's text carry no resident's personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from db.queries.notices import NOTICE_FIELDS, Notice, notices, recent
from db.queries.present import present_deck
from db.queries.scope import Scope
from domain.anonymise import ADDRESS_MASK, ID_MASK, NUMBER_MASK, PHONE_MASK, mask_name, scrub_text
from domain.kpis import Period
from domain.slides import SLIDE_ORDER
from services.reports import publicity_pdf
from tests.factories import NOW
from tests.helpers.anonymise import HEAD, RESIDENT, pdf_text
from tests.helpers.cases import subdistrict_actor
from ui.slide_charts import (
    SCREEN,
    levels_figure,
    map_figure,
    ranking_figure,
    slide_subtitle,
    trend_figure,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("已电话告知13812345678", f"已电话告知{PHONE_MASK}"),
        ("回访 138-1234-5678 满意", f"回访 {PHONE_MASK} 满意"),
        ("回访 138 1234 5678", f"回访 {PHONE_MASK}"),
        ("+86 13812345678", PHONE_MASK),
        ("联系物业0731-84561234", f"联系物业{PHONE_MASK}"),
        ("（0731）84561234", PHONE_MASK),
        ("身份证430102198001011234已核验", f"身份证{ID_MASK}已核验"),
        ("证件 43010219800101123X", f"证件 {ID_MASK}"),
        ("证件 430102 19800101 123x", f"证件 {ID_MASK}"),
        ("旧证 430102800101123", f"旧证 {ID_MASK}"),
        ("银行卡 6222021234567890123 已登记", f"银行卡 {NUMBER_MASK} 已登记"),
        ("家住3栋2单元501室", f"家住{ADDRESS_MASK}"),
        ("5号楼302漏水", f"{ADDRESS_MASK}漏水"),
        ("2单元301 已修复", f"{ADDRESS_MASK} 已修复"),
        ("501室楼道", f"{ADDRESS_MASK}楼道"),
        # What must survive: dates, amounts, counts, a building without a room.
        ("2026-11-20 发放补贴1200元，3栋楼道已清理，惠及300余户", "2026-11-20 发放补贴1200元，3栋楼道已清理，惠及300余户"),
        ("", ""),
    ],
)  # fmt: skip
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_scrub_text_masks_the_names_it_is_told_about() -> None:
    text = "已上门告知张桂英及其子张三，王五不在家"
    assert (
        scrub_text(text, ["张桂英", "张三", None, "", "王"])
        == "已上门告知张某及其子张某，王五不在家"
    )
    assert scrub_text(None) == ""
    assert mask_name(" 欧阳娜娜 ") == "欧某"


def test_notice_has_no_personal_field() -> None:
    assert tuple(f.name for f in dataclasses.fields(Notice)) == NOTICE_FIELDS
    personal = {"name", "phone", "address", "reporter", "household", "head", "case_no", "id"}
    assert not {f for f in NOTICE_FIELDS for p in personal if p in f}


def test_notices_are_recent_resolved_and_scrubbed(leaky_world) -> None:
    session, world = leaky_world
    found = notices(session, period=recent(NOW, days=30))
    assert len(found) == 2  # the 退回件 and the 45-day-old case are left out
    texts = " ".join(n.result for n in found)
    for secret in (*RESIDENT, *HEAD, "430102198001011234", "501"):
        assert secret not in texts
    assert "赵某" in texts and "钱某" in texts and ID_MASK in texts and PHONE_MASK in texts
    assert {n.cell for n in found} == {world.cells[0].name}
    assert {n.duration for n in found} == {"2 个工作日"}


def test_no_slide_carries_personal_data(leaky_world) -> None:
    session, world = leaky_world
    deck = present_deck(session, actor=subdistrict_actor(world), now=NOW, min_cases=1)
    secrets = {*RESIDENT, *HEAD, "430102198001011234"} | {
        v for h in world.households for v in (h.head_name, h.phone, h.address) if v
    }
    figures = [
        map_figure(deck.cells, deck.geojson, SCREEN, points=deck.points),
        trend_figure(deck.trend, SCREEN),
        ranking_figure(deck.ranking, SCREEN),
        levels_figure(deck.levels, SCREEN),
    ]
    texts = [fig.to_json() for fig in figures]
    texts += [slide_subtitle(kind, deck) for kind in SLIDE_ORDER]
    texts += [repr(n) for n in deck.notices] + [repr(deck.headline)]
    blob = "\n".join(texts)
    leaked = sorted(s for s in secrets if s in blob)
    assert not leaked
    assert len(deck.notices) == 2


def test_projector_and_printed_notice_show_the_same_cases_masked_alike(leaky_world) -> None:
    """One 公示 selection and one masking: the PDF once printed a 退回件 and the head's full name."""
    session, world = leaky_world
    deck = present_deck(session, actor=subdistrict_actor(world), now=NOW, min_cases=1)
    period = Period(NOW - dt.timedelta(days=30), NOW)
    items = notices(session, period=period, scope=Scope(community_id=world.community.id))
    assert items == deck.notices
    assert len(items) == 2
    text = pdf_text(publicity_pdf("测试社区", period, items))
    assert "钱某" in text and "赵某" in text
    leaked = [s for s in (*RESIDENT, *HEAD, "430102198001011234") if s in text]
    assert leaked == []
