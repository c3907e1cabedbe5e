"""The 重信 rule (domain.repeats): text similarity, its threshold, the time windows, the ranking."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.repeats import (
    REPEAT_WINDOW_DAYS,
    SIMILAR_WINDOW_DAYS,
    compares_text,
    rank_key,
    repeat_since,
    similar_reason,
    similar_since,
    text_similarity,
)

NOW = dt.datetime(2026, 11, 20, 10, 0)


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [
        ("路灯不亮", "路灯不亮", 1.0),
        ("小区东门路灯不亮", "邻居装修噪音扰民", 0.0),
        ("路灯不亮", "路灯坏了", 2 * 1 / (3 + 3)),  # one shared bigram 路灯 of three each
        ("Ab-c", "abc", 1.0),  # case and punctuation are ignored
        ("", "路灯不亮", 0.0),
        ("灯", "灯", 0.0),  # a single character has no bigram
    ],
)
def test_text_similarity(a: str, b: str, score: float):
    assert text_similarity(a, b) == pytest.approx(score)


@pytest.mark.parametrize(
    ("text", "other", "reason"),
    [
        ("小区东门路灯不亮", "小区东门路灯不亮了", "内容相似 93%"),
        ("东门路灯不亮", "东门路灯坏了", "内容相似 60%"),
        ("东门路灯不亮", "西门路灯坏了", None),  # 0.4: below the 0.5 threshold
        ("小区东门路灯不亮", "邻居装修噪音扰民", None),
    ],
)
def test_similar_reason_applies_the_threshold(text: str, other: str, reason: str | None):
    found = similar_reason(text, other)
    assert (found[0] if found else None) == reason


def test_windows():
    assert (
        repeat_since(NOW)
        == NOW - dt.timedelta(days=REPEAT_WINDOW_DAYS)
        == dt.datetime(2026, 10, 21, 10, 0)
    )
    assert similar_since(NOW) == dt.datetime(2026, 8, 22, 10, 0)
    assert SIMILAR_WINDOW_DAYS == 90


@pytest.mark.parametrize(("text", "compared"), [("路灯坏了", False), ("路灯坏了吗", True)])
def test_short_texts_are_not_compared(text: str, compared: bool):
    assert compares_text(f"  {text}  ") is compared


def test_rank_more_reasons_then_similarity_then_newest():
    older, newer = NOW - dt.timedelta(days=5), NOW - dt.timedelta(days=1)
    hints = {
        "two reasons": rank_key(["同一电话", "同网格同类别"], 0.0, older),
        "similar 0.9": rank_key(["内容相似 90%"], 0.9, older),
        "similar 0.6": rank_key(["内容相似 60%"], 0.6, newer),
        "phone newer": rank_key(["同一电话"], 0.0, newer),
        "phone older": rank_key(["同一电话"], 0.0, older),
    }
    assert sorted(hints, key=hints.__getitem__) == [
        "two reasons",
        "similar 0.9",
        "similar 0.6",
        "phone newer",
        "phone older",
    ]
