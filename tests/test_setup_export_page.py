"""初始化向导's 导出全部设置 / 导入设置 (AppTest): the admin exports and imports (preview, then
confirm); a non-admin is refused; a bad or broken file gives a Chinese error and writes nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
import streamlit as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import ROOT
from db.engine import make_engine, session_factory
from db.models import Community, GridCell, RecordChange, Subdistrict
from db.queries.setup_export import setup_snapshot
from db.seed import create_user
from domain.roles import Actor, Role
from services import territory
from services.setup_export import WORKBOOK, setup_zip
from tests.factories import NOW, migrate, password_hash

APP = ROOT / "tests" / "apps" / "setup_page.py"
ADMIN = Actor(1, "admin", Role.ADMIN)
ZIP = "application/zip"


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    """An empty production-like database with a first admin and a 街道 secretary."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        for username, role in (("admin", "admin"), ("shuji", "secretary")):
            create_user(session, username=username, display_name=username, role=role,
                        password_hash=password_hash(), now=NOW)  # fmt: skip
        session.commit()
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    monkeypatch.setattr("pages.setup.local_now", lambda: NOW)
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()
    engine.dispose()


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> bytes:
    """A small setup's export, made through the services on a database of its own."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.db'}")
    migrate(engine)
    with session_factory(engine)() as session:
        territory.create_subdistrict(session, actor=ADMIN, name="芙蓉街道", now=NOW)
        ws = territory.create_community(session, actor=ADMIN, name="文盛社区", code="WS", now=NOW)
        for code, name in (("WS-01", "第一网格"), ("WS-02", "第二网格")):
            territory.create_cell(session, actor=ADMIN, community_id=ws.id, code=code, name=name,
                                  now=NOW)  # fmt: skip
        data = setup_zip(setup_snapshot(session, actor=ADMIN))
    engine.dispose()
    return data


def open_as(username: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at = at.run()
    assert not at.exception, at.exception
    return at


def written(engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Subdistrict, Community, RecordChange)
        )


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at = at.file_uploader(key="setup_import_file").set_value((name, data, ZIP)).run()
    assert not at.exception, at.exception
    return at


def test_a_non_admin_is_refused(empty_db):
    at = open_as("shuji")
    assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
    assert not at.subheader and not at.file_uploader and not at.button


def test_the_admin_exports_the_setup(empty_db, export):
    at = open_as("admin")
    assert [h.value for h in at.subheader] == ["导出全部设置", "导入设置"]
    assert not at.get("download_button")  # nothing is built before it is asked for
    at = next(b for b in at.button if b.label == "生成导出文件").click().run()
    assert [d.label for d in at.get("download_button")] == ["下载全部设置（.zip）"]


def test_a_bad_file_gives_a_chinese_error_and_writes_nothing(empty_db, export):
    at = upload(open_as("admin"), "设置.zip", b"not a zip")
    assert [e.value for e in at.error] == ["压缩包无法打开，请上传导出的 \\.zip 文件"]
    book = load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(export)).read(WORKBOOK)))
    book["网格"].cell(row=2, column=1, value="XX")
    broken = io.BytesIO()
    book.save(broken)
    at = upload(at, WORKBOOK, broken.getvalue())
    assert at.error[0].value == "文件有 1 处问题，未导入任何数据。请修正后重新上传："
    problems = list(at.dataframe[1].value["问题"])
    assert problems == ["工作表「网格」第 2 行：社区编码「XX」不在「街道与社区」中"]
    assert not [b for b in at.button if b.label == "确认导入"]
    assert written(empty_db) == (0, 0, 0)


def test_the_admin_imports_an_export_after_a_preview(empty_db, export):
    at = upload(open_as("admin"), "全部设置.zip", export)
    counts = dict(zip(at.dataframe[0].value["内容"], at.dataframe[0].value["条数"], strict=True))
    assert counts["社区"] == 1 and counts["网格"] == 2
    assert written(empty_db) == (0, 0, 0)  # the preview writes nothing
    at = next(b for b in at.button if b.label == "确认导入").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("已导入：社区 1")
    assert "数据库中已有社区或基础数据：导入设置只能用于空数据库。" in [c.value for c in at.caption]
    with session_factory(empty_db)() as session:
        cells = session.scalars(select(GridCell.code).order_by(GridCell.code)).all()
    assert cells == ["WS-01", "WS-02"]
