import re
from datetime import timedelta

from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.utils import timezone

PASSWORD = "correct horse battery"


def _login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"login": username, "password": password})


def test_it_signs_in_and_shows_organization_and_role(buyer):
    client = Client()
    response = _login(client, "buyer", PASSWORD)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Northwind Bank" in page.content
    assert b"Contract manager" in page.content


def test_unknown_user_and_wrong_password_get_the_same_answer(buyer):
    wrong = _login(Client(), "buyer", "not the password")
    unknown = _login(Client(), "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert b"The username and/or password you specified are not correct" in wrong.content

    def normalized(response, username: bytes) -> bytes:
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content).replace(username, b"")

    assert normalized(wrong, b"buyer") == normalized(unknown, b"nobody-here")


def test_it_locks_out_after_the_configured_failures_and_the_lock_expires(buyer, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "buyer", "wrong password")
    locked = _login(client, "buyer", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    # The cool-off ends the lockout by itself.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _login(client, "buyer", PASSWORD).status_code == 302


def test_a_lockout_from_one_address_does_not_lock_the_person_out_elsewhere(buyer, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _login(attacker, "buyer", "guess")
    assert _login(attacker, "buyer", PASSWORD).status_code == 429
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), "buyer", PASSWORD).status_code == 302


def test_password_reset_sends_a_mail_and_the_link_sets_a_new_password(buyer):
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": buyer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    path = link[link.index("/accounts/") :]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "A-new-passphrase-42", "new_password2": "A-new-passphrase-42"}
    )
    assert done.status_code == 302
    buyer.refresh_from_db()
    assert buyer.check_password("A-new-passphrase-42")


def test_password_change_and_logout(buyer):
    client = Client()
    _login(client, "buyer", PASSWORD)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Another-passphrase-7", "new_password2": "Another-passphrase-7"},
    )
    assert response.status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_pages_require_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_notifications_page_lists_and_marks_read(buyer, client_for):
    from accounts.services import notify

    notify(users=[buyer], event="report.issued", title="Report ready", body="October report", email=False)
    client = client_for(buyer)
    page = client.get("/accounts/notifications/")
    assert b"Report ready" in page.content
    client.post("/accounts/notifications/read/")
    assert buyer.notifications.unread().count() == 0
