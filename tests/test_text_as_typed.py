"""Text shown as typed, and nothing typed lost (issue 16 item 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import session_factory
from db.models import Community, Person, ReceptionSession, Visit
from domain.validation import MAX_DESCRIPTION, MAX_NOTE
from tests.factories import World
from tests.helpers.page_tests import open_as, page_world, submit


def _reception_page() -> None:
    from pages.reception import render

    render()


def _visits_page() -> None:
    from pages.visits import render

    render()


def _deputy(session: Session) -> None:
    session.add(Person(name="孙代表", kind="deputy", title="人大代表"))


@pytest.fixture
def page_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, World]]:
    """A small world with one deputy, opened by the pages through ``DATABASE_URL``."""
    yield from page_world(
        tmp_path,
        monkeypatch,
        modules=("pages.reception", "pages.visits", "pages.assistance", "pages.intake"),
        extra=_deputy,
    )


_open = open_as
_submit = submit


def _first_id(engine: Engine, model, **where: object) -> int:  # type: ignore[no-untyped-def]
    with session_factory(engine)() as session:
        stmt = select(model.id).filter_by(**where).order_by(model.id)
        found = session.scalar(stmt)
    assert found is not None
    return int(found)


def _count(engine: Engine, model) -> int:  # type: ignore[no-untyped-def]
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_reception_banner_shows_the_typed_place_not_markdown(
    page_db: tuple[Engine, World],
) -> None:
    engine, _ = page_db
    at = _open(_reception_page)
    at.selectbox(key="rs_community").set_value(_first_id(engine, Community))
    at.text_input(key="rs_place").input("**党群中心** [二楼](http://x.cn)")
    at.multiselect(key="rs_deputies").set_value([_first_id(engine, Person, kind="deputy")])
    at = _submit(at, "安排接待日")
    assert _count(engine, ReceptionSession) == 1
    banner = next(s.value for s in at.success if "接待日已安排" in s.value)
    # Every Markdown character is escaped, so the banner reads exactly what was typed.
    assert r"\*\*党群中心\*\* \[二楼\]\(http\://x\.cn\)" in banner, banner
    # 接待记录: the figures a user looks for first, the long texts after them (issue 16 item 6).
    sessions = next(d.value for d in at.dataframe if "接待时间" in d.value.columns)
    assert list(sessions.columns)[:5] == ["接待时间", "诉求件数", "未办结", "解决率", "已解决/基数"]


def test_a_too_long_concern_is_kept_and_the_limit_named(page_db: tuple[Engine, World]) -> None:
    engine, world = page_db
    pasted = "楼道灯坏了，" * 2000  # 12,000 characters
    at = _open(_visits_page)
    at.selectbox(key="vi_cell").set_value(world.cells[0].id).run()
    at.selectbox(key="vi_household").set_value(world.households[0].id)
    at.selectbox(key="vi_c0_category").set_value(world.categories[3].id)
    at.selectbox(key="vi_c0_type").set_value("immediate")
    at.checkbox(key="vi_c0_anonymous").check()
    at.text_area(key="vi_c0_description").input(pasted)
    at = _submit(at, "保存走访")
    assert _count(engine, Visit) == 0
    assert f"诉求内容不能超过 {MAX_DESCRIPTION} 字（当前 {len(pasted)} 字）" in [
        e.value for e in at.error
    ]
    assert at.text_area(key="vi_c0_description").value == pasted  # nothing typed is lost


def _assistance_page() -> None:
    from pages.assistance import render

    render()


def _intake_page() -> None:
    from pages.intake import render

    render()


@pytest.mark.parametrize(
    ("script", "label", "button", "limit"),
    [
        (_visits_page, "走访记录", "保存走访", MAX_NOTE),
        (_assistance_page, "备注", "保存帮扶", MAX_NOTE),
        (_intake_page, "诉求内容", "保存受理", MAX_DESCRIPTION),
    ],
)
def test_a_too_long_paste_is_kept_and_its_length_named(  # type: ignore[no-untyped-def]
    page_db: tuple[Engine, World], script, label: str, button: str, limit: int
) -> None:
    """No max_chars: the browser would drop a longer paste and leave the field empty."""
    pasted = "情况说明——" * (limit // 5 + 100)
    at = _open(script)
    area = next(a for a in at.text_area if a.label == label)
    area.input(pasted)
    at = _submit(at, button)
    assert f"{label}不能超过 {limit} 字（当前 {len(pasted)} 字）" in [e.value for e in at.error]
    assert next(a for a in at.text_area if a.label == label).value == pasted
