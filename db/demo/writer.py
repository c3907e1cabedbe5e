"""Bulk writers for the demo: ids assigned here, rows written by the fastest path per database
(SQLite ``executemany`` with SQLAlchemy's storage formats, PostgreSQL ``COPY``, Core INSERTs)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table, func, insert, select, text

from db.demo.common import CHUNK
from db.models import Base


def sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage format (always six fractional digits)."""
    if value is None:
        return None
    text_ = value.isoformat(" ")
    return text_ if value.microsecond else text_ + ".000000"


def sqlite_date(value: dt.date | None) -> str | None:
    """SQLAlchemy's SQLite DATE storage format."""
    return None if value is None else value.isoformat()


def table_of(model: type[Base]) -> Table:
    """The Core table behind a mapped class."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class BulkWriter:
    """Writes demo rows through one connection and counts them per table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.counts: Counter[str] = Counter()
        self.next_id: dict[str, int] = {}

    def ids(self, model: type[Base], n: int) -> range:
        """``n`` fresh ids for ``model``'s table, after any row already there."""
        name = model.__tablename__
        if name not in self.next_id:
            found = self.conn.execute(select(func.max(table_of(model).c.id))).scalar()
            self.next_id[name] = (found or 0) + 1
        first = self.next_id[name]
        self.next_id[name] = first + n
        return range(first, first + n)

    def write(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (dicts with the same keys) into ``model``'s table."""
        if not rows:
            return
        if self.conn.dialect.name == "sqlite":
            self._write_sqlite(model, rows)
        elif self.conn.dialect.name == "postgresql":
            self._write_postgresql(model, rows)
        else:
            for k in range(0, len(rows), CHUNK):
                self.conn.execute(insert(table_of(model)), rows[k : k + CHUNK])
        self.counts[model.__tablename__] += len(rows)

    def _write_sqlite(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        """SQLite fast path: plain DB-API ``executemany`` with SQLAlchemy's storage formats.

        Converting a million rows' datetimes through SQLAlchemy's bind processors costs more
        than the inserts themselves; the strings here are byte-identical to what it writes.
        """
        table = table_of(model)
        columns = list(rows[0])
        types = [table.c[name].type for name in columns]
        converters = [
            sqlite_datetime
            if isinstance(t, DateTime)
            else sqlite_date
            if isinstance(t, Date)
            else None
            for t in types
        ]
        plan = list(zip(columns, converters, strict=True))
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "{model.__tablename__}" ({names}) VALUES ({marks})'
        for k in range(0, len(rows), CHUNK):
            values = [
                tuple(row[c] if conv is None else conv(row[c]) for c, conv in plan)
                for row in rows[k : k + CHUNK]
            ]
            self.conn.exec_driver_sql(sql, values)

    def _write_postgresql(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        """PostgreSQL fast path: ``COPY … FROM STDIN`` on this transaction's connection.

        Ten million cases through multi-row INSERTs take hours; COPY takes minutes.
        """
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        driver = self.conn.connection.driver_connection
        sql = f'COPY "{model.__tablename__}" ({names}) FROM STDIN'
        with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([row[c] for c in columns])

    def fix_sequences(self) -> None:
        """PostgreSQL sequences do not see explicit ids: move them past the rows written."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in Base.metadata.sorted_tables:
            if table.autoincrement_column is not None and table.autoincrement_column.name == "id":
                self.conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
