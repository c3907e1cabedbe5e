"""会议大屏 under AppTest: the viewer lands on the deck; slide logic; nothing personal is shown."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from config import ROOT, local_now
from db.engine import make_engine, session_factory
from domain.slides import SLIDE_ORDER, SlideShow
from pages.present import SHOW_KEY
from tests.factories import PASSWORD, make_case, make_world, migrate

APP = str(ROOT / "app.py")
RESIDENT = ("孙美玲", "13911112222")


@pytest.fixture
def wall_db(tmp_path, monkeypatch):
    """A small world with resolved cases whose texts name a resident, on a demo-mode app."""
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    engine = make_engine(url)
    migrate(engine)
    now = local_now()
    with session_factory(engine)() as session:
        world = make_world(session)
        for i in range(3):
            make_case(
                session, world, status="resolved", handling_type="immediate",
                accepted_at=now - dt.timedelta(days=2, hours=i), finished_at=now - dt.timedelta(hours=i + 1),
                handling_working_days=1, resolved_level="community",
                reporter_name=RESIDENT[0], reporter_phone=RESIDENT[1],
                result=f"已电话{RESIDENT[1]}告知{RESIDENT[0]}，路灯已修复", updated_at=now,
            )  # fmt: skip
        secrets = {*RESIDENT} | {v for h in world.households for v in (h.head_name, h.phone) if v}
    for name in ("MINQING_COOKIE_KEY", "MINQING_DEMO", "MINQING_SLIDE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    monkeypatch.setenv("MINQING_PRESENT_TITLE", "测试社区 民情会诊")
    st.cache_resource.clear()
    yield secrets
    st.cache_resource.clear()
    engine.dispose()


def _viewer(username: str = "viewer") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    at = at.run()
    assert not at.exception, at.exception
    return at


def _heading(at: AppTest) -> str:
    return at.header[0].value


def _all_text(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("title", "header", "caption", "markdown", "metric")
        for e in getattr(at, kind)
    ]
    parts += [str(m.proto.delta) for m in at.metric]
    parts += [t.value.to_csv() for t in at.table]
    return "\n".join(parts)


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_viewer_lands_on_the_headline_slide(wall_db) -> None:
    at = _viewer()
    assert at.title[0].value.startswith("测试社区 民情会诊 · ")
    assert _heading(at) == "核心指标"
    assert [m.label for m in at.metric][:3] == ["走访次数", "解决率", "帮扶人次"]
    assert [b.label for b in at.button] == [
        "◀ 上一页",
        "Ⅱ 暂停",
        "下一页 ▶",
    ]  # no handout for a viewer


def test_buttons_go_on_back_and_pause(wall_db) -> None:
    at = _viewer()
    _button(at, "present-next").click().run()
    assert _heading(at) == SLIDE_ORDER[1].heading
    _button(at, "present-prev").click().run()
    _button(at, "present-prev").click().run()
    assert _heading(at) == SLIDE_ORDER[-1].heading  # back from the first wraps to the last
    _button(at, "present-pause").click().run()
    assert _button(at, "present-pause").label == "▶ 继续"
    assert at.session_state[SHOW_KEY].paused
    assert "已暂停" in at.get("progress")[0].proto.text


@pytest.mark.parametrize(("elapsed", "expected"), [(7, 0), (20, 1), (37, 2), (97, 0)])
def test_the_slide_follows_the_clock(wall_db, elapsed: int, expected: int) -> None:
    at = _viewer()
    at.session_state[SHOW_KEY] = SlideShow(
        count=len(SLIDE_ORDER),
        interval=15,
        index=0,
        since=local_now() - dt.timedelta(seconds=elapsed),
    )
    at.run()
    assert _heading(at) == SLIDE_ORDER[expected].heading


def test_no_slide_shows_a_residents_name_or_phone(wall_db) -> None:
    secrets = wall_db
    at = _viewer()
    seen = []
    for _ in SLIDE_ORDER:
        text = _all_text(at)
        assert not {s for s in secrets if s in text}, _heading(at)
        seen.append(_heading(at))
        _button(at, "present-next").click().run()
    assert seen == [k.heading for k in SLIDE_ORDER]
    # the 公示 slide showed the resolved cases, masked
    at.session_state[SHOW_KEY] = SlideShow(
        count=6, interval=15, index=5, since=local_now(), paused=True
    )
    at.run()
    table = at.table[0].value
    assert len(table) == 3
    assert all("孙某" in r and "电话已隐去" in r for r in table["办理结果"])


def test_secretary_gets_the_handout_button(wall_db) -> None:
    at = _viewer("secretary")
    at.query_params["mode"] = "present"
    at.run()
    assert not at.exception, at.exception
    assert _heading(at) == "核心指标"
    assert any(b.key == "present-handout-build" for b in at.button)
