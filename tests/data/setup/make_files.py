"""Writes the rosters a 社区 office has, for ``tests/browser/test_setup_from_empty.py``.

Run once with a scratch interpreter that has xlwt and openpyxl (xlwt is not a project
dependency)::

    python3 -m venv /tmp/xlsvenv && /tmp/xlsvenv/bin/pip install xlwt openpyxl
    /tmp/xlsvenv/bin/python tests/data/setup/make_files.py

It imports nothing from the project. The rows are messy on purpose: titles above the header,
synonym headers, 繁体, full-width digits, a 填表说明 sheet, and rows that must be refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlwt
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

HOUSEHOLD_HEADER = ["序号", "户主姓名", "小区", "楼号", "单元", "房号", "家庭人口", "联系方式", "网格", "低保户", "类别"]  # fmt: skip
HOUSEHOLD_ROWS = [
    [1, "张桂英", "文盛小区", "3栋", "2单元", "301", 3, "13907310001", "第一网格", "√", "独居老人"],
    # 繁体 names and words, full-width digits (人口, phone, room)
    [
        2,
        "陳建國",
        "文盛小區",
        "5棟",
        "1單元",
        "１０２",
        "２",
        "１３９０７３１０００２",
        "第一網格",
        "",
        "殘疾人",
    ],
    [3, "李秀兰", "文盛小区", "7栋", "3单元", "502", "4人", "0731-8888 1234", "第二网格", "", ""],
    # refused: a cell the 社区 does not have
    [4, "王有福", "文盛小区", "9栋", "1单元", "101", 2, "13907310004", "第九网格", "", ""],
    # refused: no 户主
    [5, "", "文盛小区", "9栋", "2单元", "201", 2, "13907310005", "第二网格", "", ""],
    # refused: 人口数 is not a number
    [6, "赵春花", "文盛小区", "9栋", "3单元", "301", "很多", "13907310006", "第二网格", "", ""],
]


def households_xlsx() -> None:
    """住户台账: a 填表说明 sheet first, then the roster under a title row."""
    book = Workbook()
    notes = book.active
    notes.title = "填表说明"
    notes.append(["所属网格请填写网格名称；类别可填 低保户、残疾人、独居老人 等，用顿号分隔。"])
    sheet = book.create_sheet("住户")
    sheet.append(["文盛社区住户台账（2026年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HOUSEHOLD_HEADER))
    sheet.append(HOUSEHOLD_HEADER)
    for row in HOUSEHOLD_ROWS:
        sheet.append(row)
    book.save(HERE / "文盛社区_住户台账.xlsx")


PARTY_HEADER = ["序号", "姓名", "性别", "所在支部", "党小组", "入党日期", "在职离退休流动", "联系电话"]  # fmt: skip
PARTY_ROWS: list[list[object]] = [
    [1, "刘德華", "男", "第一党支部", "第一党小组", dt.date(1998, 7, 1), "離退休", "13907310011"],
    [2, "周敏", "女", "第一党支部", "第二党小组", "2005年7月1日", "在职", "１３９０７３１００１２"],
    [3, "孙立新", "男", "第二党支部", "第三党小组", "2012.6.28", "流动党员", "13907310013"],
    # refused: 预备 is not a 党员状态 the roster knows
    [4, "吴晓燕", "女", "第二党支部", "第三党小组", "2024.7.1", "预备", "13907310014"],
    # refused: the date cannot be read
    [5, "郑国强", "男", "第一党支部", "第一党小组", "不详", "在职", "13907310015"],
]


def party_xls() -> None:
    """党员花名册 as Excel 97–2003 (.xls, what WPS saves by default): merged title, date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("党员花名册")
    sheet.write_merge(0, 0, 0, len(PARTY_HEADER) - 1, "中共文盛社区委员会党员花名册")
    for col, text in enumerate(PARTY_HEADER):
        sheet.write(1, col, text)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(PARTY_ROWS, start=2):
        for col, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, col, value, date_style)
            else:
                sheet.write(r, col, value)
    book.save(str(HERE / "文盛社区_党员花名册.xls"))


DEPUTY_ROWS = [
    ["姓名", "代表职务", "服务范围", "联系电话"],
    ["钱卫东", "区人大代表", "文盛社区第一网格", "13907310021"],
    ["冯丽华", "区政协委员", "文盛社区第二网格", "13907310022"],
    ["陈志刚", "党代表", "文盛社区", "13907310023"],
]


def deputies_csv() -> None:
    """两代表一委员 list as Excel saves a CSV in China: GBK."""
    text = "\r\n".join(",".join(row) for row in DEPUTY_ROWS) + "\r\n"
    (HERE / "文盛社区_两代表一委员.csv").write_bytes(text.encode("gbk"))


STAFF_ROWS = [
    ["姓名", "类别", "职务", "联系电话"],
    ["罗玉兰", "两委成员", "社区党委书记", "13907310031"],
    ["黄志明", "网格员", "专职网格员", "13907310032"],
]


def staff_csv() -> None:
    """工作人员名册 in UTF-8 with a BOM (Excel's 「CSV UTF-8」)."""
    text = "\r\n".join(",".join(row) for row in STAFF_ROWS) + "\r\n"
    (HERE / "文盛社区_工作人员.csv").write_bytes(text.encode("utf-8-sig"))


POINT_ROWS = [
    ["站点名称", "类型", "经度", "纬度", "地址"],
    ["文盛社区党员服务站", "党员服务站", "113.001", "28.201", "文盛路18号"],
    ["文盛社区老年食堂", "老年食堂", "", "", "文盛小区5栋一楼"],  # a kind of the 社区's own
]


def points_csv() -> None:
    """服务阵地 in UTF-8 (no BOM): one with coordinates, one placed by its address only."""
    text = "\n".join(",".join(row) for row in POINT_ROWS) + "\n"
    (HERE / "文盛社区_服务阵地.csv").write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    households_xlsx()
    party_xls()
    deputies_csv()
    staff_csv()
    points_csv()
