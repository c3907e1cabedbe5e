"""Persistence: models, engine and sessions, migrations, KPI queries, demo data."""
