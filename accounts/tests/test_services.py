import pytest
from django.core import mail

from accounts import services
from accounts.models import Membership, Notification, Organization
from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from core.errors import InvalidInput


def test_membership_role_must_fit_the_organization_kind(buyer_org):
    user = UserFactory()
    with pytest.raises(InvalidInput) as exc:
        services.membership_add(
            actor="system:test", organization=buyer_org, user=user, role=Membership.Role.SUPPORT_ENGINEER
        )
    assert "role" in exc.value.errors
    assert not Membership.objects.filter(user=user).exists()


def test_membership_changes_are_audited(buyer_org):
    user = UserFactory()
    services.membership_add(actor="system:test", organization=buyer_org, user=user, role=Membership.Role.VIEWER)
    services.membership_add(actor="system:test", organization=buyer_org, user=user, role=Membership.Role.OPERATIONS)
    verbs = list(
        AuditEntry.objects.filter(object_type="accounts.membership").order_by("seq").values_list("verb", flat=True)
    )
    assert verbs == ["membership.created", "membership.updated"]
    assert AuditEntry.objects.filter(verb="membership.updated").get().changes == {"role": ["viewer", "operations"]}


def test_organization_kind_is_checked(db):
    with pytest.raises(InvalidInput):
        services.organization_create(actor="system:test", name="X", kind="reseller")
    assert not Organization.objects.exists()


def test_notify_emails_once_after_commit(buyer, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = services.notify(
                users=[buyer, buyer], event="credit.changed", title="Credit approved", body="Body"
            )
        assert len(created) == 1
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject == "[Covenant] Credit approved"
        from accounts.tasks import email_notifications

        email_notifications([created[0].pk])  # a repeated task sends nothing twice
        assert len(mail.outbox) == 1
        assert Notification.objects.get().emailed_at is not None
    finally:
        app.conf.task_always_eager = False
