"""Persistence: models, engine and sessions, migrations, KPI queries, demo data.

Importing the package registers the KPI rollups' write hook on every ORM session
(``db.rollups``), so no write path can forget it.
"""

from db import rollups as _rollups  # noqa: F401
from db import search_index as _search_index  # noqa: F401
