"""Content-Security-Policy and Permissions-Policy on pages and on the API docs,
and the schema and docs only for signed-in clients."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.services import token_issue

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def _assert_headers(response) -> dict[str, list[str]]:
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions
    return policy


def _inline_scripts(html: str) -> list[str]:
    """<script> elements with a body, and on...= handler attributes: what script-src 'self' blocks."""
    bodies = [m for m in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S) if m.strip()]
    handlers = re.findall(r"<[^>]+\son[a-z]+\s*=", html)
    return bodies + handlers


def test_pages_carry_both_policies(buyer, client_for):
    _assert_headers(Client().get("/accounts/login/"))
    page = client_for(buyer).get("/")
    assert page.status_code == 200
    _assert_headers(page)
    assert _inline_scripts(page.content.decode()) == []


def test_the_api_carries_both_policies(buyer, client_for):
    _assert_headers(client_for(buyer).get("/api/me/"))


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_need_no_inline_script(buyer, client_for, url):
    page = client_for(buyer).get(url)
    assert page.status_code == 200
    policy = _assert_headers(page)
    assert "blob:" in policy["worker-src"]  # Redoc's worker
    html = page.content.decode()
    assert _inline_scripts(html) == []
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert src.startswith("/"), src  # same origin, no CDN


def test_the_swagger_start_up_script_is_served_from_its_own_url(buyer, client_for):
    page = client_for(buyer).get("/api/docs/").content.decode()
    script_url = next(s for s in re.findall(r'<script src="([^"]+)"', page) if "script" in s)
    script = client_for(buyer).get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


# -- who may read the schema and the docs ----------------------------------------------------------


def test_anonymous_clients_get_no_schema_and_no_docs():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 401
    assert set(schema.json()) == {"detail", "code", "errors"}
    assert Client().get("/api/schema/").status_code == 401  # YAML by default
    for url in ("/api/docs/", "/api/redoc/", "/api/docs/?script="):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_signed_in_people_and_token_clients_read_the_schema(buyer, client_for):
    assert client_for(buyer).get("/api/schema/").status_code == 200
    _, key = token_issue(actor=buyer, user=buyer)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/tokens/" in response.json()["paths"]


def test_no_page_template_holds_an_inline_script_or_handler(settings):
    """Email and PDF templates are not served to browsers; every other template
    must load its scripts from static files, or the CSP blocks them."""
    offenders = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        if path.relative_to(settings.BASE_DIR / "templates").parts[0] in ("email", "pdf"):
            continue
        found = _inline_scripts(path.read_text())
        offenders += [f"{path.name}: {f[:60]}" for f in found]
    assert offenders == []
