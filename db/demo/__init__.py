"""Deterministic demo data: one 街道 with four 社区, a grid that tiles the map, households,
people, users, twelve months of cases ending today (with their event history), visits and
assistance records.

By subject: ``territory`` (map, people, households, logins), ``activity`` (visits, assistance),
``cases`` and ``lifecycle`` (cases, their life through ``domain.workflow``), ``people``
(党建联户), ``writer`` (bulk writers), ``generator`` (entry points); ``text`` holds the words.

CLI: ``python -m db.demo --url sqlite:///bench/out/cases-1m.db --cases 1000000 --no-events``.
"""

from __future__ import annotations

from db.demo.generator import (
    DEMO_CASES,
    GenerationReport,
    configured_rules,
    ensure_demo_data,
    generate,
    main,
)
from db.demo.territory import COMMUNITIES, DEMO_ACCOUNTS, SUBDISTRICT_NAME, lattice_rings

__all__ = [
    "COMMUNITIES",
    "DEMO_ACCOUNTS",
    "DEMO_CASES",
    "SUBDISTRICT_NAME",
    "GenerationReport",
    "configured_rules",
    "ensure_demo_data",
    "generate",
    "lattice_rings",
    "main",
]
