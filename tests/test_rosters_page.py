"""基础数据 page: lists per roster, edit forms refusing empty input with a Chinese message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import RecordChange
from tests.helpers.page_tests import open_as, page_world


def _page() -> None:
    from pages.rosters import render

    render()


@pytest.fixture
def rosters_world(tmp_path, monkeypatch):
    yield from page_world(tmp_path, monkeypatch, modules=["pages.rosters"])


def test_page_lists_households_and_refuses_an_empty_edit(rosters_world):
    engine, world = rosters_world
    at = open_as(_page, "admin")
    assert at.title[0].value == "基础数据"
    assert len(at.dataframe[0].value) == len(world.households)
    at = next(b for b in at.button if b.label == "保存修改").click().run()
    assert not at.exception
    assert "请至少填写一个要修改的字段" in [e.value for e in at.error]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RecordChange)) == 0


def test_page_edit_is_recorded(rosters_world):
    engine, _ = rosters_world
    at = open_as(_page, "admin")
    at.text_input(key="ros_household_phone").input("13907318888")
    at = next(b for b in at.button if b.label == "保存修改").click().run()
    assert [s.value for s in at.success] == ["已修改 1 个字段，修改记录已保存"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RecordChange)) == 1
