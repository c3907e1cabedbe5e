"""Regenerate ``domain/data/cn_holidays.json`` from the maintained ``chinese_calendar`` package.

Run after upgrading chinese-calendar (it follows the State Council's yearly notices).
Years the package does not cover yet keep the entries already in the file, so a year
added by hand from the official notice survives until the package catches up.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants

TARGET = Path(__file__).resolve().parents[1] / "domain" / "data" / "cn_holidays.json"
YEARS = range(2004, 2028)
"""From the first year ``chinese_calendar`` covers: historical ledgers get real holidays."""

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
"""The package's English holiday names → the names of the State Council notice."""


def main() -> None:
    existing = json.loads(TARGET.read_text(encoding="utf-8")) if TARGET.exists() else {}
    years: dict[str, dict[str, object]] = existing.get("years", {})
    for year in YEARS:
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            continue  # not published in the package yet: keep what the file has
        years[str(year)] = {
            "source": f"chinese_calendar {chinese_calendar.__version__}",
            "holidays": sorted(d.isoformat() for d in constants.holidays if d.year == year),
            "workdays": sorted(d.isoformat() for d in constants.workdays if d.year == year),
            "names": {
                d.isoformat(): NAMES.get(name, name)
                for d, name in sorted({**constants.holidays, **constants.workdays}.items())
                if d.year == year and name
            },
        }
    payload = {
        "about": "中国法定节假日与调休上班日；由 scripts/update_holidays.py 生成",
        "years": dict(sorted(years.items())),
    }
    TARGET.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
