"""notify() is the one way to tell people something: its rows live and die
with the caller's transaction, its mail leaves only after commit, and nothing
else in the project creates notifications or sends mail."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction

from accounts import services
from accounts.models import Notification
from accounts.tasks import email_notifications
from accounts.tests.factories import UserFactory
from outbox.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def eager(settings):
    """Tasks run in-process when the outbox publishes them, as a worker would."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


class Boom(Exception):
    pass


def test_it_writes_rows_in_the_callers_transaction_and_mails_only_after_commit(
    buyer, vendor, eager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            created = services.notify(
                users=[buyer, vendor, buyer], event="credit.changed", title="Credit approved", body="EUR 1,000.00"
            )
            assert Notification.objects.filter(event="credit.changed").count() == 2  # once per person
            assert mailoutbox == []
        assert mailoutbox == []  # the use case is done, but nothing has committed yet
        assert OutboxMessage.objects.get(task="accounts.tasks.email_notifications").sent_at is None

    assert sorted(m.to[0] for m in mailoutbox) == sorted([buyer.email, vendor.email])
    message = mailoutbox[0]
    assert message.subject == "[Covenant] Credit approved"
    assert "EUR 1,000.00" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert all(n.emailed_at for n in Notification.objects.filter(pk__in=[n.pk for n in created]))
    assert OutboxMessage.objects.get(task="accounts.tasks.email_notifications").sent_at is not None


def test_it_rolls_back_with_the_callers_transaction(buyer, eager, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        services.notify(users=[buyer], event="credit.changed", title="Never happened")
        raise Boom

    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert mailoutbox == []


def test_without_email_it_only_writes_the_rows(buyer, eager, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = services.notify(users=[buyer], event="report.issued", title="Report ready", email=False)

    assert Notification.objects.get().pk == note.pk and note.emailed_at is None
    assert not OutboxMessage.objects.exists()
    assert mailoutbox == []


def test_a_failed_send_is_sent_by_the_retry_and_never_twice(buyer, mailoutbox):
    (note,) = services.notify(users=[buyer], event="incident.commented", title="Retry me", email=False)
    nobody = UserFactory(username="no-mail", email="")
    (silent,) = services.notify(users=[nobody], event="incident.commented", title="No address", email=False)

    def broken(notification):
        raise OSError("SMTP refused")

    with pytest.raises(OSError):
        services.notifications_email(ids=[note.pk], send=broken)
    note.refresh_from_db()
    assert note.emailed_at is None  # the claim rolled back with the failed send

    assert email_notifications([note.pk, silent.pk]) == 1
    assert email_notifications([note.pk, silent.pk]) == 0
    assert [m.subject for m in mailoutbox] == ["[Covenant] Retry me"]
    silent.refresh_from_db()
    assert silent.emailed_at is None  # never mailed: no address


# -- static: one door for notifications, one for mail -------------------------------------------

NOTIFICATION_WRITER = "accounts/notifications.py"
MAIL_SENDER = "core/mail.py"
MAIL_NAMES = frozenset(
    {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "EmailMessage", "EmailMultiAlternatives"}
)
CREATE_METHODS = frozenset({"create", "bulk_create", "get_or_create", "update_or_create"})
SKIPPED_DIRS = frozenset({"tests", "migrations", ".venv", "var", "static", "templates", "node_modules", "bench"})


def _is_notification_manager(node: ast.expr) -> bool:
    """``Notification.objects`` or a person's ``.notifications`` related manager."""
    if isinstance(node, ast.Attribute) and node.attr == "objects":
        return isinstance(node.value, ast.Name) and node.value.id == "Notification"
    return isinstance(node, ast.Attribute) and node.attr == "notifications"


def scan(source: str, path: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "Notification":
                found.append(f"{path}:{node.lineno}: Notification(...)")
            elif (
                isinstance(func, ast.Attribute) and func.attr in CREATE_METHODS and _is_notification_manager(func.value)
            ):
                found.append(f"{path}:{node.lineno}: notifications .{func.attr}()")
            elif isinstance(func, ast.Attribute) and func.attr == "email_user":
                found.append(f"{path}:{node.lineno}: mail: .email_user()")
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        if name in MAIL_NAMES:
            found.append(f"{path}:{getattr(node, 'lineno', '?')}: mail: {name}")
    return found


def _project_sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".") or SKIPPED_DIRS.intersection(rel.parts[:-1]) or rel.name == "conftest.py":
            continue
        yield rel.as_posix(), path.read_text(encoding="utf-8")


def test_the_scan_finds_what_it_looks_for():
    source = (
        "from django.core.mail import send_mail, EmailMessage\n"
        "Notification.objects.bulk_create([Notification(user=u)])\n"
        "user.notifications.create(title='x')\n"
        "mail.EmailMultiAlternatives('s', 'b')\n"
        "user.email_user('s', 'b')\n"
        "Notification.objects.filter(pk=1).update(read_at=None)\n"  # an update is not a creation
    )
    hits = [line.split(": ", 1)[1] for line in scan(source, "x.py")]
    assert sorted(hits) == sorted(
        [
            "mail: send_mail",
            "mail: EmailMessage",
            "Notification(...)",
            "notifications .bulk_create()",
            "notifications .create()",
            "mail: EmailMultiAlternatives",
            "mail: .email_user()",
        ]
    )


def test_only_notify_creates_notifications_and_only_core_mail_sends_mail():
    sources = dict(_project_sources())
    assert NOTIFICATION_WRITER in sources and MAIL_SENDER in sources and "reports/services/publish.py" in sources
    notification_writes, mail_sends = [], []
    for path, source in sources.items():
        for hit in scan(source, path):
            if ": mail: " in hit:
                if path != MAIL_SENDER:
                    mail_sends.append(hit)
            elif path != NOTIFICATION_WRITER:
                notification_writes.append(hit)
    assert notification_writes == [], "create notifications with accounts.notifications.notify()"
    assert mail_sends == [], "send mail with core.mail.send_templated(), from a task after commit"


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_mail_server_answers(buyer):
    from django.db import connection

    from accounts.services import notifications_email

    notification = services.notify(users=[buyer], event="incident.commented", title="t", body="b", email=False)[0]
    seen: list[bool] = []
    assert notifications_email(ids=[notification.pk], send=lambda n: seen.append(connection.in_atomic_block)) == 1
    assert seen == [False]  # the claim committed before the send; SQLite's write lock is free meanwhile
