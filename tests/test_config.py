"""Configuration: defaults, demo mode, placeholder secrets refused, bad DATABASE_URLs explained."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from db.engine import normalize_url, open_database


def test_embedded_default_is_demo_sqlite():
    settings = load_settings(env={})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.startswith("sqlite:///") and settings.demo_mode
    settings.validate()  # the demo cookie key is accepted in demo mode


def test_database_url_turns_demo_off_and_refuses_placeholder_key():
    settings = load_settings(env={"DATABASE_URL": "postgresql://x@127.0.0.1/test"})
    assert not settings.demo_mode
    with pytest.raises(ConfigError, match="MINQING_COOKIE_KEY"):
        settings.validate()
    placeholder = load_settings(
        env={"DATABASE_URL": "postgresql://x@h/db", "MINQING_COOKIE_KEY": "changeme"}
    )
    with pytest.raises(ConfigError, match="占位值"):
        placeholder.validate()


def test_a_real_key_passes_outside_demo_mode():
    key = "k" * 40
    settings = load_settings(env={"DATABASE_URL": "postgresql://x@h/db", "MINQING_COOKIE_KEY": key})
    settings.validate()
    assert settings.cookie_key == key


def test_secrets_are_read_when_env_is_empty():
    settings = load_settings(
        env={}, secrets={"cookie_key": "s" * 40, "database_url": "sqlite:///x.db"}
    )
    assert settings.database_url == "sqlite:///x.db" and settings.cookie_key == "s" * 40
    assert not settings.demo_mode


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MINQING_LIMIT_DAYS", "three", "应为整数"),
        ("MINQING_LIMIT_DAYS", "0", "不能小于 1"),
        ("MINQING_REFRESH_SECONDS", "1", "不能小于 2"),
    ],
)
def test_bad_numbers_are_explained(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env={name: value})


def test_limits_come_from_configuration():
    settings = load_settings(env={"MINQING_LIMIT_DAYS": "5", "MINQING_RESPONSE_DAYS": "2"})
    assert (settings.clock.standard_limit_days, settings.clock.response_limit_days) == (5, 2)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mysql://root@h/db", "mysql+pymysql://root@h/db"),
        ("mariadb://root@h/db", "mysql+pymysql://root@h/db"),
        ("sqlite:///data/x.db", "sqlite:///data/x.db"),
    ],
)
def test_bare_schemes_get_the_bundled_driver(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://scott@h/db", "不支持的数据库类型「oracle」"),
        ("not a url", "DATABASE_URL 格式不正确"),
        ("postgresql://nobody@127.0.0.1:1/none", "无法连接数据库"),
    ],
)
def test_bad_database_urls_stop_with_a_chinese_message(url, message):
    with pytest.raises(ConfigError, match=message):
        open_database(url)


def test_the_demo_cookie_key_is_refused_outside_demo_mode():
    from config import DEMO_COOKIE_KEY

    settings = load_settings(
        env={"DATABASE_URL": "sqlite:///x.db", "MINQING_COOKIE_KEY": DEMO_COOKIE_KEY}
    )
    with pytest.raises(ConfigError, match="占位值"):
        settings.validate()


def test_the_process_clock_follows_the_communitys_timezone(monkeypatch):
    """Streamlit's own "now" (an unset st.time_input) must agree with ``local_now``."""
    from config import local_now, use_local_timezone

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        use_local_timezone()
        assert time.strftime("%z") == "+0800"
        assert abs(dt.datetime.now() - local_now()) < dt.timedelta(seconds=5)
    finally:
        monkeypatch.undo()
        time.tzset()
