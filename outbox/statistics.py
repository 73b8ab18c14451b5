"""Planner statistics for the default SQLite database.

SQLite plans from ``sqlite_stat1``; a database that was never analysed plans
the period close's joins blind (measured: 2.3x the CPU). PostgreSQL's
autovacuum keeps its own statistics, so this does nothing there.
``analysis_limit`` bounds the work per index, so a refresh takes well under
a second even on a large file; it runs after every ``migrate`` in ``make run``
and daily from beat.
"""

from __future__ import annotations

from django.db import connection

ANALYSIS_LIMIT = 1000


def refresh() -> bool:
    """Refresh the planner statistics; ``True`` if there was anything to do."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA optimize")
    return True
