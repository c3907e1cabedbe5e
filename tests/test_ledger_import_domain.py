"""The pure parsing layer of 台账导入: headers, dates, statuses, names, rows, fingerprints."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.ledger_import import (
    Field,
    ImportDefaults,
    NameIndex,
    ParsedRow,
    RefusedRow,
    RowError,
    default_handling_type,
    find_header_row,
    guess_mapping,
    header_field,
    mapping_problems,
    name_key,
    parse_channel,
    parse_date,
    parse_phone,
    parse_row,
    parse_rows,
    parse_status,
    to_simplified,
    unmapped_headers,
)
from domain.workflow import CaseStatus, Channel, HandlingType

TODAY = dt.date(2026, 11, 20)
CATEGORIES = NameIndex(
    {"政策咨询": 1, "矛盾纠纷": 2, "困难救助": 3, "环境卫生": 4, "民生项目": 5, "社区事务": 6},
    "类别",
)
CELLS = NameIndex({"第1网格": 11, "第2网格": 12, "T01-01": 11, "T01-02": 12}, "网格")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("受理时间", Field.ACCEPTED_AT),
        ("登记日期", Field.ACCEPTED_AT),
        ("日期", Field.ACCEPTED_AT),
        ("*受理日期（年月日）", Field.ACCEPTED_AT),
        ("反映人", Field.REPORTER_NAME),
        ("姓名", Field.REPORTER_NAME),
        ("联系电话", Field.REPORTER_PHONE),
        ("電話", Field.REPORTER_PHONE),
        ("反映人联系电话", Field.REPORTER_PHONE),
        ("诉求内容", Field.DESCRIPTION),
        ("反映問題", Field.DESCRIPTION),
        ("内容", Field.DESCRIPTION),
        ("类别", Field.CATEGORY),
        ("問題類型", Field.CATEGORY),
        ("网格", Field.GRID_CELL),
        ("片区", Field.GRID_CELL),
        ("渠道", Field.CHANNEL),
        ("來源", Field.CHANNEL),
        ("办理状态", Field.STATUS),
        ("状态", Field.STATUS),
        ("办理结果", Field.RESULT),
        ("结果", Field.RESULT),
        ("办结时间", Field.FINISHED_AT),
        ("五件制", Field.HANDLING_TYPE),
        ("序号", Field.SOURCE_NO),
        ("备 注", Field.NOTE),
        ("住址", None),
        ("", None),
        (None, None),
    ],
)
def test_header_synonyms(header: object, field: Field | None):
    assert header_field(header) == field


@pytest.mark.parametrize(
    ("raw", "expected", "month_only"),
    [
        ("2011年7月26日", dt.datetime(2011, 7, 26), False),
        ("2011.7.26", dt.datetime(2011, 7, 26), False),
        ("2011/7/26", dt.datetime(2011, 7, 26), False),
        ("2011-07-26 14:30", dt.datetime(2011, 7, 26, 14, 30), False),
        ("2011-07-26 14:30:15", dt.datetime(2011, 7, 26, 14, 30, 15), False),
        ("２０１１年７月２６日", dt.datetime(2011, 7, 26), False),
        ("20110726", dt.datetime(2011, 7, 26), False),
        ("2011-07", dt.datetime(2011, 7, 1), True),
        ("2011年7月", dt.datetime(2011, 7, 1), True),
        (40750, dt.datetime(2011, 7, 26), False),
        (40750.75, dt.datetime(2011, 7, 26, 18), False),
        ("40750", dt.datetime(2011, 7, 26), False),
        (dt.date(2011, 7, 26), dt.datetime(2011, 7, 26), False),
        (dt.datetime(2011, 7, 26, 9, 5), dt.datetime(2011, 7, 26, 9, 5), False),
    ],
)
def test_dates(raw: object, expected: dt.datetime, month_only: bool):
    assert parse_date(raw) == (parsed := parse_date(raw))
    assert (parsed.value, parsed.month_only) == (expected, month_only)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2011-02-30", "受理时间「2011-02-30」不是存在的日期"),
        ("七月下旬", "受理时间「七月下旬」不是可识别的日期"),
        (12, "受理时间「12」不是可识别的日期"),
        ("11.7.26", "受理时间「11.7.26」不是可识别的日期"),
    ],
)
def test_bad_dates(raw: object, message: str):
    with pytest.raises(RowError) as refused:
        parse_date(raw, "受理时间")
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("已解决", CaseStatus.RESOLVED),
        ("办结", CaseStatus.RESOLVED),
        ("已辦結", CaseStatus.RESOLVED),
        ("已答复", CaseStatus.ANSWERED),
        ("未办结", CaseStatus.IN_PROGRESS),
        ("处理中", CaseStatus.IN_PROGRESS),
        ("處理中", CaseStatus.IN_PROGRESS),
        ("已受理", CaseStatus.ACCEPTED),
        ("已上报", CaseStatus.ESCALATED),
        ("退回", CaseStatus.RETURNED),
        ("", None),
    ],
)
def test_status_words(word: str, status: CaseStatus | None):
    assert parse_status(word) == status


@pytest.mark.parametrize("word", ["搁置", "待定"])
def test_unknown_status_words_refuse(word: str):
    with pytest.raises(
        RowError, match=f"^办理状态「{word}」无法识别（可填：已受理、办理中、.*已回访"
    ):
        parse_status(word)


@pytest.mark.parametrize(
    ("word", "channel"),
    [
        ("民情热线", Channel.HOTLINE),
        ("12345转办", Channel.FORWARDED),
        ("微信群", Channel.CHAT_GROUP),
        ("来访", Channel.LETTER_VISIT),
        ("入户走访", Channel.HOME_VISIT),
        ("电子邮件", None),
    ],
)
def test_channel_words(word: str, channel: Channel | None):
    assert parse_channel(word) == channel


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13812345678", "13812345678"),
        (13812345678.0, "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0731-84561234", "0731-84561234"),
        ("", None),
    ],
)
def test_phones(raw: object, phone: str | None):
    assert parse_phone(raw) == phone


@pytest.mark.parametrize("raw", ["1381234567", "12812345678", "电话打不通"])
def test_bad_phones(raw: str):
    with pytest.raises(RowError, match=r"^联系电话「.+」格式不正确$"):
        parse_phone(raw)


@pytest.mark.parametrize(
    ("raw", "ident", "warning"),
    [
        ("第1网格", 11, None),
        ("第一网格", 11, None),
        ("第１网格", 11, None),
        (" 第 2 网格 ", 12, None),
        ("T01-02", 12, None),
        ("t0102", 12, None),
        ("第1网络", 11, "网格「第1网络」按最接近的「第1网格」导入"),
        ("第二綱格", 12, "网格「第二綱格」按最接近的「第2网格」导入"),
    ],
)
def test_grid_cell_names(raw: str, ident: int, warning: str | None):
    assert CELLS.resolve(raw) == (ident, warning)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "第3网格",
            "网格「第3网格」不存在（最接近的是「第2网格」，差别太大未采用）；可填：第1网格、第2网格",
        ),
        ("东区", "网格「东区」不存在；可填：第1网格、第2网格"),
    ],
)
def test_grid_cell_names_too_far(raw: str, message: str):
    with pytest.raises(RowError) as refused:
        CELLS.resolve(raw)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("raw", "ident", "warning"),
    [
        ("環境衛生", 4, None),
        ("政策諮詢", 1, None),
        ("环境卫牛", 4, "类别「环境卫牛」按最接近的「环境卫生」导入"),
        ("社区事物", 6, "类别「社区事物」按最接近的「社区事务」导入"),
    ],
)
def test_category_names(raw: str, ident: int, warning: str | None):
    assert CATEGORIES.resolve(raw) == (ident, warning)


def test_same_name_in_two_communities_needs_the_code():
    index = NameIndex([("A-01", 1), ("第1网格", 1), ("B-01", 2), ("第1网格", 2)], "网格")
    assert index.resolve("B-01") == (2, None)
    with pytest.raises(RowError, match="有重名"):
        index.resolve("第1网格")
    with pytest.raises(RowError, match="有重名"):
        index.resolve("第1网络")
    assert index.canonical == {1: "A-01", 2: "B-01"}


def test_ambiguous_names_refuse():
    index = NameIndex({"第1网格": 1, "第一网格": 2}, "网格")
    with pytest.raises(RowError, match="有重名"):
        index.resolve("第1网格")


def test_traditional_to_simplified_and_keys():
    assert to_simplified("樓道裡堆放雜物，影響通行") == "楼道里堆放杂物，影响通行"
    assert to_simplified("楼道堆放杂物") == "楼道堆放杂物"
    assert name_key("第十二網格") == "第12网格"


def test_header_row_below_a_title_and_mapping_step():
    rows = [
        ["2011年民情台账", None, None, None],
        ["填报单位：测试社区", None, None, None],
        ["序号", "受理时间", "诉求内容", "住址", "類別", "网格"],
        [1, "2011.7.26", "楼道堆放杂物", "1栋", "环境卫生", "第1网格"],
    ]
    index = find_header_row(rows)
    assert index == 2
    mapping = guess_mapping(rows[index])
    assert mapping == {
        0: Field.SOURCE_NO,
        1: Field.ACCEPTED_AT,
        2: Field.DESCRIPTION,
        4: Field.CATEGORY,
        5: Field.GRID_CELL,
    }
    assert unmapped_headers(rows[index], mapping) == [(3, "住址")]
    assert mapping_problems(mapping) == []
    assert mapping_problems({0: Field.DESCRIPTION, 1: Field.DESCRIPTION}) == [
        "缺少必需的列：受理时间",
        "缺少必需的列：类别",
        "缺少必需的列：网格",
        "「诉求内容」被指定给了多列，请只保留一列",
    ]


def test_two_level_header_picks_the_lower_row():
    rows = [
        ["受理时间", "反映人", "反映人", "诉求内容", "类别", "网格"],
        ["受理时间", "姓名", "电话", "诉求内容", "类别", "网格"],
        ["2011.7.26", "张三", "13812345678", "楼道堆放杂物", "环境卫生", "第1网格"],
    ]
    assert find_header_row(rows) == 1
    assert guess_mapping(rows[1])[2] is Field.REPORTER_PHONE


def test_first_of_two_columns_for_one_field_wins():
    assert guess_mapping(["日期", "受理时间", "内容"]) == {
        0: Field.ACCEPTED_AT,
        2: Field.DESCRIPTION,
    }


def _row(**values: object) -> dict[Field, object]:
    base: dict[Field, object] = {
        Field.ACCEPTED_AT: "2026.3.2",
        Field.REPORTER_NAME: "张三",
        Field.REPORTER_PHONE: "13812345678",
        Field.DESCRIPTION: "楼道堆放杂物，影响通行",
        Field.CATEGORY: "环境卫生",
        Field.GRID_CELL: "第1网格",
    }
    base.update({Field(k): v for k, v in values.items()})
    return base


def _parse(**values: object) -> ParsedRow | RefusedRow:
    return parse_row(7, _row(**values), categories=CATEGORIES, grid_cells=CELLS, today=TODAY)


def test_a_good_row_keeps_the_original_traditional_text():
    parsed = _parse(description="樓道堆放雜物，影響通行", reporter_name="張三")
    assert isinstance(parsed, ParsedRow)
    assert parsed.description == "楼道堆放杂物，影响通行"
    assert parsed.reporter_name == "张三"
    assert parsed.original == {"description": "樓道堆放雜物，影響通行", "reporter_name": "張三"}
    assert (parsed.category_id, parsed.grid_cell_id) == (4, 11)
    assert parsed.status is CaseStatus.ACCEPTED
    assert parsed.channel is Channel.LETTER_VISIT
    assert parsed.handling_type is HandlingType.PROMISED
    # Simplified and Traditional versions of one concern are the same concern
    assert parsed.fingerprint == _parse().fingerprint  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("values", "reasons"),
    [
        ({"accepted_at": ""}, ("缺少受理时间",)),
        ({"description": None}, ("缺少诉求内容",)),
        ({"description": "漏"}, ("诉求内容太短（至少 2 个字）",)),
        ({"category": ""}, ("缺少类别",)),
        ({"grid_cell": "东区"}, ("网格「东区」不存在；可填：第1网格、第2网格",)),
        (
            {"reporter_phone": "138123"},
            (
                "联系电话「138123」格式不正确（手机 11 位，如 13812345678 或 138-1234-5678；座机如 0731-84561234）",
            ),
        ),
        (
            {"status": "搁置"},
            (
                "办理状态「搁置」无法识别（可填：已受理、办理中、待补材料、已上报、待街道签收、街道办理中、已办结、已答复、已反馈、已回访、归档、已退回，或解决、在办等常用写法）",
            ),
        ),
        ({"accepted_at": "2027-01-05"}, ("受理时间 2027-01-05 晚于今天",)),
        (
            {"status": "已解决", "finished_at": "2026.3.1"},
            ("办结时间早于受理时间",),
        ),
        (
            {"accepted_at": "", "description": "", "category": "城管"},
            (
                "缺少受理时间",
                "缺少诉求内容",
                "类别「城管」不存在；可填：政策咨询、矛盾纠纷、困难救助、环境卫生、民生项目、社区事务",
            ),
        ),
    ],
)
def test_refused_rows_carry_every_reason(values: dict[str, object], reasons: tuple[str, ...]):
    refused = _parse(**values)
    assert isinstance(refused, RefusedRow)
    assert (refused.row_number, refused.reasons) == (7, reasons)


@pytest.mark.parametrize(
    ("values", "status", "finished", "handling", "warnings"),
    [
        ({"status": "已解决", "finished_at": "2026.3.2"}, "resolved", dt.datetime(2026, 3, 2), "immediate", ()),
        ({"status": "已答复", "finished_at": "2026.3.5"}, "answered", dt.datetime(2026, 3, 5), "promised", ()),
        ({"finished_at": "2026.3.5"}, "resolved", dt.datetime(2026, 3, 5), "promised", ()),
        ({"status": "已上报"}, "escalated", None, "escalate", ()),
        ({"status": "退回"}, "returned", None, "return", ()),
        ({"status": "处理中", "finished_at": "2026.3.5"}, "in_progress", None, "promised", ("状态为「办理中」，已忽略办结时间",)),
        ({"status": "办结", "handling_type": "承诺件"}, "resolved", None, "promised", ()),
        ({"handling_type": "即办"}, "accepted", None, "immediate", ()),
        ({"handling_type": "特办件"}, "accepted", None, "promised", ("五件制「特办件」无法识别，按默认规则确定",)),
        ({"accepted_at": "2026-03"}, "accepted", None, "promised", ("受理时间只有年月，按 2026年3月1日 导入",)),
        ({"channel": "电子邮件"}, "accepted", None, "promised", ("来源渠道「电子邮件」无法识别，按「来信来访」导入",)),
    ],
)  # fmt: skip
def test_statuses_finish_times_and_handling_types(
    values: dict[str, object],
    status: str,
    finished: dt.datetime | None,
    handling: str,
    warnings: tuple[str, ...],
):
    parsed = _parse(**values)
    assert isinstance(parsed, ParsedRow), parsed
    assert (parsed.status, parsed.finished_at, parsed.handling_type, parsed.warnings) == (
        status,
        finished,
        handling,
        warnings,
    )


def test_anonymous_rows():
    parsed = _parse(reporter_name="匿名", reporter_phone="")
    assert isinstance(parsed, ParsedRow)
    assert (parsed.reporter_name, parsed.reporter_phone, parsed.is_anonymous) == (None, None, True)
    named = _parse(reporter_phone="")
    assert isinstance(named, ParsedRow) and not named.is_anonymous


def test_default_channel_is_configurable():
    parsed = parse_row(
        3,
        _row(),
        categories=CATEGORIES,
        grid_cells=CELLS,
        today=TODAY,
        defaults=ImportDefaults(channel=Channel.FORWARDED),
    )
    assert isinstance(parsed, ParsedRow) and parsed.channel is Channel.FORWARDED


def test_default_handling_type_rule():
    day = dt.datetime(2026, 3, 2, 9)
    assert default_handling_type(CaseStatus.RESOLVED, day, day.replace(hour=17)) is (
        HandlingType.IMMEDIATE
    )
    assert default_handling_type(CaseStatus.RESOLVED, day, None) is HandlingType.PROMISED


def test_parse_rows_skips_blanks_and_refuses_repeats():
    header = ["序号", "受理时间", "反映人", "联系电话", "诉求内容", "类别", "网格"]
    mapping = guess_mapping(header)
    row = [1, "2026.3.2", "张三", "13812345678", "楼道堆放杂物，影响通行", "环境卫生", "第1网格"]
    rows = [
        (4, row),
        (5, [None] * 7),
        (6, [2, None, "", None, "  ", None, None]),
        (7, [3, "2026年3月2日", "張三", "１３８１２３４５６７８", "樓道堆放雜物，影響通行", "環境衛生", "第一网格"]),
        (8, [4, "2026.3.3", "李四", "13912345678", "路灯不亮已经一周", "民生项目", "第2网格"]),
    ]  # fmt: skip
    result = parse_rows(rows, mapping, categories=CATEGORIES, grid_cells=CELLS, today=TODAY)
    assert [r.row_number for r in result.good] == [4, 8]
    assert [(r.row_number, r.reasons) for r in result.refused] == [(7, ("与第 4 行重复",))]
    assert result.blank_rows == [5, 6]
    assert result.total == 3
