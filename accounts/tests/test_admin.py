"""The admin is a second door: audited records are only shown there, and the
people pages save through accounts.services, so each change is audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts import services
from accounts.models import Membership, Organization, User
from audit.models import AuditEntry
from contracts.onboarding import default_template
from core.admin import ReadOnlyMixin

Role = Membership.Role

# Admins that may write, each through the services named in accounts/admin.py.
ROUTED = {"accounts.User", "accounts.Organization"}
# Left as django-axes ships them: unlocking a locked-out person is deleting their failed
# attempts, and those rows are security bookkeeping, not domain records.
EXEMPT = {"axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"}


@pytest.fixture
def admin_client(staff, client_for):
    return client_for(staff)


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def _entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("seq").values_list("verb", "actor_id", "changes"))


def test_every_admin_is_read_only_or_routed_through_services():
    seen = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        seen.add(label)
        if label in EXEMPT:
            continue
        if label in ROUTED:
            assert type(model_admin).save_model is not admin.ModelAdmin.save_model, label
            assert not model_admin.has_delete_permission(None), label
        else:
            assert isinstance(model_admin, ReadOnlyMixin), f"{label} is editable in the admin without a service"
    assert seen >= ROUTED
    assert "auth.Group" not in seen  # unused, so no door to it


# -- read-only admins --------------------------------------------------------------------------


def _audit_entry(staff):
    services.organization_create(actor=staff, name="Initech", kind=Organization.Kind.VENDOR)
    return AuditEntry.objects.get(verb="organization.created"), {"verb": "tampered", "object_repr": "x"}


def _notification(staff):
    (note,) = services.notify(users=[staff], event="report.issued", title="Hello", email=False)
    return note, {"user": staff.pk, "event": "report.issued", "title": "Changed", "body": "", "url": ""}


def _template(staff):
    return default_template(), {"name": "Renamed", "description": "", "is_default": "on"}


def _periodic_task(staff):
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    task = PeriodicTask.objects.create(name="flush", task="outbox.tasks.flush_outbox", interval=every)
    return task, {"name": "flush", "task": "outbox.tasks.flush_outbox", "enabled": "", "interval": every.pk}


@pytest.mark.parametrize("make", [_audit_entry, _notification, _template, _periodic_task])
def test_read_only_admins_show_records_but_refuse_every_change(make, staff, admin_client):
    obj, change = make(staff)
    model = type(obj)
    before = list(model.objects.values())

    assert (
        admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")).status_code
        == 200
    )
    page = admin_client.get(_url(obj))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # shown, not offered for editing

    assert admin_client.post(_url(obj), change).status_code == 403
    add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert admin_client.post(add, change).status_code == 403
    assert admin_client.post(_url(obj, "delete"), {"post": "yes"}).status_code == 403
    assert list(model.objects.values()) == before


def test_beat_actions_that_would_run_or_toggle_tasks_are_not_offered(staff, admin_client):
    task, _ = _periodic_task(staff)
    page = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert page.status_code == 200
    assert b"run_tasks" not in page.content and b"toggle_tasks" not in page.content
    admin_client.post(
        reverse("admin:django_celery_beat_periodictask_changelist"),
        {"action": "disable_tasks", "_selected_action": [task.pk]},
    )
    task.refresh_from_db()
    assert task.enabled


# -- people and organizations: routed through the services -----------------------------------


def test_adding_a_person_with_a_membership_goes_through_the_services(staff, admin_client, vendor_org):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "email": "newcomer@example.test",
            "first_name": "Nia",
            "last_name": "Okafor",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-organization": vendor_org.pk,
            "memberships-0-role": Role.SUPPORT_ENGINEER,
            "memberships-0-is_active": "on",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.check_password("a long enough passphrase 42")
    assert _entries(verb="user.created") == [
        (
            "user.created",
            staff.pk,
            {
                "username": [None, "newcomer"],
                "email": [None, "newcomer@example.test"],
                "first_name": [None, "Nia"],
                "last_name": [None, "Okafor"],
                "is_active": [None, True],
                "is_staff": [None, False],
                "is_superuser": [None, False],
            },
        )
    ]
    assert response["Location"] == _url(user)
    assert user.memberships.get().role == Role.SUPPORT_ENGINEER
    assert _entries(verb="membership.created") == [
        ("membership.created", staff.pk, {"user": [None, "newcomer"], "role": [None, Role.SUPPORT_ENGINEER]})
    ]


def _user_form(user, memberships, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(sum(1 for m in memberships if m.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, membership in enumerate(memberships):
        for key, value in membership.items():
            data[f"memberships-{i}-{key}"] = value
        data[f"memberships-{i}-user"] = user.pk
    data.update(changes)
    return data


def test_changing_a_person_and_their_memberships_writes_audit_entries(
    staff, admin_client, buyer, buyer_org, vendor_org
):
    membership = buyer.memberships.get()
    response = admin_client.post(
        _url(buyer),
        _user_form(
            buyer,
            [
                {"id": membership.pk, "organization": buyer_org.pk, "role": Role.VIEWER, "is_active": "on"},
                {"organization": vendor_org.pk, "role": Role.SUPPORT_ENGINEER},  # added inactive
            ],
            first_name="Renamed",
            is_staff="on",
        ),
    )

    assert response.status_code == 302
    buyer.refresh_from_db()
    assert (buyer.first_name, buyer.is_staff) == ("Renamed", True)
    (updated,) = _entries(verb="user.updated", object_id=str(buyer.pk))
    assert updated[1] == staff.pk
    assert set(updated[2]) == {"first_name", "is_staff"} and updated[2]["is_staff"] == [False, True]
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    added = Membership.objects.get(user=buyer, organization=vendor_org)
    assert (added.role, added.is_active) == (Role.SUPPORT_ENGINEER, False)
    assert [(verb, actor, changes) for verb, actor, changes in _entries(object_type="accounts.membership")] == [
        ("membership.updated", staff.pk, {"role": [Role.CONTRACT_MANAGER, Role.VIEWER]}),
        ("membership.created", staff.pk, {"user": [None, "buyer"], "role": [None, Role.SUPPORT_ENGINEER]}),
        ("membership.updated", staff.pk, {"is_active": [True, False]}),
    ]


def test_a_role_from_the_other_side_is_a_form_error_and_changes_nothing(staff, admin_client, buyer, buyer_org):
    membership = buyer.memberships.get()
    seq = AuditEntry.objects.count()

    response = admin_client.post(
        _url(buyer),
        _user_form(
            buyer,
            [{"id": membership.pk, "organization": buyer_org.pk, "role": Role.SUPPORT_ENGINEER, "is_active": "on"}],
            first_name="Renamed",
        ),
    )

    assert response.status_code == 200
    assert "Must be one of contract_manager, operations, viewer for a buyer organization." in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.first_name != "Renamed"
    assert Membership.objects.get(pk=membership.pk).role == Role.CONTRACT_MANAGER
    assert AuditEntry.objects.count() == seq


def test_a_password_set_in_the_admin_is_audited_without_the_password(staff, admin_client, buyer):
    response = admin_client.post(
        f"/admin/accounts/user/{buyer.pk}/password/",
        {"usable_password": "true", "password1": "another long passphrase 7", "password2": "another long passphrase 7"},
    )

    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.check_password("another long passphrase 7")
    assert _entries(verb="user.password_set") == [("user.password_set", staff.pk, {})]


def test_organizations_are_created_and_renamed_through_the_services_and_keep_their_kind(staff, admin_client):
    response = admin_client.post(
        reverse("admin:accounts_organization_add"), {"name": "Initech", "slug": "initech", "kind": "vendor"}
    )
    assert response.status_code == 302
    org = Organization.objects.get(slug="initech")

    response = admin_client.post(_url(org), {"name": "Initech Cloud", "slug": "initech-cloud", "kind": "buyer"})

    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.slug, org.kind) == ("Initech Cloud", "initech-cloud", Organization.Kind.VENDOR)
    assert _entries(object_type="accounts.organization") == [
        ("organization.created", staff.pk, {"name": [None, "Initech"], "kind": [None, "vendor"]}),
        (
            "organization.updated",
            staff.pk,
            {"name": ["Initech", "Initech Cloud"], "slug": ["initech", "initech-cloud"]},
        ),
    ]


def test_people_and_organizations_cannot_be_deleted(admin_client, buyer, buyer_org):
    assert admin_client.post(_url(buyer, "delete"), {"post": "yes"}).status_code == 403
    assert admin_client.post(_url(buyer_org, "delete"), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=buyer.pk).exists() and Organization.objects.filter(pk=buyer_org.pk).exists()
