"""Settings read once from the environment (or Streamlit secrets) and validated at start-up.

Outside demo mode a missing or placeholder secret stops the app with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.deadlines import ClockRules

ROOT = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "minqing.db"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
TIMEZONE = ZoneInfo("Asia/Shanghai")
DEMO_PASSWORD = "minqing-demo"
DEMO_COOKIE_KEY = "minqing-demo-cookie-key-not-for-production"
PLACEHOLDER_COOKIE_KEYS = frozenset(
    {"", "changeme", "change-me", "secret", "minqing-demo-cookie-key", DEMO_COOKIE_KEY}
)


class ConfigError(RuntimeError):
    """Configuration that stops the app; the message is shown to the operator, in Chinese."""


def use_local_timezone() -> None:
    """Run this process on Asia/Shanghai time.

    Every time the app stores comes from ``local_now``, but Streamlit fills a widget whose value
    is missing with the *process's* "now" (``st.time_input``) or "today"; on a server clock
    set to UTC that is eight hours off, and a clerk's 受理时间 after 16:00 UTC was refused as
    "in the future". The process's clock now agrees with ``local_now``.
    """
    os.environ["TZ"] = TIMEZONE.key
    time.tzset()


def local_now() -> dt.datetime:
    """The current Asia/Shanghai wall-clock time, naive (how every time is stored)."""
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None, microsecond=0)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"环境变量 {name} 应为整数，当前为「{raw}」") from exc
    if value < minimum:
        raise ConfigError(f"环境变量 {name} 不能小于 {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"环境变量 {name} 不能大于 {maximum}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see README「配置」."""

    database_url: str = DEFAULT_DATABASE_URL
    demo_mode: bool = True
    cookie_key: str = DEMO_COOKIE_KEY
    cookie_name: str = "minqing_auth"
    cookie_expiry_days: float = 1.0
    refresh_seconds: int = 30
    rank_min_cases: int = 5
    clock: ClockRules = field(default_factory=ClockRules)
    seed_demo: bool = True
    slide_seconds: int = 15
    present_title: str = ""
    meeting_min_days: int = 7
    """会议大屏 and 首页 show the last complete month until the current one has this many days."""
    session_idle_minutes: int = 480
    """A login unused this long ends (``services.sessions``); 0 turns the idle timeout off."""

    def validate(self) -> None:
        """Refuse placeholder secrets outside demo mode."""
        if not self.demo_mode and self.cookie_key.strip().lower() in PLACEHOLDER_COOKIE_KEYS:
            raise ConfigError(
                "非演示模式下必须设置 MINQING_COOKIE_KEY（或 Streamlit secrets 中的 cookie_key），"
                "且不能使用占位值。请设置一个至少 32 位的随机字符串后重新启动。"
            )
        if not self.demo_mode and len(self.cookie_key) < 32:
            raise ConfigError("MINQING_COOKIE_KEY 太短：请使用至少 32 位的随机字符串。")


def load_settings(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> Settings:
    """Build settings from ``env`` (default: the process environment) and Streamlit secrets."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    url = env.get("DATABASE_URL") or str(secrets.get("database_url", "") or "")
    embedded = not url
    demo = _flag(env.get("MINQING_DEMO"), default=embedded)
    cookie_key = env.get("MINQING_COOKIE_KEY") or str(secrets.get("cookie_key", "") or "")
    if not cookie_key and demo:
        cookie_key = DEMO_COOKIE_KEY
    clock = ClockRules(
        standard_limit_days=_int(env, "MINQING_LIMIT_DAYS", 3, minimum=1),
        response_limit_days=_int(env, "MINQING_RESPONSE_DAYS", 1, minimum=0),
        return_limit_days=_int(env, "MINQING_RETURN_DAYS", 1, minimum=0),
        due_soon_days=_int(env, "MINQING_DUE_SOON_DAYS", 1, minimum=0),
    )
    return Settings(
        database_url=url or DEFAULT_DATABASE_URL,
        demo_mode=demo,
        cookie_key=cookie_key,
        refresh_seconds=_int(env, "MINQING_REFRESH_SECONDS", 30, minimum=2),
        rank_min_cases=_int(env, "MINQING_RANK_MIN_CASES", 5, minimum=1),
        clock=clock,
        seed_demo=_flag(env.get("MINQING_SEED_DEMO"), default=demo),
        slide_seconds=_int(env, "MINQING_SLIDE_SECONDS", 15, minimum=3),
        present_title=" ".join((env.get("MINQING_PRESENT_TITLE") or "").split()),
        # A month always has 28 days: a larger value would never show the current month.
        meeting_min_days=_int(env, "MINQING_MEETING_MIN_DAYS", 7, minimum=0, maximum=28),
        session_idle_minutes=_int(env, "MINQING_SESSION_IDLE_MINUTES", 480, minimum=0),
    )
