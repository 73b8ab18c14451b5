from django.apps import AppConfig


class CorrectiveConfig(AppConfig):
    name = "corrective"
    verbose_name = "Corrective-action plans"
