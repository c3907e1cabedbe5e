"""A clerk's whole case in a real browser: intake form → ledger search → handling, finishing,
feedback and follow-up on the case page → the timeline shows every step with who and when.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import choose, login, shot, wait_idle

pytestmark = pytest.mark.browser

STAFF_NAME = "陈丽萍"  # db.demo.DEMO_ACCOUNTS


def act(page, action: str, picks: dict[str, str] | None = None, **texts: str) -> None:
    """Run one case action through its form (``picks``: selectbox label → option), then wait."""
    choose(page, "选择操作", action)
    for label, option in (picks or {}).items():
        choose(page, label, option)
    for label, value in texts.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=f"确认{action}").click()
    page.get_by_text(f"已完成「{action}」。").wait_for()
    wait_idle(page)


def timeline_rows(page, *, events: int, timeout: float = 20.0) -> list[list[str]]:
    """The timeline's rows once it shows ``events`` full rows (it is drawn after the header)."""
    deadline = time.monotonic() + timeout
    while True:
        table = page.locator('[data-testid="stTable"]').last
        rows = [
            [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()
        ]
        if len(rows) == events and all(len(row) == 6 for row in rows):
            return rows
        if time.monotonic() > deadline:
            return rows  # the assertions below say what was there
        page.wait_for_timeout(250)


def test_clerk_takes_a_case_from_intake_to_follow_up(app_server, page):
    login(page, app_server.url, "staff")
    page.get_by_role("link", name="民情受理").click()
    page.get_by_label("诉求内容").wait_for()
    wait_idle(page)

    choose(page, "来源渠道", "民情热线")
    choose(page, "类别", "环境卫生")
    page.get_by_label("反映人姓名").fill("浏览器测试居民")
    page.get_by_label("联系电话").fill("13912345678")
    choose(page, "所属网格")
    page.get_by_label("诉求内容").fill("七号楼楼道堆满旧家具，消防通道被堵，请尽快清理")
    choose(page, "五件制类型", "即办件")
    page.get_by_role("button", name="保存受理").click()
    code = page.locator('[data-testid="stCode"]').first
    code.wait_for()
    case_no = code.inner_text().strip()
    assert re.fullmatch(r"MQ-\d{4}-\d{6}", case_no)
    shot(page, "case-flow-1-intake")

    page.get_by_role("link", name="民情台账").click()
    search = page.get_by_label("搜索")
    search.wait_for()
    search.fill(case_no)
    search.press("Enter")
    wait_idle(page)
    page.get_by_text("共 1 件").wait_for()
    shot(page, "case-flow-2-ledger")
    page.get_by_role("link", name=f"打开案件 {case_no}").click()
    page.get_by_text(f"{case_no} · 已受理").wait_for()
    wait_idle(page)

    act(page, "开始办理")
    page.get_by_text(f"{case_no} · 办理中").wait_for()
    # Never escalated: the level is asked for (no silent 社区).
    act(
        page,
        "办结",
        {"化解层级（上报件默认为上报层级）": "社区"},
        办理结果="已联系物业清理楼道，消防通道已畅通",
    )
    page.get_by_text(f"{case_no} · 已办结").wait_for()
    act(page, "反馈居民")
    page.get_by_text(f"{case_no} · 已反馈").wait_for()
    act(page, "回访")
    page.get_by_text(f"{case_no} · 已回访").wait_for()
    shot(page, "case-flow-3-case")

    rows = timeline_rows(page, events=5)
    # columns: 时间, 操作人, 操作, 状态, 说明, 详情
    assert [row[2] for row in rows] == ["受理", "开始办理", "办结", "反馈居民", "回访"], rows
    assert {row[1] for row in rows} == {STAFF_NAME}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row[0]) for row in rows), rows
    assert [row[3] for row in rows] == [
        "已受理",
        "已受理 → 办理中",
        "办理中 → 已办结",
        "已办结 → 已反馈",
        "已反馈 → 已回访",
    ]
    assert rows[2][4] == "已联系物业清理楼道，消防通道已畅通"
    assert rows[3][5] == "方式：电话答复" and rows[4][5] == "满意度：满意"
