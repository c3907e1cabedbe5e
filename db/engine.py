"""Engines and sessions for SQLite (embedded default), PostgreSQL and MySQL/MariaDB.

``open_database`` turns a ``DATABASE_URL`` into a checked engine, or raises ``ConfigError``
with a Chinese message (unknown scheme, unreachable server) instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config import ConfigError

_DRIVERS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def normalize_url(url: str) -> str:
    """Pick the bundled driver for a bare scheme; refuse schemes the app does not support."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL 格式不正确：「{url}」。示例：{_EXAMPLES}") from exc
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ConfigError(
            f"不支持的数据库类型「{backend}」。支持 SQLite、PostgreSQL、MySQL/MariaDB。"
        )
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_DRIVERS[backend])
    return parsed.render_as_string(hide_password=False)


_EXAMPLES = (
    "sqlite:///data/minqing.db、postgresql://user:pass@host:5432/db、mysql://user:pass@host/db"
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs (SQLite: WAL, FKs, busy timeout)."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 5}
    if parsed.get_backend_name() == "mysql":
        connect_args["charset"] = "utf8mb4"  # type: ignore[assignment]
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def open_database(url: str) -> Engine:
    """A connected engine, or ``ConfigError`` saying in Chinese what is wrong."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        safe = make_url(engine.url).render_as_string(hide_password=True)
        raise ConfigError(
            f"无法连接数据库 {safe}：请检查 DATABASE_URL、数据库服务是否已启动、用户名和密码。"
            f"（{type(exc.orig).__name__}）"
        ) from exc
    except SQLAlchemyError as exc:
        raise ConfigError(f"数据库连接出错：{type(exc).__name__}") from exc
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages read them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)
