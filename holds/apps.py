from django.apps import AppConfig


class HoldsConfig(AppConfig):
    name = "holds"
    verbose_name = "Legal holds"

    def ready(self) -> None:
        # The apps that keep evidence sit below this one and cannot import it: their deleting
        # services ask core.holds, which asks us (an explicit registry, not a signal).
        from core.holds import register_hold_check
        from holds.guards import hold_labels

        register_hold_check(hold_labels)
