from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        # The annual reviews' draft-edit hook.
        from reviews import signals  # noqa: F401
