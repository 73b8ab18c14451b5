import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Redis URLs use the transport that survives a broker restart under a running
# worker (outbox/broker.py explains the kombu bug it works around).
TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = "outbox.broker:Transport"

app = Celery("covenant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
