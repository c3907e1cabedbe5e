"""台账导入 page under AppTest: refused rows corrected in the data editor and checked again."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import session_factory
from db.models import Case
from tests.helpers.page_tests import page_world
from tests.helpers.real_ledgers import PHONE_HINT, gbk_csv

APP = "apps/ledger_import_page.py"
PHONE = "D 反映人·联系电话"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    for engine, _world in page_world(tmp_path, monkeypatch, modules=(), cells=3):
        yield engine


def _phones(engine) -> list[str | None]:
    with session_factory(engine)() as s:
        return list(s.scalars(select(Case.reporter_phone).order_by(Case.accepted_at)))


def _edit(at: AppTest, value: str) -> None:
    """Type ``value`` into the refused row's phone cell and press 「重新检查」."""
    (editor,) = at.data_editor
    at.session_state[editor.key] = {
        "edited_rows": {0: {PHONE: value}},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "重新检查").click().run()
    assert not at.exception, at.exception


def test_a_refused_row_is_corrected_in_place_checked_again_and_imported(app_db):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    at.file_uploader[0].set_value(("1月.csv", gbk_csv("1月").data, "text/csv")).run()
    assert not at.exception, at.exception
    (editor,) = at.data_editor
    table = editor.value
    assert list(table["行号"]) == [7]
    assert table.loc[0, PHONE] == "电话停机"
    assert table.loc[0, "检查结果"] == f"联系电话「电话停机」格式不正确{PHONE_HINT}"
    assert {m.label: m.value for m in at.metric}["可导入"] == "3"
    # the refused rows can be downloaded as a workbook with their reasons
    (download,) = at.get("download_button")
    assert download.proto.label.startswith("下载不能导入的行")

    _edit(at, "1390000")  # still wrong: a Chinese reason, what was typed kept, nothing written
    (editor,) = at.data_editor
    assert editor.value.loc[0, PHONE] == "1390000"
    assert editor.value.loc[0, "检查结果"] == f"联系电话「1390000」格式不正确{PHONE_HINT}"
    assert "改正后仍不能导入：第 7 行（原因见「检查结果」列）" in [w.value for w in at.warning]
    assert {m.label: m.value for m in at.metric}["可导入"] == "3"
    assert _phones(app_db) == []

    _edit(at, "139-0000-1111")
    (editor,) = at.data_editor
    assert editor.value.loc[0, "检查结果"] == "✓ 可导入"
    assert [s.value for s in at.success] == ["已改正，现可导入：第 7 行"]
    assert {m.label: m.value for m in at.metric}["可导入"] == "4"
    assert not at.get("download_button")  # nothing refused any more
    at.button(key="ledger_import_go").click().run()
    assert not at.exception, at.exception
    assert _phones(app_db) == ["13812345678", "13912345678", "13712345678", "13900001111"]
