"""会议大屏 on the 1st: the deck takes the meeting's period (db/queries/present.present_deck)."""

from __future__ import annotations

import datetime as dt

from db.queries.present import present_deck
from domain.kpis import Period
from domain.meeting import meeting_period
from domain.slides import SlideKind
from tests.factories import make_case, make_world
from tests.helpers.cases import subdistrict_actor
from ui.slide_charts import slide_subtitle


def test_on_the_first_the_deck_shows_last_month_whole(session) -> None:
    """One case a day in November, one on 1 December: the 1st's deck shows November's 30."""
    world = make_world(session)
    for day in range(1, 31):
        make_case(session, world, accepted_at=dt.datetime(2026, 11, day, 9, 0))
    make_case(session, world, accepted_at=dt.datetime(2026, 12, 1, 8, 0))
    session.commit()
    now = dt.datetime(2026, 12, 1, 9, 30)
    shown = meeting_period(now.date(), 7)
    deck = present_deck(
        session, actor=subdistrict_actor(world), now=now, min_cases=1, period=shown.period
    )
    assert deck.month == Period(dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1))
    assert deck.headline.accepted == 30
    assert deck.year == Period(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1))
    assert slide_subtitle(SlideKind.HEADLINE, deck).startswith("2026年11月（上月完整月），")
    # Without a period the deck is this month so far, as before.
    today = present_deck(session, actor=subdistrict_actor(world), now=now, min_cases=1)
    assert (today.month.start, today.headline.accepted) == (dt.datetime(2026, 12, 1), 1)
    assert slide_subtitle(SlideKind.HEADLINE, today).startswith("2026年12月（本月截至12月1日），")
