"""会议讲义: the handout PDF has one page per slide, Chinese text, chart images, nothing personal."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from db.queries.present import present_deck
from domain.slides import SLIDE_ORDER
from tests.factories import NOW
from tests.helpers.anonymise import HEAD, RESIDENT, leaky_world  # noqa: F401  (fixture)
from tests.helpers.cases import subdistrict_actor
from ui.handout import FOOTER, build_handout, chart_figures, font_path

pytestmark = pytest.mark.filterwarnings("ignore")


def test_handout_pdf_reads_back(leaky_world) -> None:  # noqa: F811
    try:
        font_path()
    except Exception as exc:
        pytest.skip(str(exc))
    session, world = leaky_world
    deck = present_deck(session, actor=subdistrict_actor(world), now=NOW, min_cases=1)
    pdf = build_handout(deck, title="测试社区 民情会诊 · 2026年11月20日")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == len(SLIDE_ORDER)
    texts = [re.sub(r"[\s\x00]+", "", page.extract_text()) for page in reader.pages]
    for text, kind in zip(texts, SLIDE_ORDER, strict=True):
        assert kind.heading in text
        assert "测试社区民情会诊" in text and re.sub(r"\s+", "", FOOTER) in text
    assert all(label in texts[0] for label in ("走访次数", "解决率", "帮扶人次"))
    assert "赵某" in texts[-1] and "更换灯泡" in texts[-1]
    everything = "".join(texts)
    for secret in (*RESIDENT, *HEAD, "430102198001011234"):
        assert secret not in everything
    # the four chart slides carry one chart image each, of real size
    chart_pages = [SLIDE_ORDER.index(kind) for kind in chart_figures(deck)]
    for index in chart_pages:
        images = reader.pages[index].images
        assert len(images) == 1
        assert images[0].image.size[0] >= 1600
        colours = images[0].image.convert("RGB").resize((64, 32)).getcolors(4096)
        assert colours is not None and len(colours) > 8  # a drawing, not a blank
