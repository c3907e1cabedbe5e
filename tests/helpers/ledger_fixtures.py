"""A realistic messy 台账 with its ground truth, built from ``random.Random(7)``.

The ledger has what real community ledgers have: a merged title, a two-level merged header
(反映人 over 姓名/联系电话) in rows 3–4, Traditional headers and text, full-width digits,
every date format (2011年7月26日, 2011.7.26, 2011/7/26, 2011-07, ISO with time, Excel serial
numbers and date cells), blank rows, duplicates, misspelled grid and category names (near and
far), unknown status words, bad phones, missing required fields and impossible dates. Each
row's intended fate is recorded as it is written: ``expected`` (imported, with its facts),
``refused`` (row number → reasons) and ``blank``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field

from openpyxl import Workbook

from domain.workflow import CaseStatus, Channel

SEED = 7
STATUS_HINT = (
    "（可填：已受理、办理中、待补材料、已上报、待街道签收、街道办理中、已办结、已答复、已反馈、"
    "已回访、归档、已退回，或解决、在办等常用写法）"
)
PHONE_HINT = "（手机 11 位，如 13812345678 或 138-1234-5678；座机如 0731-84561234）"
EPOCH = dt.datetime(1899, 12, 30)
HEADER_ROW = 4
FIRST_DATA_ROW = 5
COLUMNS = 12

# (Simplified, Traditional) pairs: the importer must turn the second into the first.
DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("楼道堆放杂物，影响通行", "樓道堆放雜物，影響通行"),
    ("路灯不亮已经一周，晚上出行不便", "路燈不亮已經一週，晚上出行不便"),
    ("小区垃圾桶满了没人清运", "小區垃圾桶滿了沒人清運"),
    ("邻居装修噪音太大，影响休息", "鄰居裝修噪音太大，影響休息"),
    ("申请低保需要哪些材料", "申請低保需要哪些材料"),
    ("下水道堵塞，污水外溢", "下水道堵塞，汙水外溢"),
    ("老人独居无人照顾，希望社区帮助", "老人獨居無人照顧，希望社區幫助"),
    ("楼顶漏水，雨天严重", "樓頂漏水，雨天嚴重"),
    ("停车位被长期占用", "停車位被長期佔用"),
    ("希望增设健身器材", "希望增設健身器材"),
    ("宠物狗扰民，夜间吠叫", "寵物狗擾民，夜間吠叫"),
    ("水管冬天冻裂，路面结冰", "水管冬天凍裂，路面結冰"),
)
NAMES: tuple[tuple[str, str], ...] = (
    ("张伟", "張偉"),
    ("陈静", "陳靜"),
    ("刘洋", "劉洋"),
    ("黄丽", "黃麗"),
    ("赵强", "趙強"),
    ("吴芳", "吳芳"),
    ("王秀英", "王秀英"),
    ("李娜", "李娜"),
)
CATEGORY_TYPOS = {
    "环境卫生": "环境卫牛",
    "矛盾纠纷": "矛盾纠份",
    "社区事务": "社区事物",
    "困难救助": "困难求助",
    "民生项目": "民生项木",
}
FAR_GRIDS = ("东区", "城南片", "河西片区")
FAR_CATEGORIES = ("城管执法", "物业费")
UNKNOWN_STATUSES = ("搁置", "待定", "暂缓")
BAD_PHONES = ("1381234567", "138-1234-567", "电话停机")
CHANNEL_WORDS: tuple[tuple[str, Channel], ...] = (
    ("民情热线", Channel.HOTLINE),
    ("来访", Channel.LETTER_VISIT),
    ("12345转办", Channel.FORWARDED),
    ("微信群", Channel.CHAT_GROUP),
    ("入户走访", Channel.HOME_VISIT),
    ("民情信箱", Channel.MAILBOX),
    ("", Channel.LETTER_VISIT),
)
RESULTS = (
    "已协调物业清理完毕",
    "已联系维修，电话13912345678告知居民",
    "已上门解释政策，身份证430102199001011234复印件已收",
    "已安排网格员跟进处理",
)
STATUS_WORDS: dict[CaseStatus, tuple[str, ...]] = {
    CaseStatus.RESOLVED: ("已解决", "办结", "已办结", "辦結"),
    CaseStatus.ANSWERED: ("已答复", "已答覆"),
    CaseStatus.IN_PROGRESS: ("处理中", "未办结", "處理中"),
    CaseStatus.ACCEPTED: ("", "已受理"),
    CaseStatus.ESCALATED: ("已上报",),
    CaseStatus.RETURNED: ("退回",),
}
DATE_FORMATS = ("ymd_cn", "dot", "slash", "iso_time", "serial", "cell", "fullwidth")


@dataclass(frozen=True)
class Expected:
    """A row that must be imported, and the facts its case must have."""

    row: int
    accepted_at: dt.datetime
    status: CaseStatus
    finished_at: dt.datetime | None
    category: str
    cell: str
    channel: Channel
    description: str
    reporter_name: str | None
    reporter_phone: str | None
    warnings: tuple[str, ...] = ()
    original: dict[str, str] = field(default_factory=dict)
    result: str | None = None

    @property
    def delay_days(self) -> int | None:
        """Calendar days from acceptance to finish."""
        if self.finished_at is None:
            return None
        return (self.finished_at.date() - self.accepted_at.date()).days


@dataclass
class MessyLedger:
    """The sheet's rows (row 1 first) with merged ranges, and every row's intended fate."""

    rows: list[list[object]]
    merges: list[str]
    expected: list[Expected] = field(default_factory=list)
    refused: dict[int, tuple[str, ...]] = field(default_factory=dict)
    blank: list[int] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    def xlsx(self) -> bytes:
        """The ledger as an .xlsx workbook with merged title and header cells."""
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "民情台账"
        for row in self.rows:
            sheet.append(row)
        for ref in self.merges:
            sheet.merge_cells(ref)
        for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def csv(self, encoding: str = "gbk") -> bytes:
        """The same rows as CSV (merged cells repeated, as Excel's 'save as CSV' leaves them)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in _filled(self.rows, self.merges):
            writer.writerow(["" if v is None else _csv_value(v) for v in row])
        text = buffer.getvalue()
        return text.encode(encoding) if encoding != "utf-8-sig" else ("\ufeff" + text).encode()


def _csv_value(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _filled(rows: list[list[object]], merges: list[str]) -> list[list[object]]:
    from openpyxl.utils.cell import range_boundaries

    out = [list(r) + [None] * (COLUMNS - len(r)) for r in rows]
    for ref in merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        value = out[min_row - 1][min_col - 1]
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                out[r - 1][c - 1] = value
    return out


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _render_date(moment: dt.datetime, style: str) -> object:
    day = moment.date()
    if style == "ymd_cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "iso_time":
        return moment.strftime("%Y-%m-%d %H:%M")
    if style == "serial":
        return (moment - EPOCH).days
    if style == "cell":
        return moment
    if style == "fullwidth":
        return f"{day.year}年{day.month}月{day.day}日".translate(FULLWIDTH)
    if style == "month":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(style)


def build_ledger(
    cells: list[str], categories: list[str], *, rows: int = 540, seed: int = SEED
) -> MessyLedger:
    """A messy ledger of about ``rows`` data rows over the given grid cell and category names."""
    rng = random.Random(seed)
    title = ["测试社区民情台账（2026年）"] + [None] * (COLUMNS - 1)
    info = ["填报单位：测试社区　　填报人：王主任"] + [None] * (COLUMNS - 1)
    group = ["序号", "受理日期", "反映人", None, "反映問題", "類別", "片区", "来源", "办理状态", "办理结果", "办结时间", "住址"]  # fmt: skip
    sub = [None, None, "姓名", "联系电话", None, None, None, None, None, None, None, None]
    merges = ["A1:L1", "A2:L2", "C3:D3"] + [
        f"{col}3:{col}4" for col in ("A", "B", "E", "F", "G", "H", "I", "J", "K", "L")
    ]
    ledger = MessyLedger([title, info, group, sub], merges)
    seen: set[tuple[object, ...]] = set()
    serial = 0

    def kind_count(kind: str) -> None:
        ledger.kinds[kind] = ledger.kinds.get(kind, 0) + 1

    kinds = (
        ["plain"] * 30 + ["traditional"] * 8 + ["fullwidth"] * 5 + ["month_only"] * 3
        + ["historic"] * 3 + ["near_grid"] * 3 + ["near_category"] * 3 + ["far_grid"] * 2
        + ["far_category"] * 1 + ["unknown_status"] * 2 + ["bad_phone"] * 2 + ["missing"] * 3
        + ["duplicate"] * 4 + ["blank"] * 4 + ["bad_date"] * 1 + ["anonymous"] * 2
        + ["finish_before"] * 1 + ["unknown_channel"] * 1
    )  # fmt: skip
    while len(ledger.rows) - HEADER_ROW < rows:
        number = len(ledger.rows) + 1
        kind = rng.choice(kinds)
        if kind == "duplicate" and not ledger.expected:
            kind = "plain"
        kind_count(kind)
        if kind == "blank":
            ledger.blank.append(number)
            filler: list[object] = rng.choice(
                [
                    [None] * COLUMNS,
                    ["", "  ", None, "", "", None, None, None, None, None, None, None],
                ]
            )
            if rng.random() < 0.3:
                filler = [None] * COLUMNS
                filler[0] = serial + 1  # a numbered but empty line
            ledger.rows.append(filler)
            continue
        serial += 1
        if kind == "duplicate":
            original = rng.choice(ledger.expected)
            ledger.rows.append(_duplicate_row(original, serial, rng))
            ledger.refused[number] = (f"与第 {original.row} 行重复",)
            continue

        # The concern itself (ground truth).
        if kind == "historic":
            accepted = dt.datetime(2011, 7, 1) + dt.timedelta(days=rng.randrange(0, 180))
        else:
            accepted = dt.datetime(2026, 1, 5) + dt.timedelta(days=rng.randrange(0, 300))
        date_style = rng.choice(DATE_FORMATS)
        if kind == "month_only":
            accepted = accepted.replace(day=1)
            date_style = "month"
        if kind == "historic":
            date_style = "ymd_cn"
        if kind == "fullwidth":
            date_style = "fullwidth"
        if date_style == "iso_time":
            accepted = accepted.replace(
                hour=rng.randrange(8, 18), minute=rng.choice((0, 15, 30, 45))
            )
        simple_desc, trad_desc = rng.choice(DESCRIPTIONS)
        simple_name, trad_name = rng.choice(NAMES)
        phone = f"13{rng.randrange(3, 10)}{rng.randrange(10**7, 10**8)}"
        category = rng.choice(categories)
        cell = rng.choice(cells)
        channel_word, channel = rng.choice(CHANNEL_WORDS)
        status = rng.choice(list(STATUS_WORDS))
        if kind == "month_only" and status in (CaseStatus.RESOLVED, CaseStatus.ANSWERED):
            status = CaseStatus.IN_PROGRESS
        finished: dt.datetime | None = None
        if status in (CaseStatus.RESOLVED, CaseStatus.ANSWERED):
            finished = dt.datetime.combine(
                accepted.date() + dt.timedelta(days=rng.choice((0, 1, 20, 30))), dt.time()
            )
            finished = max(finished, accepted)
            if finished.date() > dt.date(2026, 11, 20):
                finished = dt.datetime.combine(accepted.date(), dt.time())
                finished = max(finished, accepted)

        shown_name: object = simple_name
        shown_phone: object = phone
        shown_desc = simple_desc
        shown_category = category
        shown_cell = cell
        shown_status = rng.choice(STATUS_WORDS[status])
        shown_channel = channel_word
        warnings: list[str] = []
        original: dict[str, str] = {}
        expected_name: str | None = simple_name
        expected_phone: str | None = phone
        reasons: tuple[str, ...] = ()
        if rng.random() < 0.15:
            shown_phone = int(phone)  # typed into a number cell

        if kind == "traditional":
            shown_desc, shown_name = trad_desc, trad_name
            if trad_desc != simple_desc:
                original["description"] = trad_desc
            if trad_name != simple_name:
                original["reporter_name"] = trad_name
        elif kind == "fullwidth":
            shown_phone = phone.translate(FULLWIDTH)
            shown_cell = cell.translate(FULLWIDTH)
        elif kind == "month_only":
            warnings.append(f"受理时间只有年月，按 {accepted.year}年{accepted.month}月1日 导入")
        elif kind == "near_grid":
            shown_cell = cell.replace("网格", "网络")
            warnings.append(f"网格「{shown_cell}」按最接近的「{cell}」导入")
        elif kind == "near_category":
            if category in CATEGORY_TYPOS:
                shown_category = CATEGORY_TYPOS[category]
                warnings.append(f"类别「{shown_category}」按最接近的「{category}」导入")
        elif kind == "far_grid":
            shown_cell = rng.choice(FAR_GRIDS)
            reasons = (f"网格「{shown_cell}」不存在；可填：{'、'.join(cells)}",)
        elif kind == "far_category":
            shown_category = rng.choice(FAR_CATEGORIES)
            reasons = (f"类别「{shown_category}」不存在；可填：{'、'.join(categories)}",)
        elif kind == "unknown_status":
            shown_status = rng.choice(UNKNOWN_STATUSES)
            finished = None
            reasons = (f"办理状态「{shown_status}」无法识别{STATUS_HINT}",)
        elif kind == "bad_phone":
            shown_phone = rng.choice(BAD_PHONES)
            reasons = (f"联系电话「{shown_phone}」格式不正确{PHONE_HINT}",)
        elif kind == "missing":
            which = rng.choice(("date", "desc", "category", "cell"))
            if which == "date":
                date_style, reasons = "none", ("缺少受理时间",)
            elif which == "desc":
                shown_desc, reasons = "", ("缺少诉求内容",)
            elif which == "category":
                shown_category, reasons = "", ("缺少类别",)
            else:
                shown_cell, reasons = "", ("缺少网格",)
        elif kind == "bad_date":
            date_style = "bad"
            reasons = ("受理时间「2026-02-30」不是存在的日期",)
        elif kind == "anonymous":
            shown_name, shown_phone = "匿名", ""
            expected_name = expected_phone = None
        elif kind == "finish_before":
            status = CaseStatus.RESOLVED
            shown_status = "已解决"
            finished = dt.datetime.combine(accepted.date() - dt.timedelta(days=3), dt.time())
            reasons = ("办结时间早于受理时间",)
        elif kind == "unknown_channel":
            shown_channel = "电子邮件"
            channel = Channel.LETTER_VISIT
            warnings.append("来源渠道「电子邮件」无法识别，按「来信来访」导入")

        key = (accepted, expected_name, expected_phone, simple_desc, category, cell)
        if not reasons and key in seen:
            serial -= 1  # the same concern by chance: draw again rather than make a duplicate
            continue
        if not reasons:
            seen.add(key)
        if date_style == "none":
            shown_date: object = None
        elif date_style == "bad":
            shown_date = "2026-02-30"
        else:
            shown_date = _render_date(accepted, date_style)
        shown_finish: object = None
        if finished is not None:
            shown_finish = _render_date(finished, rng.choice(("ymd_cn", "dot", "slash", "cell")))
        result = rng.choice(RESULTS) if finished is not None else None
        address = f"{rng.randrange(1, 30)}栋{rng.randrange(1, 4)}单元{rng.randrange(1, 7)}0{rng.randrange(1, 4)}室"
        ledger.rows.append(
            [serial, shown_date, shown_name, shown_phone, shown_desc, shown_category,
             shown_cell, shown_channel, shown_status, result, shown_finish, address]
        )  # fmt: skip
        if reasons:
            ledger.refused[number] = reasons
            continue
        ledger.expected.append(
            Expected(
                row=number,
                accepted_at=accepted,
                status=status,
                finished_at=finished,
                category=category,
                cell=cell,
                channel=channel,
                description=simple_desc,
                reporter_name=expected_name,
                reporter_phone=expected_phone,
                warnings=tuple(warnings),
                original=original,
                result=result,
            )
        )
    return ledger


def _duplicate_row(original: Expected, serial: int, rng: random.Random) -> list[object]:
    """The same concern typed again, in a different surface form (Traditional, full-width …)."""
    names = dict(NAMES)
    descs = dict(DESCRIPTIONS)
    month_only = any(w.startswith("受理时间只有年月") for w in original.warnings)
    if month_only:
        shown_date: object = _render_date(original.accepted_at, "month")
    elif original.accepted_at.time() != dt.time():
        shown_date = _render_date(original.accepted_at, rng.choice(("iso_time", "cell")))
    else:
        shown_date = _render_date(original.accepted_at, rng.choice(DATE_FORMATS))
    traditional = rng.random() < 0.5
    name = original.reporter_name
    desc = original.description
    if traditional:
        name = names.get(name or "", name)
        desc = descs.get(desc, desc)
    phone = original.reporter_phone or ""
    if rng.random() < 0.5:
        phone = phone.translate(FULLWIDTH)
    return [
        serial, shown_date, name if name is not None else "匿名", phone, desc,
        original.category, original.cell, "", "", None, None, None,
    ]  # fmt: skip
