"""The ledger's text index (db.search_index): the same results as a plain LIKE, kept exact.

Issue 17 item 3: a search narrowed by the gram index must return exactly what the plain
``LIKE`` scan returns — two-character words, one character, phones, case numbers, 繁体 and
full-width input — on SQLite, PostgreSQL and MariaDB, and stay exact through intake, edits,
bulk imports (queued, then caught up) and a rebuild.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from db import rollups, search_index
from db.models import Case, CaseGram, CaseGramPending
from db.queries.ledger import LedgerFilters, ledger_page, matching_ids
from domain.deadlines import ClockRules
from tests.factories import NOW, make_case, make_world
from tests.helpers.cases import actor_of

RULES = ClockRules()

DESCRIPTIONS = [
    "小区东门路灯不亮，晚上出行不便",
    "噪音扰民",
    "文盛路12号楼道堆放杂物",
    "文盛路112号化粪池堵塞",
    "居民王伟反映：楼上漏水",
    "王伟强家门口路灯坏了",
    "請回電13912345678，路燈不亮",  # 繁体, as a ledger may hold it
    "垃圾",
    "路",
    "ABC物业 wifi 信号差 5G",
    "（空）",
]
TERMS = [
    "路灯", "灯", "王伟", "王伟强", "文盛路12号", "12号", "112", "5678", "13912345678",
    "139 1234 5678", "路燈", "１２号", "噪音扰民", "垃圾", "路", "漏水", "abc", "wifi", "5g",
    "MQ-T-000003", "mq-t", "000003", "T-00", "，", "不存在的词", "12", "号", "空",
]  # fmt: skip


def _make_cases(session, world) -> list[Case]:
    made = []
    for index, text in enumerate(DESCRIPTIONS):
        made.append(
            make_case(
                session,
                world,
                description=text,
                reporter_name=["王伟", "李四", None, "Wang Wei"][index % 4],
                reporter_phone=["13912345678", "138-0000-1212", None][index % 3],
            )
        )
    return made


def _ids_with_index(session, actor, term: str) -> list[int]:
    rows, _total = ledger_page(
        session, filters=LedgerFilters(text=term), now=NOW, actor=actor, rules=RULES, page_size=500
    )
    return sorted(
        session.scalars(select(Case.id).where(Case.case_no.in_([r.case_no for r in rows])))
    )


def _ids_by_plain_like(session, actor, term: str) -> list[int]:
    filters = LedgerFilters(text=term)
    return matching_ids(
        session, filters=filters, now=NOW, actor=actor, rules=RULES, text_index=False
    )


def _assert_equal_to_like(session, world, terms=TERMS) -> None:
    for role in ("staff", "viewer"):  # the viewer may not search names and phones
        actor = actor_of(world, role)
        for term in terms:
            assert _ids_with_index(session, actor, term) == _ids_by_plain_like(
                session, actor, term
            ), f"{role} searching {term!r}"


def test_search_equals_plain_like_on_every_backend(session) -> None:
    world = make_world(session)
    _make_cases(session, world)
    staff = actor_of(world, "staff")
    # The fixture is not vacuous: the words are found, and the index does narrow.
    assert len(_ids_with_index(session, staff, "路灯")) == 2
    assert len(_ids_with_index(session, staff, "路燈")) == 3  # 繁体 input: as typed and in 简体
    assert len(_ids_with_index(session, staff, "王伟")) >= 2
    assert (
        _ids_with_index(session, staff, "文盛路12号") == _ids_with_index(session, staff, "12号")[:1]
    )
    assert search_index.candidates(session, ["路灯"]) is not None
    assert search_index.candidates(session, ["12"]) is None  # two digits: the plain scan
    _assert_equal_to_like(session, world)
    assert search_index.missing(session.connection()) == []


def test_edits_swap_the_grams(session) -> None:
    world = make_world(session)
    case = make_case(session, world, description="路灯不亮", reporter_name="赵六")
    staff = actor_of(world, "staff")
    assert _ids_with_index(session, staff, "路灯") == [case.id]
    session.expire_all()  # an attribute set without loading it first has no old value
    case = session.get(Case, case.id)
    session.expire(case)
    case.description = "井盖缺失"
    session.commit()
    assert _ids_with_index(session, staff, "路灯") == []
    assert _ids_with_index(session, staff, "井盖") == [case.id]
    grams = set(session.scalars(select(CaseGram.gram).where(CaseGram.case_id == case.id)))
    assert grams == search_index.grams_of("井盖缺失", "赵六", case.reporter_phone, case.case_no)
    assert search_index.missing(session.connection()) == []


def test_queued_cases_are_found_before_and_after_catch_up(session) -> None:
    world = make_world(session)
    case = make_case(session, world, description="化粪池满溢")
    conn = session.connection()
    conn.execute(CaseGram.__table__.delete().where(CaseGram.case_id == case.id))
    search_index.queue_cases(conn, [case.id])  # as a bulk import leaves it
    staff = actor_of(world, "staff")
    assert _ids_with_index(session, staff, "粪池") == [case.id]
    assert search_index.catch_up(conn) == 1
    assert session.scalar(select(func.count()).select_from(CaseGramPending)) == 0
    assert _ids_with_index(session, staff, "粪池") == [case.id]
    assert search_index.missing(conn) == []
    session.commit()


def test_missing_finds_a_case_the_index_lost(session) -> None:
    world = make_world(session)
    case = make_case(session, world, description="电梯困人")
    conn = session.connection()
    conn.execute(CaseGram.__table__.delete().where(CaseGram.case_id == case.id))
    assert search_index.missing(conn) == [case.id]
    search_index.rebuild(conn)
    assert search_index.missing(conn) == []
    session.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_random_substrings_are_found(sqlite_engine, seed: int) -> None:
    """Any substring of any indexed text finds its case (the grams of a term ⊆ the text's)."""
    from sqlalchemy.orm import Session

    rng = random.Random(seed)
    alphabet = "路灯王伟文盛号楼漏水噪音扰民1234567890abcXYZ，。 -"
    with Session(sqlite_engine) as session:
        world = make_world(session)
        texts = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 20))) for _ in range(40)
        ]
        for text in texts:
            make_case(session, world, description=text, reporter_name=None, reporter_phone=None)
        terms = set()
        for text in texts:
            start = rng.randrange(len(text))
            terms.add(text[start : start + rng.randint(1, 6)].strip() or text)
        _assert_equal_to_like(session, world, sorted(terms))


def test_forget_cases_before_a_bulk_delete(session) -> None:
    world = make_world(session)
    keep = make_case(session, world, description="路灯不亮")
    gone = make_case(session, world, description="路灯闪烁")
    conn = session.connection()
    search_index.forget_cases(conn, [gone.id])
    rollups.forget_cases(conn, [gone.id])  # as every bulk delete does
    conn.execute(Case.__table__.delete().where(Case.id == gone.id))
    assert set(conn.scalars(select(CaseGram.case_id))) == {keep.id}
    session.commit()
