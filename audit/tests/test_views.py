from accounts import services as account_services
from accounts.models import Organization
from audit.models import AuditEntry


def _some_entries(n: int) -> None:
    start = Organization.objects.count()
    for i in range(start, start + n):
        account_services.organization_create(actor="system:test", name=f"Org {i}", kind=Organization.Kind.VENDOR)


def test_staff_lists_filters_and_exports_the_log(staff, client_for):
    _some_entries(3)
    client = client_for(staff)
    page = client.get("/audit/", {"verb": "organization."})
    assert page.status_code == 200
    assert b"Org 2" in page.content
    csv = client.get("/audit/", {"format": "csv"})
    body = b"".join(csv.streaming_content).decode()
    assert body.splitlines()[0].startswith("seq,at,actor")
    assert len(body.splitlines()) == 1 + AuditEntry.objects.count()


def test_non_staff_cannot_read_the_whole_log(buyer, client_for):
    response = client_for(buyer).get("/audit/")
    assert response.status_code == 302  # to the admin login: the whole trail is staff-only


def test_audit_list_query_count_does_not_grow(staff, client_for, count_queries):
    client = client_for(staff)
    _some_entries(2)
    small = count_queries(lambda: client.get("/audit/"))
    _some_entries(30)
    assert count_queries(lambda: client.get("/audit/")) == small
    assert count_queries(lambda: client.get("/api/audit/")) == count_queries(
        lambda: client.get("/api/audit/?page_size=5")
    )


def test_api_is_staff_only_and_filterable(staff, buyer, client_for):
    _some_entries(2)
    assert client_for(buyer).get("/api/audit/").status_code == 403
    data = client_for(staff).get("/api/audit/", {"verb": "organization.created"}).json()
    assert data["count"] == AuditEntry.objects.filter(verb="organization.created").count()
    assert {"seq", "hash", "prev_hash", "changes"} <= set(data["results"][0])


def test_the_admin_cannot_change_or_delete_entries(staff, client_for):
    _some_entries(1)
    entry = AuditEntry.objects.get()
    client = client_for(staff)
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
