"""Check the KPI rollups against the cases, or rebuild them: ``python -m db.check_rollups``.

python -m db.check_rollups --url sqlite:///data/minqing.db            # exit 1 on drift
python -m db.check_rollups --url sqlite:///data/minqing.db --rebuild
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from db.engine import make_engine
from db.rollups import drift, rebuild


def main(argv: Sequence[str] | None = None) -> int:
    """Print whether the rollups equal a fresh computation (exit 1 if not), or rebuild them."""
    parser = argparse.ArgumentParser(
        prog="python -m db.check_rollups", description="看板汇总表核对/重建"
    )
    parser.add_argument("--url", required=True, help="数据库，如 sqlite:///data/minqing.db")
    parser.add_argument("--rebuild", action="store_true", help="从案件表重新计算汇总表")
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    if args.rebuild:
        with engine.begin() as conn:
            rebuild(conn)
        print("汇总表已重建。")
        return 0
    with engine.connect() as conn:
        found = drift(conn)
    if not found:
        print("汇总表与案件表一致。")
        return 0
    rows = "、".join(f"{table} {len(differ)} 行" for table, differ in found.items())
    print(f"汇总表与案件表不一致：{rows}。请加 --rebuild 重新计算。")
    return 1


if __name__ == "__main__":
    sys.exit(main())
