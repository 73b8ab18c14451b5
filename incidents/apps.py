from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        # Celery autodiscovers only tasks.py; register the other task module.
        from incidents import tasks_availability  # noqa: F401
