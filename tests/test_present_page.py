"""会议大屏 under AppTest: the viewer lands on the deck; slide logic; nothing personal is shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from config import ROOT, local_now
from db.engine import make_engine, session_factory
from domain.meeting import PeriodChoice, meeting_period, picked_period, recent_months
from domain.slides import SLIDE_ORDER, SlideShow
from pages.present import MONTH_KEY, PERIOD_KEY, SHOW_KEY
from tests.factories import PASSWORD, make_case, make_world, migrate

APP = str(ROOT / "app.py")
RESIDENT = ("孙美玲", "13911112222")


@pytest.fixture
def wall_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
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


def _button(at: AppTest, key: str) -> Button:
    return next(b for b in at.button if b.key == key)


def test_viewer_lands_on_the_headline_slide(wall_db: set[str]) -> None:
    at = _viewer()
    assert at.title[0].value.startswith("测试社区 民情会诊 · ")
    assert _heading(at) == "核心指标"
    assert [m.label for m in at.metric][:3] == ["走访次数", "解决率", "帮扶人次"]
    assert [b.label for b in at.button] == [
        "◀ 上一页",
        "Ⅱ 暂停",
        "下一页 ▶",
    ]  # no handout for a viewer


def test_buttons_go_on_back_and_pause(wall_db: set[str]) -> None:
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
def test_the_slide_follows_the_clock(wall_db: set[str], elapsed: int, expected: int) -> None:
    at = _viewer()
    at.session_state[SHOW_KEY] = SlideShow(
        count=len(SLIDE_ORDER),
        interval=15,
        index=0,
        since=local_now() - dt.timedelta(seconds=elapsed),
    )
    at.run()
    assert _heading(at) == SLIDE_ORDER[expected].heading


def test_no_slide_shows_a_residents_name_or_phone(wall_db: set[str]) -> None:
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


def test_secretary_gets_the_handout_button(wall_db: set[str]) -> None:
    at = _viewer("secretary")
    at.query_params["mode"] = "present"
    at.run()
    assert not at.exception, at.exception
    assert _heading(at) == "核心指标"
    assert any(b.key == "present-handout-build" for b in at.button)


def _in_app(username: str, mode: str | None = None) -> AppTest:
    """The deck page alone, as opened from the menu (or with ``?mode=present``)."""
    at = AppTest.from_file(str(ROOT / "tests" / "apps" / "present_page.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    if mode:
        at.query_params["mode"] = mode
    at.run()
    assert not at.exception, at.exception
    return at


def _caption(at: AppTest) -> str:
    """The subtitle under the slide heading."""
    return next(c.value for c in at.caption if "，" in c.value)


def test_secretary_picks_the_meetings_period_in_the_app(
    wall_db: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINQING_MEETING_MIN_DAYS", "0")  # this month is always old enough
    today = local_now().date()
    at = _in_app("secretary")
    picker = next(r for r in at.radio if r.key == PERIOD_KEY)
    assert picker.label == "汇报期间"
    assert picker.options == [
        "本月至今", "上月完整月", "指定月份",
    ]  # fmt: skip
    assert picker.value is PeriodChoice.THIS_MONTH
    this_month = picked_period(PeriodChoice.THIS_MONTH, today).label
    assert _caption(at).startswith(f"{this_month}，")
    picker.set_value(PeriodChoice.LAST_MONTH).run()
    last = picked_period(PeriodChoice.LAST_MONTH, today).label
    assert last.endswith("（上月完整月）")
    assert _caption(at).startswith(f"{last}，")
    assert any(m.value == f"**显示：{last}**" for m in at.markdown)
    next(r for r in at.radio if r.key == PERIOD_KEY).set_value(PeriodChoice.MONTH).run()
    month = next(s for s in at.selectbox if s.key == MONTH_KEY)
    two_back = recent_months(today)[2]
    month.set_value(two_back).run()
    assert _caption(at).startswith(f"{two_back.year}年{two_back.month}月，")
    assert not any(b.key == "present-exit" for b in at.button)  # no exit inside the app


def test_present_mode_has_an_exit_back_to_the_app(wall_db: set[str]) -> None:
    at = _in_app("secretary", mode="present")
    assert not any(r.key == PERIOD_KEY for r in at.radio)  # the wall follows the rule
    exit_button = _button(at, "present-exit")
    assert exit_button.label == "退出放映"
    exit_button.click().run()
    assert "mode" not in at.query_params
    assert any(r.key == PERIOD_KEY for r in at.radio)  # back in the app's deck


def test_viewer_wall_follows_the_rule(wall_db: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINQING_MEETING_MIN_DAYS", "0")
    at = _viewer()
    label = meeting_period(local_now().date(), 0).label
    assert "本月截至" in label and _caption(at).startswith(f"{label}，")
    assert not any(b.key == "present-exit" for b in at.button)


@pytest.mark.parametrize("min_days", ["0", "28"])
def test_landing_page_names_the_period_it_shows(
    wall_db: set[str], monkeypatch: pytest.MonkeyPatch, min_days: str
) -> None:
    monkeypatch.setenv("MINQING_MEETING_MIN_DAYS", min_days)
    at = _viewer("secretary")  # lands on 首页
    label = meeting_period(local_now().date(), int(min_days)).label
    assert any(f"以下为 {label} " in c.value for c in at.caption), [c.value for c in at.caption]
    if min_days == "0":
        assert "本月截至" in label
