"""Opening one notification (GET /accounts/notifications/<id>/open/): it is
marked read, the unread count drops by one, and the person lands on its page."""

from __future__ import annotations

import pytest

from accounts.access import unread_notifications
from accounts.models import Notification, User

pytestmark = pytest.mark.django_db


def note(user: User, *, url: str = "/incidents/", title: str = "Incident opened") -> Notification:
    return Notification.objects.create(user=user, event="incident.opened", title=title, url=url)


def unread(user: User) -> int:
    return unread_notifications(User.objects.get(pk=user.pk))  # a fresh row: the count is cached per user


def test_it_marks_read_and_follows_the_link(client_for, buyer):
    first, _ = note(buyer, url="/incidents/?q=Payments"), note(buyer)
    client = client_for(buyer)
    assert unread(buyer) == 2 and "<mark>2</mark>" in client.get("/accounts/notifications/").content.decode()

    response = client.get(f"/accounts/notifications/{first.pk}/open/")

    assert response.status_code == 302 and response["Location"] == "/incidents/?q=Payments"
    first.refresh_from_db()
    assert first.read_at is not None and unread(buyer) == 1
    assert "<mark>1</mark>" in client.get("/accounts/notifications/").content.decode()
    # Opening it again changes nothing and still follows the link.
    read_at = first.read_at
    assert client.get(f"/accounts/notifications/{first.pk}/open/")["Location"] == "/incidents/?q=Payments"
    first.refresh_from_db()
    assert first.read_at == read_at and unread(buyer) == 1


def test_the_list_links_each_title_through_the_open_route(client_for, buyer):
    linked, plain = note(buyer, title="Breach on C-1"), note(buyer, url="", title="Digest ready")
    html = client_for(buyer).get("/accounts/notifications/").content.decode()
    assert f'<a href="/accounts/notifications/{linked.pk}/open/"><strong>Breach on C-1</strong></a>' in html
    assert f"/accounts/notifications/{plain.pk}/open/" not in html and "<strong>Digest ready</strong>" in html
    assert ">Open</a>" not in html


def test_it_validates_ownership(client_for, buyer, vendor):
    theirs = note(vendor)
    assert client_for(buyer).get(f"/accounts/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_handles_missing(client_for, buyer):
    assert client_for(buyer).get("/accounts/notifications/999999/open/").status_code == 404


@pytest.mark.parametrize(
    "url", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_a_link_off_the_site_falls_back_to_the_list(client_for, buyer, url):
    away = note(buyer, url=url)
    response = client_for(buyer).get(f"/accounts/notifications/{away.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/accounts/notifications/"
    away.refresh_from_db()
    assert away.read_at is not None


def test_it_refuses_post(client_for, buyer):
    mine = note(buyer)
    assert client_for(buyer).post(f"/accounts/notifications/{mine.pk}/open/").status_code == 405
