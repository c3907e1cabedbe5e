"""Ledgers shaped like the ones a 社区 office keeps, each with its rows' fates written by hand.

- ``month_workbook``: 2011, a 填表说明 sheet first, then one sheet per month (1月, 2月, 3月), a
  merged title and a two-level header (反映人 over 姓名/联系电话, 办理情况 over 办理状态/办结时间/
  限办日期, 回访情况 over 回访时间/满意度), phones as 138-1234-5678, statuses as the app shows them.
- ``gbk_csv``: the same kind of rows as Excel in China saves a CSV — GBK, and the merged group
  cells of the two-level header left empty except their first column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import cache

from openpyxl import Workbook

from domain.workflow import CaseStatus, Satisfaction

TITLE = ["测试社区2011年民情台账"]
GROUP = ["序号", "受理时间", "反映人", None, "诉求内容", "类别", "网格", "办理情况", None, None, "回访情况", None]  # fmt: skip
SUB = [None, None, "姓名", "联系电话", None, None, None, "办理状态", "办结时间", "限办日期", "回访时间", "满意度"]  # fmt: skip


@dataclass(frozen=True)
class Fate:
    """What a data row must become: imported with these facts, or refused with these reasons."""

    sheet: str
    row: int
    status: CaseStatus | None = None
    phone: str | None = None
    deadline: dt.date | None = None
    satisfaction: Satisfaction | None = None
    reasons: tuple[str, ...] = ()


@dataclass
class RealLedger:
    data: bytes
    imported: list[Fate] = field(default_factory=list)
    refused: list[Fate] = field(default_factory=list)


# (受理时间, 姓名, 电话, 诉求内容, 类别, 网格, 办理状态, 办结时间, 限办日期, 回访时间, 满意度)
MONTHS: dict[str, list[tuple[object, ...]]] = {
    "1月": [
        ("2011-01-05", "张伟", "138-1234-5678", "噪音扰民", "环境卫生", "第1网格", "已回访", "2011-01-06", None, "2011-01-10", "满意"),
        ("2011-01-10", "陈静", "+86 139 1234 5678", "路灯不亮", "环境卫生", "第2网格", "已办结", "2011-01-20", "2011-01-12", "2011-01-21", "不满意"),
        ("2011-01-12", "刘洋", "13712345678", "楼道堆放杂物", "环境卫生", "第1网格", "办理中", None, "2011-01-31", None, None),
        ("2011-01-14", "黄丽", "电话停机", "下水道堵塞", "环境卫生", "第1网格", "已办结", "2011-01-15", None, None, None),
    ],
    "2月": [
        ("2011.2.9", "赵强", "138 1234 0000", "低保咨询", "政策咨询", "T01-02", "已答复", "2011.2.9", None, "2011.2.10", "基本满意"),
        ("2011.2.10", "吴芳", "", "宠物扰民", "矛盾纠纷", "第1网格", "已回访", "2011.2.11", None, "2011.2.14", "联系不上"),
        ("2011.2.11", "王秀英", "13812340001", "漏", "环境卫生", "第2网格", "已办结", "2011.2.11", None, None, None),
    ],
    "3月": [
        ("2011年3月1日", "李娜", "13812340002", "停车位被占", "社区事务", "第2网格", "待街道签收", None, None, None, None),
        ("2011年3月2日", "张伟", "13812340003", "健身器材损坏", "民生项目", "第1网格", "搁置", None, None, None, None),
    ],
}  # fmt: skip

STATUS_HINT = (
    "（可填：已受理、办理中、待补材料、已上报、待街道签收、街道办理中、已办结、已答复、已反馈、"
    "已回访、归档、已退回，或解决、在办等常用写法）"
)
PHONE_HINT = "（手机 11 位，如 13812345678 或 138-1234-5678；座机如 0731-84561234）"
FIRST_ROW = 4  # title, group header, sub-header, then data

FATES: dict[str, list[Fate]] = {
    "1月": [
        Fate("1月", 4, CaseStatus.FOLLOWED_UP, "13812345678", None, Satisfaction.SATISFIED),
        Fate("1月", 5, CaseStatus.FOLLOWED_UP, "13912345678", dt.date(2011, 1, 12), Satisfaction.DISSATISFIED),
        Fate("1月", 6, CaseStatus.IN_PROGRESS, "13712345678", dt.date(2011, 1, 31)),
        Fate("1月", 7, reasons=(f"联系电话「电话停机」格式不正确{PHONE_HINT}",)),
    ],
    "2月": [
        Fate("2月", 4, CaseStatus.FOLLOWED_UP, "13812340000", None, Satisfaction.BASICALLY_SATISFIED),
        Fate("2月", 5, CaseStatus.FOLLOWED_UP, None, None, Satisfaction.NO_ANSWER),
        Fate("2月", 6, reasons=("诉求内容太短（至少 2 个字）",)),
    ],
    "3月": [
        Fate("3月", 4, CaseStatus.ESCALATED, "13812340002"),
        Fate("3月", 5, reasons=(f"办理状态「搁置」无法识别{STATUS_HINT}",)),
    ],
}  # fmt: skip


def _sheet_rows(rows: list[tuple[object, ...]]) -> list[list[object]]:
    return [TITLE, GROUP, SUB] + [[n, *r] for n, r in enumerate(rows, start=1)]


@cache
def month_workbook() -> RealLedger:
    """The 2011 workbook: 填表说明 first, then 1月, 2月, 3月."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["填表说明：受理时间填写到日，办理状态按下拉选择，电话填写手机号。"])
    for name, rows in MONTHS.items():
        sheet = book.create_sheet(name)
        for row in _sheet_rows(rows):
            sheet.append(row)
        sheet.merge_cells("A1:L1")
        sheet.merge_cells("C2:D2")
        sheet.merge_cells("H2:J2")
        sheet.merge_cells("K2:L2")
        for col in "ABEFG":
            sheet.merge_cells(f"{col}2:{col}3")
    out = io.BytesIO()
    book.save(out)
    fates = [f for name in MONTHS for f in FATES[name]]
    return RealLedger(
        out.getvalue(), [f for f in fates if not f.reasons], [f for f in fates if f.reasons]
    )


def gbk_csv(sheet: str = "1月") -> RealLedger:
    """One month as Excel in China saves a CSV: GBK, merged group cells empty but the first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _sheet_rows(MONTHS[sheet]):
        writer.writerow(["" if v is None else v for v in row] + [""] * (12 - len(row)))
    fates = FATES[sheet]
    return RealLedger(
        buffer.getvalue().encode("gbk"),
        [f for f in fates if not f.reasons],
        [f for f in fates if f.reasons],
    )
