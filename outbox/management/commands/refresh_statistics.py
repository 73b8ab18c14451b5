from typing import Any

from django.core.management.base import BaseCommand

from outbox import statistics


class Command(BaseCommand):
    help = "Refresh SQLite's planner statistics (ANALYZE with a bound); nothing on PostgreSQL."

    def handle(self, *args: Any, **options: Any) -> None:
        done = statistics.refresh()
        self.stdout.write("Planner statistics refreshed." if done else "Nothing to do on this database.")
