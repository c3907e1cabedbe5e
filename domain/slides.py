"""会议大屏: the slide order and the slide engine (which slide shows when); time is a parameter.

A ``SlideShow`` remembers one anchor: the slide shown at ``since``. While it runs, the slide at
``now`` is the anchor plus one slide per full ``interval`` elapsed, wrapping round. Going on,
going back, pausing and resuming all re-anchor at ``now``, so the chosen slide always gets a
full interval before the show moves on by itself.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from enum import StrEnum


class SlideKind(StrEnum):
    """One slide of the projector deck; the enum order is the slide order."""

    HEADLINE = "headline"
    MAP = "map"
    TREND = "trend"
    RANKING = "ranking"
    LEVELS = "levels"
    NOTICES = "notices"

    @property
    def heading(self) -> str:
        """The slide's Chinese heading."""
        return SLIDE_TITLES[self]


SLIDE_TITLES: dict[SlideKind, str] = {
    SlideKind.HEADLINE: "核心指标",
    SlideKind.MAP: "网格地图：在办民情",
    SlideKind.TREND: "月度趋势",
    SlideKind.RANKING: "网格解决率排名",
    SlideKind.LEVELS: "化解层级",
    SlideKind.NOTICES: "办结公示",
}

SLIDE_ORDER: tuple[SlideKind, ...] = tuple(SlideKind)
"""The deck, in the order it is shown (and printed in the handout)."""


@dataclass(frozen=True)
class SlideShow:
    """The state of a running (or paused) deck of ``count`` slides changing every ``interval`` s."""

    count: int
    interval: float
    index: int
    since: dt.datetime
    paused: bool = False

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a slide show needs at least one slide")
        if self.interval <= 0:
            raise ValueError("the slide interval must be positive")
        if not 0 <= self.index < self.count:
            raise ValueError(f"slide index {self.index} outside 0..{self.count - 1}")

    @classmethod
    def start(cls, *, count: int, interval: float, now: dt.datetime) -> SlideShow:
        """A show that begins with the first slide at ``now``."""
        return cls(count=count, interval=interval, index=0, since=now)

    def _elapsed(self, now: dt.datetime) -> float:
        """Seconds since the anchor (a clock that went backwards counts as none)."""
        return max(0.0, (now - self.since).total_seconds())

    def current(self, now: dt.datetime) -> int:
        """The index of the slide on screen at ``now``."""
        if self.paused:
            return self.index
        steps = math.floor(self._elapsed(now) / self.interval)
        return (self.index + steps) % self.count

    def seconds_left(self, now: dt.datetime) -> float:
        """Seconds until the show moves on by itself (the full interval while paused)."""
        if self.paused:
            return self.interval
        return self.interval - math.fmod(self._elapsed(now), self.interval)

    def go_to(self, index: int, now: dt.datetime) -> SlideShow:
        """Show slide ``index`` (wrapping round) from ``now``, keeping the pause state."""
        return replace(self, index=index % self.count, since=now)

    def next(self, now: dt.datetime) -> SlideShow:
        """Go on to the slide after the one on screen at ``now``."""
        return self.go_to(self.current(now) + 1, now)

    def previous(self, now: dt.datetime) -> SlideShow:
        """Go back to the slide before the one on screen at ``now``."""
        return self.go_to(self.current(now) - 1, now)

    def pause(self, now: dt.datetime) -> SlideShow:
        """Hold the slide on screen at ``now``."""
        if self.paused:
            return self
        return replace(self, index=self.current(now), since=now, paused=True)

    def resume(self, now: dt.datetime) -> SlideShow:
        """Run on from the held slide, which gets a full interval from ``now``."""
        if not self.paused:
            return self
        return replace(self, since=now, paused=False)

    def toggle(self, now: dt.datetime) -> SlideShow:
        """Pause a running show, resume a paused one."""
        return self.resume(now) if self.paused else self.pause(now)


def tick_seconds(interval: float) -> float:
    """How often the page re-checks the clock: often enough that a slide overstays < 1 s."""
    return max(0.5, min(1.0, interval / 4))


def deck_title(configured: str, fallback: str, today: dt.date) -> str:
    """The title bar: the configured title (community, meeting) or ``fallback``, and the date."""
    name = " ".join(configured.split()) or fallback
    return f"{name} · {today.year}年{today.month}月{today.day}日"
