"""The permission matrix: every named URL of the project's pages and API,
found by walking the URL configuration, visited by every role against the
objects of its own contract and of a foreign one, and compared with the one
declared table in ``tests/permission_table.py``.

For each URL name (and each action of a ``<slug:action>`` URL):

- ``GET`` is sent for every role, on the own contract's objects and (when the
  URL names an object) on the foreign contract's;
- each unsafe method the URL serves (``POST`` for pages; ``POST``, ``PATCH``,
  ``PUT`` or ``DELETE`` as the API route declares) is sent with an empty body.

Each answer is reduced to an outcome (``ok``: 2xx or a redirect anywhere but
the login page; ``login``; or the status code) and must equal the table's.
On top of the table, for every request: never a 5xx; an unsafe request the
table does not allow writes nothing to the audit trail (the record of every
change); and nothing a party's person is shown mentions the foreign contract
or its parties. Each request runs in a savepoint that is rolled back, so one
role's successful change never changes what the next one sees.

A URL name without a row fails with a message saying which row to add.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import permission_table as table
from tests.world import (  # noqa: F401 - the fixtures
    ROLES,
    Side,
    World,
    frozen_now_fixture,
    media_root_fixture,
    world_fixture,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]

PROJECT_PACKAGES = {
    "accounts",
    "audit",
    "availability",
    "config",
    "contracts",
    "demo",
    "corrective",
    "disputes",
    "holds",
    "incidents",
    "outbox",
    "portal",
    "reports",
    "reviews",
    "simulator",
    "webhooks",
}
EXCLUDED_NAMES = {"schema", "api-docs", "api-redoc"}  # the static API docs and the schema itself
# Django's own password views, subclassed only to write through accounts.services.
EXCLUDED_NAMES |= {"password_change", "password_reset", "password_reset_confirm"}
UNSAFE = ("post", "put", "patch", "delete")
# What a person of either own party must never be shown.
FOREIGN_MARKERS = ("C-FOREIGN", "Contoso", "Globex", "foreign-cm", "foreign-am", "foreign-eng", "foreign-chair")
# Pages that may name the foreign parties: a new contract's vendor is chosen from every vendor organization.
MAY_MENTION = {"contracts:create": {"Globex"}}

# The actions behind each ``<slug:action>`` URL (each is its own row).
ACTIONS: dict[str, tuple[str, ...]] = {
    "contracts:routine_item": ("done", "evidence", "waive", "edit"),
    "contracts:routine_feedback": ("respond", "close"),
    "incidents:action": (
        "acknowledge", "propose_workaround", "accept_workaround", "reject_workaround", "resolve", "confirm",
        "reopen", "pause", "resume", "change_severity", "decide_severity", "claim_exclusion", "decide_claim",
        "attribute", "comment", "attach",
    ),
    "availability:change-action": ("acknowledge", "question", "answer", "postpone", "postponement"),
    "availability:outage-action": ("claim", "decide"),
    "corrective:action": ("submit", "decide", "complete"),
    "reports:remedy-action": ("offer", "accept", "deliver", "dispute"),
    "availability:discrepancy-action": ("resolve", "accept", "dispute"),
    "disputes:credit_action": ("claim", "approve", "apply", "dispute"),
    "disputes:dispute_action": ("escalate", "resolve", "withdraw", "comment"),
    "reviews:transition": ("circulate", "freeze", "return", "close"),
}  # fmt: skip

# What ``pk`` (or ``id``) names, by URL name or its longest matching prefix.
PK_OBJECT: dict[str, str] = {
    "contracts:": "contract",
    "availability:": "contract",
    "incidents:": "incident",
    "reports:": "report",
    "disputes:credit_action": "credit",
    "disputes:dispute": "dispute",
    "disputes:discrepancy": "discrepancy",
    "reviews:": "review",
    "reviews:reminder-pdf": "reminder",
    "reviews:calendar-feed": "contract",
    "simulator:": "scenario",
    "simulator:contract": "contract",
    "organization-": "organization",
    "contracts-api:contract-": "contract",
    "contracts-api:board-": "seat",
    "contracts-api:document-": "document",
    "contracts-api:onboarding-item-": "item",
    "contracts-api:onboarding-item-evidence-file": "evidence_item",
    "contracts-api:resource-": "resource",
    "contracts-api:feedback-": "feedback",
    "incidents-api:": "incident",
    "availability-api:outage-": "outage",
    "availability-api:maintenance-window-": "window",
    "availability-api:change-notice-": "notice",
    "availability-api:monitoring-source-": "source",
    "availability-api:discrepancy-": "discrepancy",
    "reports-api:": "report",
    "reports-api:remedy-": "remedy",
    "reports:remedies": "contract",
    "reports:remedy-action": "contract",
    "corrective:": "contract",
    "corrective-api:corrective-plan-": "plan",
    "disputes-api:credit-": "credit",
    "disputes-api:dispute-": "dispute",
    "holds:": "contract",
    "holds-api:hold-release": "legal_hold",
    "reviews-api:annual-review-": "review",
    "reviews-api:review-packet-": "packet",
    "reviews-api:review-amendment-": "amendment",
    "reviews-api:renewal-reminder-": "reminder",
    "job-": "job",
    "simulator-api:scenario-": "scenario",
    "contracts-api:contact-": "contact",
    "people:invitation_": "invitation",
    "people:member_": "membership",
    "people-api:invitation-": "invitation",
    "people-api:member-": "membership",
    "sso:api": "organization",
    "webhooks:": "webhook",
    "webhooks:delivery": "delivery",
    "webhooks:redeliver": "delivery",
    "webhooks-api:webhook-endpoint-": "webhook",
    "webhooks-api:webhook-delivery-": "delivery",
    "accounts:notification_open": "notification",
}


def _pk_object(name: str) -> str | None:
    matches = [prefix for prefix in PK_OBJECT if name.startswith(prefix)]
    return PK_OBJECT[max(matches, key=len)] if matches else None


# Every other URL kwarg: how to find its value on one side of the world.
KWARGS: dict[str, Callable[[World, Side, str], Any]] = {
    "contract_pk": lambda w, s, name: s.contract.pk,
    "hold_id": lambda w, s, name: s.legal_hold.pk,
    # A person of the side's buyer organization (its first member: the contract manager).
    "user_id": lambda w, s, name: s.contract.buyer.memberships.order_by("pk").first().user_id,
    "doc_id": lambda w, s, name: s.document.pk,
    "number": lambda w, s, name: s.draft_number,
    "item_id": lambda w, s, name: (s.evidence_item if name.endswith("_file") else s.item).pk,
    "resource_id": lambda w, s, name: s.resource.pk,
    "feedback_id": lambda w, s, name: s.feedback.pk,
    "contact_id": lambda w, s, name: s.contact.pk,
    "seat_id": lambda w, s, name: s.seat.pk,
    "organization_pk": lambda w, s, name: s.contract.buyer_id,
    "template_id": lambda w, s, name: w.template.pk,
    "attachment_pk": lambda w, s, name: s.attachment.pk,
    "attachment_id": lambda w, s, name: s.attachment.pk,
    "claim_id": lambda w, s, name: s.claim.pk,
    "proposal_id": lambda w, s, name: s.severity_proposal.pk,
    "order": lambda w, s, name: 1,
    "prefix": lambda w, s, name: "00000000",  # an API token's prefix: nobody's, so 404 for every role
    "notice_pk": lambda w, s, name: s.notice.pk,
    "outage_pk": lambda w, s, name: s.outage.pk,
    "item_pk": lambda w, s, name: s.discrepancy.pk,
    "window_pk": lambda w, s, name: s.window.pk,
    "amendment_pk": lambda w, s, name: s.amendment.pk,
    "job_pk": lambda w, s, name: s.job.pk,
    "plan_pk": lambda w, s, name: s.plan.pk,
    "remedy_pk": lambda w, s, name: s.remedy.pk,
    "version": lambda w, s, name: s.packet.version,
    "seq": lambda w, s, name: w.audit_seq,
    # A calendar feed's secret is the own buyer's: on the foreign contract it must open nothing.
    "token": lambda w, s, name: w.own.feed_token,
    # A single sign-on callback for a provider nobody configured: 404 for every role.
    "provider_id": lambda w, s, name: "org-nobody",
}
GLOBAL_KWARGS = {"template_id", "seq"}  # the same object whatever the contract
# Query strings a URL needs to show anything (the two SLA versions to compare).
QUERY: dict[str, Callable[[Side], str]] = {
    "contracts:diff": lambda s: f"?a=1&b={s.draft_number}",
    "contracts-api:sla-version-diff": lambda s: f"?a=1&b={s.draft_number}",
}


@dataclass(frozen=True)
class Url:
    name: str
    kwargs: tuple[str, ...]
    unsafe: tuple[str, ...]

    @property
    def names_an_object(self) -> bool:
        return any(k not in GLOBAL_KWARGS and k != "action" for k in self.kwargs)

    def variants(self) -> tuple[str, ...]:
        return ACTIONS.get(self.name, ("",)) if "action" in self.kwargs else ("",)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, Any, Any]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(p for p in (namespace, pattern.namespace) if p) if pattern.namespace else namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), prefix, pattern


def project_urls() -> dict[str, Url]:
    """Every named URL pattern whose view belongs to the project (not the
    admin, Django's auth views, DRF's API root or the schema and its docs)."""
    urls: dict[str, Url] = {}
    for name, _prefix, pattern in _walk(get_resolver()):
        callback = pattern.callback
        owner = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
        if (
            name in urls
            or name in EXCLUDED_NAMES
            or name.startswith("admin:")
            or owner.__module__.split(".")[0] not in PROJECT_PACKAGES
        ):
            continue
        kwargs = tuple(pattern.pattern.converters) or tuple(pattern.pattern.regex.groupindex)
        if "format" in kwargs:
            continue  # DRF's format-suffix twin of a route
        actions = getattr(callback, "actions", None)
        if actions is not None:
            unsafe = tuple(m for m in UNSAFE if m in actions)
        elif getattr(callback, "cls", None) is not None:
            unsafe = tuple(m for m in UNSAFE if hasattr(callback.cls, m))
        else:
            unsafe = ("post",)
        urls[name] = Url(name, kwargs, unsafe)
    return urls


URLS = project_urls()


def url_for(world: World, url: Url, side: Side, variant: str) -> str:
    values: dict[str, Any] = {}
    for kwarg in url.kwargs:
        if kwarg == "action":
            assert variant, f"{url.name}: say in ACTIONS which actions its `<slug:action>` takes"
            values[kwarg] = variant
        elif kwarg in ("pk", "id"):
            what = _pk_object(url.name)
            assert what, f"{url.name}: say in PK_OBJECT what its `{kwarg}` names"
            if what == "organization":
                values[kwarg] = side.contract.buyer_id
            else:
                values[kwarg] = getattr(side, what).pk
        else:
            assert kwarg in KWARGS, f"{url.name}: say in KWARGS how to find its `{kwarg}`"
            values[kwarg] = KWARGS[kwarg](world, side, url.name)
    query = QUERY[url.name](side) if url.name in QUERY else ""
    return reverse(url.name, kwargs=values) + query


def outcome(response: Any, written: int = 0) -> str:
    """``login``, ``ok`` (``done`` when the request wrote to the audit trail) or the status code."""
    code = response.status_code
    if 300 <= code < 400:
        path = urlparse(response.get("Location", "")).path
        if path in (reverse("login"), reverse("admin:login")):
            return table.LOGIN
    elif not 200 <= code < 300:
        return str(code)
    return table.DONE if written else table.OK


def body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return ""
    kind = response.get("Content-Type", "")
    if not any(t in kind for t in ("text/", "json", "calendar", "csv")):
        return ""
    return response.content.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, Client]:
    out = {"anon": Client(raise_request_exception=False)}
    for role in ROLES:
        if role != "anon":
            client = Client(raise_request_exception=False)
            client.force_login(world.user(role), backend="django.contrib.auth.backends.ModelBackend")
            out[role] = client
    return out


@pytest.fixture(autouse=True)
def _media(settings: Any, media_root: Any) -> None:  # overrides the conftest's per-test folder
    settings.MEDIA_ROOT = media_root


def _send(client: Client, method: str, path: str) -> tuple[Any, int]:
    """The response and the audit entries the request wrote; rolled back."""
    from audit.models import AuditEntry

    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = getattr(client, method)(path)
        written = AuditEntry.objects.count() - before
        transaction.set_rollback(True)
    return response, written


def _row_hint(key: str, observed: dict[str, str]) -> str:
    cells = " ".join(f"{observed[r]:<6}" for r in ROLES).rstrip()
    return f'    "{key}": row("{cells}"),'


@pytest.mark.parametrize("name", sorted(URLS))
def test_every_role_gets_the_declared_outcome(name: str, world: World, clients: dict[str, Client]) -> None:
    url = URLS[name]
    problems: list[str] = []
    missing: list[str] = []
    requests = [("get", url.variants()[0])] + [(m, v) for m in url.unsafe for v in url.variants()]
    for method, variant in requests:
        key = table.key(method, name, variant)
        expected_own = table.TABLE.get(key)
        sides = [("own", world.own)] + ([("foreign", world.foreign)] if url.names_an_object else [])
        observed: dict[str, str] = {}
        for ownership, side in sides:
            path = url_for(world, url, side, variant)
            for role in ROLES:
                response, written = _send(clients[role], method, path)
                got = outcome(response, written)
                where = f"{method.upper()} {path} as {role} ({ownership})"
                if ownership == "own":
                    observed[role] = got
                if response.status_code >= 500:
                    problems.append(f"{where}: server error {response.status_code}")
                if written and got != table.DONE:
                    problems.append(f"{where}: answered {got} but wrote {written} audit entries")
                if expected_own is None:
                    continue
                wanted = (
                    table.expected_foreign(key, role, expected_own[role])
                    if ownership == "foreign"
                    else {expected_own[role]}
                )
                if got not in wanted:
                    problems.append(f"{where}: expected {' or '.join(sorted(wanted))}, got {got}")
                if role not in ("staff", "anon") and method == "get":
                    text = body_text(response)
                    allowed = MAY_MENTION.get(name, set())
                    leaked = [m for m in FOREIGN_MARKERS if m in text and m not in allowed]
                    if leaked:
                        problems.append(f"{where}: shows the foreign contract ({', '.join(leaked)})")
        if expected_own is None:
            missing.append(_row_hint(key, observed))
    message = []
    if missing:
        message.append(
            f"{name} has no row in tests/permission_table.py. Add (after checking each outcome is what the "
            "role may do; the observed outcomes are filled in):\n" + "\n".join(missing)
        )
    if problems:
        message.append(f"{name}:\n" + "\n".join(problems))
    assert not message, "\n".join(message)


def test_the_table_has_no_row_for_a_url_that_is_gone() -> None:
    known = {
        table.key(m, name, v)
        for name, url in URLS.items()
        for m, v in [("get", url.variants()[0])] + [(m, v) for m in url.unsafe for v in url.variants()]
    }
    stale = sorted(set(table.TABLE) - known)
    assert not stale, f"Rows for URLs that no longer exist (remove them): {stale}"


def test_the_matrix_covers_the_whole_project() -> None:
    """The walk finds the pages and the API of every app (a broken walk would pass vacuously)."""
    namespaces = {name.split(":")[0] for name in URLS if ":" in name}
    assert {
        "contracts",
        "incidents",
        "availability",
        "reports",
        "disputes",
        "reviews",
        "accounts",
        "audit",
    } <= namespaces
    assert {"contracts-api", "incidents-api", "availability-api", "reports-api", "disputes-api", "reviews-api"} <= (
        namespaces
    )
    assert "home" in URLS and "me-list" in URLS
    assert not any(name.startswith("admin:") or name in ("login", "logout", "schema") for name in URLS)


# ------------------------------------------------------------------------------------------------------------
# Lists: filters, search and ordering never reach the foreign contract
# ------------------------------------------------------------------------------------------------------------

PARTIES = ("buyer_cm", "buyer_ops", "buyer_viewer", "vendor_am", "vendor_eng", "vendor_viewer", "board")


def _api_lists(world: World) -> dict[str, list[dict[str, Any]]]:
    """Each API list, with the queries that name the foreign contract, its parties or its text."""
    f = world.foreign
    contract = {"contract": f.contract.pk}
    return {
        "/api/contracts/": [
            {"vendor": f.contract.vendor_id},
            {"buyer": f.contract.buyer_id},
            {"search": "FOREIGN"},
            {"ordering": "-reference"},
        ],
        "/api/incidents/": [contract, {"search": "Payments"}, {"ordering": "-opened_at"}],
        "/api/outages/": [contract],
        "/api/maintenance-windows/": [contract],
        "/api/change-notices/": [contract],
        "/api/reports/": [contract, {"contract_reference": "C-FOREIGN"}, {"period": "2026-10"}],
        "/api/credits/": [contract, {"period": "2026-10"}],
        "/api/disputes/": [contract, {"status": "open"}],
        "/api/reviews/": [contract],
        "/api/review-packets/": [{"review": f.review.pk}],
        "/api/review-amendments/": [{"review": f.review.pk}],
        "/api/review-comments/": [{"review": f.review.pk}],
        "/api/renewal-reminders/": [contract],
        "/api/scenarios/": [contract],
        "/api/organizations/": [{"kind": "buyer"}, {"ordering": "name"}],
        "/api/notifications/": [{}],
        "/api/contracts/{own}/audit/": [{"object_type": "contract"}, {"ordering": "seq"}, {"format": "csv"}],
        "/api/contracts/{own}/audit/export/": [{}],
    }


def _page_lists(world: World) -> dict[str, list[dict[str, Any]]]:
    f = world.foreign
    return {
        "/contracts/": [{"vendor": f.contract.vendor_id}, {"q": "FOREIGN"}, {"o": "-reference"}],
        "/incidents/": [{"contract": f.contract.pk}, {"q": "Payments"}, {"sort": "-opened_at"}],
        "/reports/": [{"contract": f.contract.pk}, {"period": "2026-10"}],
        "/ledger/": [{"contract": f.contract.pk}, {"status": "calculated"}],
        "/ledger/disputes/": [{"contract": f.contract.pk}, {"status": "open"}],
        "/reviews/": [{"contract": f.contract.pk}],
        "/reviews/renewals/": [{"contract": f.contract.pk}],
        "/simulator/": [{}],
        "/simulator/scenarios/": [{"contract": f.contract.pk}],
        "/accounts/notifications/": [{}],
        "/": [{}],
        "/contracts/{own}/audit/": [{"q": "FOREIGN"}, {"format": "csv"}],
    }


def _contract_id(row: Any) -> Any:
    value = row.get("contract") if isinstance(row, dict) else None
    return value.get("id") if isinstance(value, dict) else value


def _rows(body: Any) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return body["results"]
    return body if isinstance(body, list) else [body]


@pytest.mark.parametrize("role", PARTIES)
def test_api_lists_never_return_the_foreign_contract(role: str, world: World, clients: dict[str, Client]) -> None:
    client = clients[role]
    problems = []
    for path, queries in _api_lists(world).items():
        path = path.format(own=world.own.contract.pk)
        for query in queries:
            response = client.get(path, query)
            where = f"GET {path}?{'&'.join(f'{k}={v}' for k, v in query.items())} as {role}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            text = body_text(response)
            leaked = [m for m in FOREIGN_MARKERS if m in text]
            if leaked:
                problems.append(f"{where}: shows {leaked}")
            if "json" in response.get("Content-Type", "") and response.status_code == 200:
                for row in _rows(json.loads(text)):
                    if _contract_id(row) == world.foreign.contract.pk:
                        problems.append(f"{where}: returns a row of the foreign contract: {row.get('id')}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", PARTIES)
def test_page_lists_never_show_the_foreign_contract(role: str, world: World, clients: dict[str, Client]) -> None:
    client = clients[role]
    problems = []
    for path, queries in _page_lists(world).items():
        path = path.format(own=world.own.contract.pk)
        for query in queries:
            response = client.get(path, query)
            where = f"GET {path}?{'&'.join(f'{k}={v}' for k, v in query.items())} as {role}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            leaked = [m for m in FOREIGN_MARKERS if m in body_text(response)]
            if leaked:
                problems.append(f"{where}: shows {leaked}")
    assert not problems, "\n".join(problems)


def test_staff_do_see_the_foreign_contract_in_the_same_lists(world: World, clients: dict[str, Client]) -> None:
    """The leak checks above would pass vacuously if the queries matched nothing at all."""
    client = clients["staff"]
    f = world.foreign
    assert "C-FOREIGN" in body_text(client.get("/api/contracts/", {"search": "FOREIGN"}))
    assert "C-FOREIGN" in body_text(client.get("/api/reports/", {"contract": f.contract.pk}))
    assert "C-FOREIGN" in body_text(client.get("/api/credits/", {"contract": f.contract.pk}))
    assert "C-FOREIGN" in body_text(client.get("/contracts/", {"q": "FOREIGN"}))
    rows = client.get("/api/incidents/", {"contract": f.contract.pk}).json()["results"]
    assert [_contract_id(row) for row in rows] == [f.contract.pk]


def test_nested_routes_do_not_mix_contracts(world: World, clients: dict[str, Client]) -> None:
    """An own contract in the path with a foreign object under it (or the
    reverse) finds nothing, whatever the role: objects are looked up under
    the contract in the path."""
    o, f = world.own, world.foreign
    paths = [
        f"/api/contracts/{o.contract.pk}/documents/{f.document.pk}/",
        f"/api/contracts/{o.contract.pk}/documents/{f.document.pk}/download/",
        f"/api/contracts/{o.contract.pk}/onboarding/{f.item.pk}/",
        f"/api/contracts/{o.contract.pk}/onboarding/{f.evidence_item.pk}/evidence-file/",
        f"/api/contracts/{o.contract.pk}/resources/{f.resource.pk}/file/",
        f"/api/contracts/{o.contract.pk}/feedback/{f.feedback.pk}/",
        f"/api/incidents/{o.incident.pk}/attachments/{f.attachment.pk}/download/",
        f"/contracts/{o.contract.pk}/documents/{f.document.pk}/",
        f"/contracts/{o.contract.pk}/routine/items/{f.evidence_item.pk}/file/",
        f"/contracts/{o.contract.pk}/routine/resources/{f.resource.pk}/file/",
        f"/incidents/{o.incident.pk}/attachments/{f.attachment.pk}/",
        f"/reviews/{o.review.pk}/packets/{f.packet.version + 99}/pdf/",
        f"/availability/contracts/{f.contract.pk}/calendar/{o.feed_token}.ics",
        f"/reviews/contracts/{f.contract.pk}/calendar/{o.feed_token}.ics",
        f"/availability/contracts/{o.contract.pk}/calendar/{f.feed_token[:-1]}0.ics",
    ]
    unsafe = [
        f"/api/contracts/{o.contract.pk}/board/{f.seat.pk}/",
        f"/api/contracts/{o.contract.pk}/monitoring-sources/{f.source.pk}/revoke/",
        f"/api/incidents/{o.incident.pk}/claims/{f.claim.pk}/decide/",
        f"/availability/contracts/{o.contract.pk}/outages/{f.outage.pk}/claim/",
        f"/availability/contracts/{o.contract.pk}/changes/{f.notice.pk}/acknowledge/",
        f"/contracts/{o.contract.pk}/routine/items/{f.item.pk}/done/",
        f"/contracts/{o.contract.pk}/routine/feedback/{f.feedback.pk}/close/",
        f"/reviews/{o.review.pk}/amendments/{f.amendment.pk}/withdraw/",
    ]
    problems = []
    for role in ROLES:
        client = clients[role]
        for path in paths:
            got = outcome(client.get(path))
            if got not in ("404", table.LOGIN, "401"):
                problems.append(f"GET {path} as {role}: {got}")
        for path in unsafe:
            method = "delete" if "/board/" in path else "post"
            response, written = _send(client, method, path)
            if outcome(response) not in ("404", table.LOGIN, "401") or written:
                problems.append(f"{method.upper()} {path} as {role}: {outcome(response)}, {written} audit entries")
    assert not problems, "\n".join(problems)


def test_bodies_cannot_point_at_the_foreign_contract(world: World, clients: dict[str, Client]) -> None:
    """Creating something with the foreign contract (or its objects) in the
    body is refused as not found, never as forbidden, and writes nothing."""
    f = world.foreign
    cases = [
        ("/api/incidents/", {"contract": f.contract.pk, "title": "x", "severity": "high",
                             "environment": "production", "component": "api"}),
        ("/api/disputes/", {"contract": f.contract.pk, "subject_type": "outage", "subject_id": str(f.outage.pk),
                            "title": "x", "statement": "y"}),
        ("/api/maintenance-windows/", {"contract": f.contract.pk, "title": "x", "start": "2026-12-01T00:00:00Z",
                                       "end": "2026-12-01T01:00:00Z"}),
        ("/api/change-notices/", {"contract": f.contract.pk, "kind": "minor_release", "title": "x",
                                  "planned_at": "2027-01-01T00:00:00Z", "impact": "y"}),
        ("/api/outages/from-incident/", {"incident": f.incident.pk}),
        ("/api/reviews/", {"contract": f.contract.pk}),
        ("/api/review-amendments/", {"review": f.review.pk, "title": "x", "rationale": "y",
                                     "effective_from": "2027-01-01T00:00:00Z"}),
        ("/api/review-comments/", {"review": f.review.pk, "body": "x"}),
        ("/api/scenarios/", {"contract": f.contract.pk, "name": "x"}),
        ("/api/simulations/", {"contract": f.contract.pk}),
    ]  # fmt: skip
    problems = []
    for role in PARTIES:
        for path, body in cases:
            with transaction.atomic():
                from audit.models import AuditEntry

                before = AuditEntry.objects.count()
                response = clients[role].post(path, body, content_type="application/json")
                written = AuditEntry.objects.count() - before
                transaction.set_rollback(True)
            if response.status_code not in (400, 404) or written:
                problems.append(f"POST {path} {body} as {role}: {response.status_code}, {written} audit entries")
            leaked = [m for m in FOREIGN_MARKERS if m in body_text(response)]
            if leaked:
                problems.append(f"POST {path} as {role}: shows {leaked}")
    assert not problems, "\n".join(problems)


def test_emails_and_notifications_stay_with_their_contract(world: World) -> None:
    """What the world's services sent (renewal reminders, notifications) went
    to the contract's own people and never names the other contract."""
    from accounts.models import Notification

    own_people = {u.email for u in world.people.values() if u is not None}
    assert world.emails, "the world sends renewal reminders by email"
    for message in world.emails:
        text = f"{message.subject}\n{message.body}"
        if "C-OWN" in text:
            assert set(message.to) <= own_people, (message.subject, message.to)
            assert not any(m in text for m in FOREIGN_MARKERS), message.subject
        else:
            assert not set(message.to) & own_people, (message.subject, message.to)
    own_users = [u for u in world.people.values() if u is not None and not u.is_staff]
    notes = Notification.objects.filter(user__in=own_users)
    assert notes.exists()
    for note in notes:
        text = f"{note.title}\n{note.body}\n{note.url}"
        assert not any(m in text for m in FOREIGN_MARKERS), (note.user, note.title)
