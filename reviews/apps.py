from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        # Celery's autodiscovery imports only reviews.tasks: register the other beat task modules (dispute
        # deadline reminders, annual reviews) and the annual reviews' draft-edit hook.
        from reviews import annual_signals, tasks_annual, tasks_disputes  # noqa: F401
