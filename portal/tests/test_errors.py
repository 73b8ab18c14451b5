"""Error responses with DEBUG off: pages in the site's layout, the API in its
one error shape (``{"detail", "code", "errors"}``)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from portal import errors


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def assert_layout(html: str) -> None:
    assert '<header class="topbar">' in html
    assert 'href="/static/css/covenant.css"' in html or "covenant.css" in html
    assert "Traceback" not in html and "Using the URLconf" not in html


def test_it_serves_the_styled_404_for_a_missing_page(client_for, buyer):
    response = client_for(buyer).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_layout(html)
    assert "<h1>Page not found</h1>" in html
    assert "<code>/no-such-page/</code>" in html
    assert response["Content-Type"].startswith("text/html")


def test_it_serves_the_styled_404_to_anonymous_visitors(db):
    response = Client().get("/contracts/999999/nothing/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_it_answers_a_missing_api_path_in_the_error_shape(client_for, buyer):
    response = client_for(buyer).get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


@pytest.mark.urls("portal.tests.crash_urls")
def test_a_crashing_page_gets_the_styled_500(client_for, buyer):
    client = client_for(buyer)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_layout(html)
    assert "Something went wrong on our side" in html
    assert "a bug" not in html
    # Rendered without a request context (whatever broke must not break the error page too).
    assert "Sign in" in html


@pytest.mark.urls("portal.tests.crash_urls")
def test_a_crashing_api_path_answers_in_the_error_shape(client_for, buyer):
    client = client_for(buyer)
    client.raise_request_exception = False
    response = client.get("/api/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error.", "code": "server_error", "errors": {}}


def test_a_refused_api_path_answers_in_the_error_shape():
    response = errors.permission_denied(RequestFactory().get("/api/contracts/1/"), PermissionDenied())
    assert response.status_code == 403
    assert json.loads(response.content) == {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
        "errors": {},
    }


def test_a_refused_page_gets_the_styled_403(client_for, buyer):
    request = RequestFactory().get("/contracts/")
    request.user = buyer
    response = errors.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    html = response.content.decode()
    assert_layout(html)
    assert "You can't open this page" in html


def test_the_urlconf_routes_every_error_to_these_handlers():
    from config import urls

    assert {urls.handler400, urls.handler403, urls.handler404, urls.handler500} == {
        "portal.errors.bad_request",
        "portal.errors.permission_denied",
        "portal.errors.not_found",
        "portal.errors.server_error",
    }
