"""The case reads on SQLite, PostgreSQL and MariaDB: 重信 hints, 民情台账 (filters, paging,
exports) and 我的待办."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from db.queries.ledger import LEDGER_HEADERS, LedgerFilters, LedgerSort, ledger_page
from db.queries.repeats import repeat_candidates
from db.queries.todo import TodoCounts, TodoKind, todo_counts, todo_list
from domain.repeats import text_similarity
from domain.roles import Actor
from services.ledger import ExportFormat
from tests.factories import NOW, World, make_case, make_world
from tests.helpers.cases import RULES, actor_of, export_xlsx_or_csv


@pytest.fixture
def world(session) -> World:
    return make_world(session)


@pytest.fixture
def staff(world) -> Actor:
    return actor_of(world, "staff")


# ---------------------------------------------------------------------------------------------
# 重信 hints


def test_text_similarity():
    assert text_similarity("小区东门路灯不亮", "小区东门路灯不亮了") > 0.9
    assert text_similarity("小区东门路灯不亮", "邻居装修噪音扰民") == 0.0


def test_repeat_candidates(session, world):
    cell0, cell1 = world.cells[0].id, world.cells[1].id
    cat = world.categories
    same_phone = make_case(
        session, world, case_no="P1", reporter_phone="13812345678", grid_cell_id=cell1,
        category_id=cat[1].id, description="邻居装修噪音扰民", accepted_at=NOW - dt.timedelta(days=3),
    )  # fmt: skip
    make_case(
        session,
        world,
        case_no="P2",
        reporter_phone="13812345678",
        status="archived",
        grid_cell_id=cell1,
        category_id=cat[1].id,
        description="邻居装修噪音扰民",
        accepted_at=NOW - dt.timedelta(days=60),
    )  # fmt: skip  (old and closed: not a hint)
    same_place = make_case(
        session, world, case_no="P3", reporter_phone="13900000000", grid_cell_id=cell0,
        category_id=cat[3].id, description="垃圾桶满了没人清理", accepted_at=NOW - dt.timedelta(days=10),
    )  # fmt: skip
    similar = make_case(
        session, world, case_no="P4", reporter_phone="13900000001", grid_cell_id=cell0,
        category_id=cat[0].id, description="东门路灯不亮，晚上出行不便", accepted_at=NOW - dt.timedelta(days=50),
    )  # fmt: skip
    make_case(
        session,
        world,
        case_no="P5",
        reporter_phone="13900000002",
        grid_cell_id=cell0,
        category_id=cat[3].id,
        description="垃圾桶满了没人清理",
        accepted_at=NOW - dt.timedelta(days=45),
    )  # fmt: skip  (same place but too old, different wording from the draft)
    found = repeat_candidates(
        session,
        phone="138-1234-5678",
        grid_cell_id=cell0,
        category_id=cat[3].id,
        description="小区东门路灯不亮，晚上出行不便",
        now=NOW,
        actor=actor_of(world, "staff"),
    )
    by_no = {c.case_no: c.reasons for c in found}
    assert by_no == {
        "P1": ("同一电话",),
        "P3": ("同网格同类别",),
        "P4": (
            f"内容相似 {text_similarity('小区东门路灯不亮，晚上出行不便', similar.description):.0%}",
        ),
    }
    assert {c.id for c in found} == {same_phone.id, same_place.id, similar.id}
    worker = actor_of(world, "gridworker")
    scoped = repeat_candidates(
        session, phone="13812345678", grid_cell_id=None, category_id=None, description="",
        now=NOW, actor=worker,
    )  # fmt: skip
    assert scoped == []  # the phone match lies in a cell the grid worker does not see


# ---------------------------------------------------------------------------------------------
# 台账 and 我的待办


@pytest.fixture
def ledger_world(session, world):
    """Six cases with known states, deadlines, cells and reporters (NOW is Fri 2026-11-20 10:00)."""
    cells, cats, users = world.cells, world.categories, world.users
    specs = [
        # case_no, status, accepted (days ago), deadline (hours from NOW), cell, category, channel, assignee
        ("MQ-2026-000001", "in_progress", 5, -20, 0, 0, "hotline", "staff", "路灯不亮，晚上出行不便", "张三", "13812345678"),
        ("MQ-2026-000002", "accepted", 4, 2, 1, 1, "mailbox", "staff", "楼道堆放杂物，影响通行", "李四", "13900001111"),
        ("MQ-2026-000003", "awaiting_materials", 3, -20, 0, 2, "hotline", "staff", "申请低保需要补材料", "王五", "13700002222"),
        ("MQ-2026-000004", "resolved", 2, 30, 1, 0, "home_visit", "staff", "下水道堵塞，污水外溢", "赵六", "13600003333"),
        ("MQ-2026-000005", "accepted", 1, 120, 0, 2, "hotline", "secretary", "小区垃圾桶不够用", "孙七", "13500004444"),
        ("MQ-2026-000006", "notified", 6, -60, 1, 3, "chat_group", "staff", "广场舞噪音扰民", "周八", "13400005555"),
    ]  # fmt: skip
    made = {}
    for no, status, ago, due, cell, cat, channel, who, text, name, phone in specs:
        made[no] = make_case(
            session,
            world,
            case_no=no,
            status=status,
            accepted_at=NOW - dt.timedelta(days=ago),
            deadline_at=NOW + dt.timedelta(hours=due),
            grid_cell_id=cells[cell].id,
            category_id=cats[cat].id,
            channel=channel,
            assignee_id=users[who].id,
            description=text,
            reporter_name=name,
            reporter_phone=phone,
        )
    return made


def numbers(rows) -> list[str]:
    return [r.case_no for r in rows]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (LedgerFilters(), ["05", "04", "03", "02", "01", "06"]),
        (LedgerFilters(overdue=True), ["01"]),
        (LedgerFilters(due_soon=True), ["02"]),
        (LedgerFilters(statuses=("accepted",)), ["05", "02"]),
        (LedgerFilters(channels=("hotline",), statuses=("in_progress", "accepted")), ["05", "01"]),
        (LedgerFilters(handling_types=("promised",), category_ids=(-1,)), []),
        (LedgerFilters(text="垃圾桶"), ["05"]),
        (LedgerFilters(text="1390000"), ["02"]),
        (LedgerFilters(text="王五"), ["03"]),
        (LedgerFilters(text="mq-2026-000004"), ["04"]),
        (LedgerFilters(text="50%"), []),
        (
            LedgerFilters(accepted_from=dt.date(2026, 11, 16), accepted_to=dt.date(2026, 11, 17)),
            ["03", "02"],
        ),
    ],
)
def test_ledger_filters(session, world, ledger_world, staff, filters, expected):
    rows, total = ledger_page(session, filters=filters, now=NOW, actor=staff, rules=RULES)
    assert numbers(rows) == [f"MQ-2026-0000{n}" for n in expected]
    assert total == len(expected)


def test_ledger_cell_category_assignee_filters(session, world, ledger_world, staff):
    cells = LedgerFilters(
        grid_cell_ids=(world.cells[1].id,), category_ids=(world.categories[0].id,)
    )
    rows, total = ledger_page(session, filters=cells, now=NOW, actor=staff)
    assert (numbers(rows), total) == (["MQ-2026-000004"], 1)
    mine = LedgerFilters(assignee_id=world.users["secretary"].id)
    assert numbers(ledger_page(session, filters=mine, now=NOW, actor=staff)[0]) == [
        "MQ-2026-000005"
    ]


def test_ledger_paging_sorting_and_scope(session, world, ledger_world, staff):
    page2, total = ledger_page(
        session,
        filters=LedgerFilters(),
        sort=LedgerSort.DEADLINE_ASC,
        page=2,
        page_size=2,
        now=NOW,
        actor=staff,
    )
    # deadlines: 06 (-60h), 01/03 (-20h, by id), 02 (+2h), 04 (+30h), 05 (+120h)
    assert (numbers(page2), total) == (["MQ-2026-000003", "MQ-2026-000002"], 6)
    last, _ = ledger_page(
        session,
        filters=LedgerFilters(),
        sort="case_no_asc",
        page=3,
        page_size=2,
        now=NOW,
        actor=staff,
    )
    assert numbers(last) == ["MQ-2026-000005", "MQ-2026-000006"]
    rows, _ = ledger_page(session, filters=LedgerFilters(), now=NOW, actor=staff)
    flags = {r.case_no[-2:]: r.marker for r in rows}
    assert flags == {"01": "逾期", "02": "临期", "03": "", "04": "", "05": "", "06": ""}
    worker_rows, worker_total = ledger_page(
        session, filters=LedgerFilters(), now=NOW, actor=actor_of(world, "gridworker")
    )
    assert (numbers(worker_rows), worker_total) == (
        ["MQ-2026-000005", "MQ-2026-000003", "MQ-2026-000001"],
        3,
    )
    # Filtering for another cell cannot widen a grid worker's scope.
    other = LedgerFilters(grid_cell_ids=(world.cells[1].id,))
    assert ledger_page(session, filters=other, now=NOW, actor=actor_of(world, "gridworker"))[1] == 0


def test_ledger_export_xlsx_and_csv(session, world, ledger_world, staff):
    filters = LedgerFilters(channels=("hotline",))
    data = export_xlsx_or_csv(session, filters=filters, now=NOW, actor=staff, fmt=ExportFormat.XLSX)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == LEDGER_HEADERS and "联系电话" in rows[0] and "诉求内容" in rows[0]
    assert [r[0] for r in rows[1:]] == ["MQ-2026-000005", "MQ-2026-000003", "MQ-2026-000001"]
    phone_col = LEDGER_HEADERS.index("联系电话")
    assert rows[3][phone_col] == "138****5678" and rows[3][1] == "逾期"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["L"].width == 62  # 诉求内容
    viewer = actor_of(world, "viewer")
    raw = export_xlsx_or_csv(session, filters=filters, now=NOW, actor=viewer, fmt="csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == list(LEDGER_HEADERS)
    assert [(r[0], r[phone_col], r[LEDGER_HEADERS.index("反映人")]) for r in table[1:]] == [
        ("MQ-2026-000005", "135****4444", "孙*"),
        ("MQ-2026-000003", "137****2222", "王*"),
        ("MQ-2026-000001", "138****5678", "张*"),
    ]


def test_todo_counts_and_lists(session, world, ledger_world, staff):
    assert todo_counts(session, actor=staff, now=NOW, rules=RULES) == TodoCounts(
        mine=3, due_soon=1, overdue=1, follow_up=1
    )
    worker = actor_of(world, "gridworker")
    assert todo_counts(session, actor=worker, now=NOW, rules=RULES) == TodoCounts(
        mine=3, due_soon=0, overdue=1, follow_up=0
    )
    mine = todo_list(session, kind=TodoKind.MINE, actor=staff, now=NOW, rules=RULES)
    assert numbers(mine) == ["MQ-2026-000001", "MQ-2026-000003", "MQ-2026-000002"]
    follow = todo_list(session, kind="follow_up", actor=staff, now=NOW, rules=RULES)
    assert numbers(follow) == ["MQ-2026-000006"]


def test_free_text_total_is_capped_but_pages_stay_exact(
    session, world, ledger_world, staff, monkeypatch
):
    import db.queries.ledger as ledger

    monkeypatch.setattr(ledger, "TEXT_COUNT_CAP", 2)
    filters = LedgerFilters(text="，")  # in three of the six descriptions: 04, 02, 01
    rows, total = ledger_page(session, filters=filters, page_size=2, now=NOW, actor=staff)
    assert (numbers(rows), total) == (["MQ-2026-000004", "MQ-2026-000002"], 3)
    assert ledger.total_is_capped(filters, total)
    rest, _ = ledger_page(session, filters=filters, page=2, page_size=2, now=NOW, actor=staff)
    assert numbers(rest) == ["MQ-2026-000001"]
    exact = LedgerFilters(text="垃圾桶")
    assert not ledger.total_is_capped(
        exact, ledger_page(session, filters=exact, now=NOW, actor=staff)[1]
    )


def test_overdue_pages_agree_in_every_order(session, world, ledger_world, staff):
    """The 逾期 page walks another index for acceptance-time order; the rows must not change."""
    make_case(
        session, world, case_no="MQ-2026-000007", status="escalated",
        accepted_at=NOW - dt.timedelta(days=9), deadline_at=NOW - dt.timedelta(days=2),
    )  # fmt: skip
    overdue = LedgerFilters(overdue=True)
    newest, total = ledger_page(session, filters=overdue, now=NOW, actor=staff)
    oldest, _ = ledger_page(session, filters=overdue, sort="accepted_asc", now=NOW, actor=staff)
    by_deadline, _ = ledger_page(
        session, filters=overdue, sort="deadline_asc", now=NOW, actor=staff
    )
    assert total == 2
    assert numbers(newest) == ["MQ-2026-000001", "MQ-2026-000007"]
    assert numbers(oldest) == numbers(by_deadline) == ["MQ-2026-000007", "MQ-2026-000001"]
