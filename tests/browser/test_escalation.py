"""Escalation as a hand-off in a real browser: a 社区 clerk registers a 上级转办 case and 上报街道;
the 街道 staff find it in 街道待办, 签收 and 答复; back at the 社区 the answer is on the timeline,
化解层级 is 街道, and the dashboard's 社区化解率 does not count it as the 社区's.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from tests.browser.conftest import choose, login, shot, single, wait_idle

pytestmark = pytest.mark.browser

DESK_NAME = "李晓燕"  # db.demo.territory: jdstaff
ORDER_NO = "12345-20261201-0042"
ANSWER = "街道城管科已协调物业清运建筑垃圾，消防通道已畅通"
SIZES = {"wide": (1400, 900), "phone": (390, 844)}


def act(page, action: str, **texts: str) -> None:
    """Run one case action through its form (``texts``: field label → value), then wait."""
    choose(page, "选择操作", action)
    for label, value in texts.items():
        page.get_by_label(label, exact=True).first.wait_for()
        field = single(page.get_by_label(label, exact=True))
        if field.get_attribute("role") == "group":  # a date field: type year, month, day
            field.locator('[role="spinbutton"]').first.click()
            page.keyboard.type(value.replace("-", ""))
            page.keyboard.press("Tab")
        else:
            field.fill(value)
        wait_idle(page)
    page.get_by_role("button", name=f"确认{action}").click()
    page.get_by_text(f"已完成「{action}」。").wait_for()
    wait_idle(page)


def community_resolution(page) -> tuple[int, int]:
    """社区化解率's 「a / b 件」 on the dashboard (resolved at the 社区 / resolved)."""
    page.get_by_role("link", name="书记看板").click()
    wait_idle(page)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="社区化解率").first
    metric.wait_for()
    # The tile's caption (「a / b 件」) is the metric's next sibling in its bordered container.
    tile = metric.locator("xpath=ancestor::div[.//*[@data-testid='stCaptionContainer']][1]")
    detail = tile.locator('[data-testid="stCaptionContainer"]').first
    detail.wait_for()
    found = re.fullmatch(r"([\d,]+) / ([\d,]+) 件", detail.inner_text().strip())
    assert found, detail.inner_text()
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def table_rows(page, index: int, *, columns: int, rows: int = 0, timeout: float = 20.0):
    """The cells of the ``index``-th table once it has ``rows`` full rows (0: any)."""
    deadline = time.monotonic() + timeout
    while True:
        table = page.locator('[data-testid="stTable"]').nth(index)
        found = [
            [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()
        ]
        full = all(len(row) == columns for row in found)
        if (found and full and (not rows or len(found) == rows)) or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(250)


def shots(page, name: str) -> None:
    """Screenshots of the current page at the desk and the phone size."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(600)
        wait_idle(page)
        shot(page, f"escalation-{name}-{size}")
    page.set_viewport_size({"width": 1440, "height": 900})
    wait_idle(page)


def open_from_ledger(page, case_no: str) -> None:
    """Find the case by its number in 民情台账 and open it."""
    page.get_by_role("link", name="民情台账").click()
    search = page.get_by_label("搜索")
    search.wait_for()
    search.fill(case_no)
    search.press("Enter")
    wait_idle(page)
    page.get_by_role("link", name=f"打开案件 {case_no}").click()
    page.get_by_text(case_no).first.wait_for()
    wait_idle(page)


def log_out(page) -> None:
    """Press 退出登录 until the login form shows (a click during a script run may be dropped)."""
    for _attempt in range(3):
        wait_idle(page)
        page.get_by_role("button", name="退出登录").click()
        try:
            page.get_by_label("用户名").wait_for(timeout=15_000)
            return
        except Exception:
            continue
    raise AssertionError("退出登录 did not bring back the login form")


def test_subdistrict_answers_what_the_community_escalated(app_server, page):
    login(page, app_server.url, "staff")
    before = community_resolution(page)

    # 社区: a 上级转办 case with its 上级工单号, then 上报街道.
    page.get_by_role("link", name="民情受理").click()
    page.get_by_label("诉求内容").wait_for()
    wait_idle(page)
    choose(page, "来源渠道", "上级转办")
    page.get_by_label("上级工单号").fill(ORDER_NO)
    choose(page, "类别", "环境卫生")
    page.get_by_label("反映人姓名").fill("转办测试居民")
    page.get_by_label("联系电话").fill("13912340042")
    choose(page, "所属网格")
    page.get_by_label("诉求内容").fill("小区东门外建筑垃圾堆放一月未清运，12345 转办")
    choose(page, "五件制类型", "上报件")
    page.get_by_role("button", name="保存受理").click()
    code = page.locator('[data-testid="stCode"]').first
    code.wait_for()
    case_no = code.inner_text().strip()
    assert re.fullmatch(r"MQ-\d{4}-\d{6}", case_no)
    page.get_by_role("link", name=f"打开案件 {case_no}").click()
    page.get_by_text(f"{case_no} · 已受理").wait_for()
    wait_idle(page)
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    act(page, "上报街道", 街道预计答复日期=due)
    page.get_by_text(f"{case_no} · 待街道签收").wait_for()
    log_out(page)

    # 街道: the case waits in 街道待办; 签收, then 答复.
    login(page, app_server.url, "jdstaff")
    page.get_by_role("link", name="上报与转办").click()
    page.get_by_role("heading", name="街道待办").wait_for()
    page.get_by_role("tab").filter(has_text=re.compile(r"^待街道签收（\d+）$")).first.wait_for()
    shots(page, "queue")
    open_from_ledger(page, case_no)
    page.get_by_text(f"{case_no} · 待街道签收").wait_for()
    wait_idle(page)
    act(page, "街道签收")
    page.get_by_text(f"{case_no} · 街道办理中").wait_for()
    choose(page, "选择操作", "答复")
    page.get_by_text("化解层级：街道（由街道办结）").wait_for()
    act(page, "答复", 办理结果=ANSWER)
    page.get_by_text(f"{case_no} · 已答复").wait_for()
    shots(page, "case-subdistrict")
    log_out(page)

    # 社区: the answer is on the timeline and the case is resolved at the 街道.
    login(page, app_server.url, "staff")
    open_from_ledger(page, case_no)
    page.get_by_text(f"{case_no} · 已答复").wait_for()
    wait_idle(page)
    fields = dict(row[:2] for row in table_rows(page, 0, columns=2))
    assert (fields["化解层级"], fields["办理结果"]) == ("街道", ANSWER), fields
    assert (fields["来源渠道"], fields["上级工单号"]) == ("上级转办", ORDER_NO), fields
    timeline = table_rows(page, 1, columns=6, rows=4)
    # columns: 时间, 操作人, 操作, 状态, 说明, 详情
    assert [(row[2], row[3]) for row in timeline] == [
        ("受理", "已受理"),
        ("上报街道", "已受理 → 待街道签收"),
        ("街道签收", "待街道签收 → 街道办理中"),
        ("答复", "街道办理中 → 已答复"),
    ], timeline
    assert (timeline[3][1], timeline[3][4]) == (DESK_NAME, ANSWER), timeline
    shots(page, "case-community")

    # One more resolved case, none more resolved at the 社区.
    assert community_resolution(page) == (before[0], before[1] + 1)
