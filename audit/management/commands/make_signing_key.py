from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.signing import make_key


class Command(BaseCommand):
    help = (
        "Create a self-signed document-signing key and certificate at COVENANT_SIGNING_KEY_FILE and "
        "COVENANT_SIGNING_CERT_FILE (development and demo). Does nothing when both exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing key (old documents then fail).")

    def handle(self, *args: Any, **options: Any) -> None:
        key, cert = settings.COVENANT_SIGNING_KEY_FILE, settings.COVENANT_SIGNING_CERT_FILE
        if not key or not cert:
            raise CommandError("Set COVENANT_SIGNING_KEY_FILE and COVENANT_SIGNING_CERT_FILE first.")
        key_path, cert_path = Path(key), Path(cert)
        if key_path.exists() and cert_path.exists() and not options["force"]:
            self.stdout.write(f"Signing key exists: {key_path}")
            return
        make_key(key_path, cert_path)
        self.stdout.write(self.style.SUCCESS(f"Created {key_path} and {cert_path}"))
