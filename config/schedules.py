"""Periodic jobs run by Celery beat, written to the database scheduler by
`python manage.py setup_schedules` (idempotent; `make run` calls it).

Task names are strings so this module imports no app."""

SCHEDULES: list[dict] = [
    {"name": "incidents: escalation watcher", "task": "incidents.tasks.escalation_watch", "every": 60},
    # name, task, and either "every" (seconds) or "crontab" (minute hour day_of_month month_of_year day_of_week)
]
