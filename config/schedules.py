"""Periodic jobs run by Celery beat, written to the database scheduler by
`python manage.py setup_schedules` (idempotent; `make run` calls it).

Task names are strings so this module imports no app."""

SCHEDULES: list[dict] = [
    # Every few seconds: the rows the relay thread of a web or worker process could not publish (broker
    # down, process gone). outbox/services.py explains the path.
    {"name": "outbox: publish tasks held back by a broker outage", "task": "outbox.tasks.flush_outbox", "every": 5},
    # Daily: SQLite's planner statistics (nothing on PostgreSQL, whose autovacuum keeps its own).
    {
        "name": "database: refresh planner statistics",
        "task": "outbox.tasks.refresh_database_statistics",
        "crontab": "41 2 * * *",
    },
    {"name": "incidents: escalation watcher", "task": "incidents.tasks.escalation_watch", "every": 60},
    # Hourly: overdue corrective actions and late plans climb the contract's ladder (each rung once).
    {
        "name": "corrective: escalate overdue actions",
        "task": "corrective.tasks.escalate_overdue_actions",
        "every": 3600,
    },
    # Daily: expired raw payloads leave unless a legal hold, dispute, claim, review or claim window keeps them
    # (holds/retention.py; one summary audit entry per contract).
    {
        "name": "holds: purge expired monitoring payloads",
        "task": "holds.tasks.purge_expired_payloads",
        "crontab": "17 3 * * *",
    },
    # Every minute: accepted monitoring sources gone silent (one alert per silent span, counted as no data).
    {"name": "availability: silent monitoring sources", "task": "availability.tasks.watch_silent_sources", "every": 60},
    # Every 5 minutes: Statuspage sources with a URL are fetched (10 s timeout, outside any transaction).
    {"name": "availability: pull vendor status pages", "task": "availability.tasks.pull_statuspages", "every": 300},
    # Daily: discrepancies between counted sources in each open period, for both parties to reconcile before the close.
    {
        "name": "availability: reconcile sources",
        "task": "availability.tasks.reconcile_open_periods",
        "crontab": "50 4 * * *",
    },
    {
        "name": "contracts: overdue onboarding items",
        "task": "contracts.tasks.onboarding_overdue_watch",
        "crontab": "15 6 * * *",
    },
    # Hourly, so a right lapses soon after the end of its last day in its own zone (audited, idempotent).
    {
        "name": "contracts: lapse termination rights",
        "task": "contracts.tasks.lapse_termination_rights",
        "crontab": "20 * * * *",
    },
    # Hourly, so each contract's report due day starts at local midnight in its own zone (idempotent).
    {"name": "reviews: close due periods", "task": "reports.tasks.close_due_periods", "crontab": "7 * * * *"},
    # Every minute: a close whose worker died is taken up within CLOSE_TIME_LIMIT + 1 minute (reports/tasks.py).
    {"name": "reviews: reconcile period closes", "task": "reports.tasks.reconcile_period_closes", "every": 60},
    # Every 5 minutes: a decision that changed a closed period (an exclusion accepted, a late maintenance
    # record accepted) issues a new report revision that explains it (reports/revisions.py).
    {"name": "reports: reissue changed periods", "task": "reports.tasks.reissue_changed_periods", "every": 300},
    # Daily: open annual reviews COVENANT_REVIEW_LEAD_DAYS ahead; renewal reminders at each milestone (both idempotent).
    {
        "name": "reviews: open due annual reviews",
        "task": "reviews.tasks.open_due_reviews",
        "crontab": "15 5 * * *",
    },
    {
        "name": "reviews: renewal reminders",
        "task": "reviews.tasks.send_renewal_reminders",
        "crontab": "30 5 * * *",
    },
    # Daily: remind both parties' managers of dispute stage deadlines within 2 days (once per stage, idempotent).
    {
        "name": "reviews: dispute deadline reminders",
        "task": "disputes.tasks.remind_dispute_deadlines",
        "crontab": "0 6 * * *",
    },
    # Every 30 seconds: webhook deliveries whose retry has come due (webhooks/delivery.py; idempotent by claim).
    {"name": "webhooks: send due retries", "task": "webhooks.tasks.deliver_due", "every": 30},
    # Hourly: a signed checkpoint of the audit chain's head, printed in reports and packets (idempotent).
    {"name": "audit: signed checkpoint", "task": "audit.tasks.issue_checkpoint", "crontab": "0 * * * *"},
    # Daily: each person's digest of the notifications they chose to get once a day (claimed, so sent once).
    {"name": "accounts: daily notification digests", "task": "accounts.tasks.send_digests", "crontab": "0 7 * * *"},
    # name, task, and either "every" (seconds) or "crontab" (minute hour day_of_month month_of_year day_of_week)
]
