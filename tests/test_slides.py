"""The slide engine (domain/slides.py): order, interval, pause, back and next at concrete times."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.slides import SLIDE_ORDER, SlideKind, SlideShow, deck_title, tick_seconds

T0 = dt.datetime(2026, 11, 22, 9, 0, 0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_slide_order_is_the_issue_order() -> None:
    assert [k.heading for k in SLIDE_ORDER] == [
        "核心指标", "网格地图：在办民情", "月度趋势", "网格解决率排名", "化解层级", "办结公示",
    ]  # fmt: skip
    assert SLIDE_ORDER[0] is SlideKind.HEADLINE and SLIDE_ORDER[-1] is SlideKind.NOTICES


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, 0), (14.9, 0), (15, 1), (29.99, 1), (30, 2), (75, 5), (89, 5), (90, 0), (95, 0), (105, 1)],
)
def test_running_show_moves_on_every_interval_and_wraps(seconds: float, expected: int) -> None:
    show = SlideShow.start(count=6, interval=15, now=T0)
    assert show.current(at(seconds)) == expected


@pytest.mark.parametrize(
    ("interval", "seconds", "expected"),
    [(3, 2.9, 0), (3, 3, 1), (60, 59, 0), (60, 61, 1), (60, 400, 0)],
)
def test_interval_is_configurable(interval: int, seconds: float, expected: int) -> None:
    assert SlideShow.start(count=6, interval=interval, now=T0).current(at(seconds)) == expected


def test_clock_going_backwards_shows_the_anchor_slide() -> None:
    assert SlideShow(count=6, interval=15, index=3, since=T0).current(at(-40)) == 3


# (steps as (action, at second), then (second, expected slide index, paused))
SCENARIOS = [
    ([("next", 5)], [(5, 1, False), (19.9, 1, False), (20, 2, False)]),
    ([("previous", 5)], [(5, 5, False), (20, 0, False)]),
    ([("previous", 20)], [(20, 0, False), (34, 0, False), (35, 1, False)]),
    ([("next", 16), ("next", 17), ("next", 18)], [(18, 4, False), (33, 5, False)]),
    ([("pause", 20)], [(20, 1, True), (500, 1, True)]),
    ([("pause", 20), ("next", 100)], [(100, 2, True), (1000, 2, True)]),
    ([("pause", 20), ("previous", 100), ("previous", 101)], [(101, 5, True)]),
    ([("pause", 20), ("resume", 100)], [(100, 1, False), (114, 1, False), (115, 2, False)]),
    ([("toggle", 20), ("toggle", 100)], [(100, 1, False), (115, 2, False)]),
    ([("pause", 20), ("pause", 30)], [(30, 1, True)]),
    ([("resume", 20)], [(20, 1, False), (30, 2, False)]),  # resuming a running show: no re-anchor
]


@pytest.mark.parametrize(("actions", "checks"), SCENARIOS)
def test_controls_at_concrete_times(actions, checks) -> None:
    show = SlideShow.start(count=6, interval=15, now=T0)
    for action, second in actions:
        show = getattr(show, action)(at(second))
    for second, expected, paused in checks:
        assert (show.current(at(second)), show.paused) == (expected, paused), second


@pytest.mark.parametrize(("seconds", "left"), [(0, 15), (1, 14), (14.5, 0.5), (15, 15), (31, 14)])
def test_seconds_left(seconds: float, left: float) -> None:
    assert SlideShow.start(count=6, interval=15, now=T0).seconds_left(at(seconds)) == pytest.approx(
        left
    )


def test_seconds_left_while_paused_is_a_full_interval() -> None:
    show = SlideShow.start(count=6, interval=15, now=T0).pause(at(7))
    assert show.seconds_left(at(100)) == 15


@pytest.mark.parametrize(
    "kwargs", [{"count": 0, "interval": 15, "index": 0}, {"count": 6, "interval": 0, "index": 0},
               {"count": 6, "interval": 15, "index": 6}, {"count": 6, "interval": 15, "index": -1}],
)  # fmt: skip
def test_invalid_shows_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        SlideShow(since=T0, **kwargs)


@pytest.mark.parametrize(("interval", "tick"), [(3, 0.75), (15, 1.0), (60, 1.0), (1, 0.5)])
def test_tick_keeps_overstay_under_a_second(interval: float, tick: float) -> None:
    assert tick_seconds(interval) == tick


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("文盛社区  党员大会", "文盛社区 党员大会 · 2026年11月2日"),
        ("", "芙蓉街道民情工作汇报 · 2026年11月2日"),
        ("   ", "芙蓉街道民情工作汇报 · 2026年11月2日"),
    ],
)
def test_deck_title_adds_the_date(configured: str, expected: str) -> None:
    assert deck_title(configured, "芙蓉街道民情工作汇报", dt.date(2026, 11, 2)) == expected
