"""Writes 民情台账2011.xls (Excel 97–2003, as WPS saves by default) from the rows of
``tests/helpers/real_ledgers.MONTHS``, all on one sheet.

Run once with a scratch interpreter that has xlwt (not a project dependency)::

    python3 -m venv /tmp/xlsvenv && /tmp/xlsvenv/bin/pip install xlwt
    /tmp/xlsvenv/bin/python tests/data/ledgers/make_xls.py

It imports nothing from the project, so the rows are repeated here; the test checks they are
the same rows as ``MONTHS``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlwt

TITLE = "测试社区2011年民情台账"
GROUP = ["序号", "受理时间", "反映人", None, "诉求内容", "类别", "网格", "办理情况", None, None, "回访情况", None]  # fmt: skip
SUB = [None, None, "姓名", "联系电话", None, None, None, "办理状态", "办结时间", "限办日期", "回访时间", "满意度"]  # fmt: skip
ROWS = [
    ("2011-01-05", "张伟", "138-1234-5678", "噪音扰民", "环境卫生", "第1网格", "已回访", "2011-01-06", None, "2011-01-10", "满意"),
    ("2011-01-10", "陈静", "+86 139 1234 5678", "路灯不亮", "环境卫生", "第2网格", "已办结", "2011-01-20", "2011-01-12", "2011-01-21", "不满意"),
    ("2011-01-12", "刘洋", "13712345678", "楼道堆放杂物", "环境卫生", "第1网格", "办理中", None, "2011-01-31", None, None),
    ("2011-01-14", "黄丽", "电话停机", "下水道堵塞", "环境卫生", "第1网格", "已办结", "2011-01-15", None, None, None),
    ("2011.2.9", "赵强", "138 1234 0000", "低保咨询", "政策咨询", "T01-02", "已答复", "2011.2.9", None, "2011.2.10", "基本满意"),
    ("2011.2.10", "吴芳", "", "宠物扰民", "矛盾纠纷", "第1网格", "已回访", "2011.2.11", None, "2011.2.14", "联系不上"),
    ("2011.2.11", "王秀英", "13812340001", "漏", "环境卫生", "第2网格", "已办结", "2011.2.11", None, None, None),
    ("2011年3月1日", "李娜", "13812340002", "停车位被占", "社区事务", "第2网格", "待街道签收", None, None, None, None),
    ("2011年3月2日", "张伟", "13812340003", "健身器材损坏", "民生项目", "第1网格", "搁置", None, None, None, None),
]  # fmt: skip
DATE_COLUMNS = {1, 8, 9, 10}  # 受理时间, 办结时间, 限办日期, 回访时间 (0-based, after 序号)


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("民情台账")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write_merge(0, 0, 0, 11, TITLE)
    for col, text in enumerate(GROUP):
        if col in (0, 1, 4, 5, 6):
            sheet.write_merge(1, 2, col, col, text)  # one header over both rows
    sheet.write_merge(1, 1, 2, 3, "反映人")
    sheet.write_merge(1, 1, 7, 9, "办理情况")
    sheet.write_merge(1, 1, 10, 11, "回访情况")
    for col, text in enumerate(SUB):
        if text is not None:
            sheet.write(2, col, text)
    for n, row in enumerate(ROWS, start=1):
        r = 2 + n
        sheet.write(r, 0, n)
        for col, value in enumerate(row, start=1):
            if value is None:
                continue
            # ISO dates as real date cells (what Excel stores), the other spellings as typed
            if (
                col in DATE_COLUMNS
                and isinstance(value, str)
                and len(value) == 10
                and value[4] == "-"
            ):
                sheet.write(r, col, dt.date.fromisoformat(value), day)
            else:
                sheet.write(r, col, value)
    book.save(str(Path(__file__).with_name("民情台账2011.xls")))


if __name__ == "__main__":
    main()
