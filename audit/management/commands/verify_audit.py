from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero naming the first altered, removed or reordered entry."

    def handle(self, *args, **options) -> None:
        result = verify_chain()
        if not result.ok:
            raise CommandError(f"Audit chain broken: {result.reason} ({result.checked} entries verified before it).")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} entries verified."))
