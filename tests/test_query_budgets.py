"""Every page and API endpoint costs at most ``BUDGET`` queries, and the same
number whatever the rows behind it.

The test builds the shared world (``tests/world.py``), signs in as each
persona (the buyer's contract manager, the vendor's account manager, the
board chair, staff) and crawls every same-site GET link reachable from the
dashboard, plus every API list route of the URL configuration and the detail
of its first row. It records the largest query count per route (the
per-request overhead included: sign-in, user, memberships, unread count). Then
it adds rows to the same contract (incidents, comments, outages, version comments,
disputes, credits, review comments, feedback, documents, notifications),
crawls again, and asserts for every route: within budget, and unchanged.

Routes still over budget while their owners fix them sit in ``PENDING`` with
their count today: the test holds them to it, so they can only shrink.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.world import (  # noqa: F401 - the fixtures
    NOW,
    PDF,
    World,
    frozen_now_fixture,
    media_root_fixture,
    world_fixture,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]

BUDGET = 10
PERSONAS = ("buyer_cm", "vendor_am", "board", "staff")

# Still over budget, being brought down by their owners: route -> the most
# queries it may take today. Lower a number (or drop the row) when a route
# gets cheaper; the test fails if a route here grows.
PENDING: dict[str, int] = {}

SKIP_PREFIXES = ("/admin/", "/static/", "/media/", "/accounts/logout/", "/api/schema/", "/api/docs/", "/api/redoc/")
DOWNLOAD = re.compile(
    r"\.(pdf|csv|xlsx|ics|zip|json)$|/(pdf|csv|xlsx|ics|download|export|feed)/?$|format=(pdf|csv|xlsx|ics)"
)
HREF = re.compile(r"""href=["']([^"'#]+)""")
# One visit per route and persona is enough for the count; a few more catch
# pages whose cost depends on the object (a resolved incident, a closed review).
VISITS_PER_ROUTE = 2


@dataclass
class Crawl:
    counts: dict[str, int] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def record(self, route: str, url: str, n: int) -> None:
        if n > self.counts.get(route, -1):
            self.counts[route] = n
            self.where[route] = url


def _route(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route or match.view_name


def _links(html: str) -> Iterator[str]:
    for raw in HREF.findall(html):
        url = raw.replace("&amp;", "&")
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP_PREFIXES) or DOWNLOAD.search(url):
            continue
        yield url


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p, prefix + str(p.pattern), inner or "")
        elif p.name:
            yield prefix + str(p.pattern), f"{ns}:{p.name}" if ns else p.name, p


def _api_lists(world: World) -> list[str]:
    """Each API list route, filled with the own contract and its buyer."""
    contract = world.own.contract
    kwargs = {"contract_pk": contract.pk, "organization_pk": contract.buyer_id}
    urls = []
    for route, name, pattern in _walk(get_resolver()):
        if not route.startswith("api/") or not name.endswith("-list") or "format" in route:
            continue
        wanted = {k: v for k, v in kwargs.items() if k in pattern.pattern.regex.groupindex}
        try:
            urls.append(reverse(name, kwargs=wanted))
        except NoReverseMatch:
            continue
    return urls


def _measure(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), response


def _crawl(world: World, crawl: Crawl) -> None:
    for persona in PERSONAS:
        client = Client()
        client.force_login(world.user(persona))
        seen: set[str] = set()
        per_route: dict[str, int] = {}
        queue: deque[str] = deque(["/", *_api_lists(world)])
        while queue:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            route = _route(urlsplit(url).path)
            if route is None or per_route.get(route, 0) >= VISITS_PER_ROUTE:
                continue
            per_route[route] = per_route.get(route, 0) + 1
            with transaction.atomic():  # a GET never writes, but if one did the next must not see it
                n, response = _measure(client, url)
                transaction.set_rollback(True)
            if response.status_code != 200:
                continue
            crawl.record(route, url, n)
            content_type = response.get("Content-Type", "")
            if content_type.startswith("text/html"):
                queue.extend(_links(response.content.decode()))
            elif content_type.startswith("application/json") and url.startswith("/api/"):
                queue.extend(_api_details(url, response.json()))


def _api_details(url: str, body: Any) -> list[str]:
    rows = body.get("results", []) if isinstance(body, dict) else body
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict) or "id" not in rows[0]:
        return []
    match = resolve(urlsplit(url).path)
    if not match.url_name or not match.url_name.endswith("-list"):
        return []
    name = ":".join([*match.namespaces, match.url_name.removesuffix("-list") + "-detail"])
    try:
        return [reverse(name, kwargs={**match.kwargs, "pk": rows[0]["id"]})]
    except NoReverseMatch:
        return []


def _grow(world: World) -> None:
    """More of every kind of row on the own contract, through the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Notification
    from contracts import onboarding
    from contracts import services as contracts
    from disputes import services as dispute_services
    from incidents import services as incidents
    from reports.services import close_period
    from reports.services.publish import store_pdf
    from reports.tests.factories import add_outage, at, downtime_for
    from reviews.services import comments

    own = world.own
    contract = own.contract
    buyer, eng, chair = (world.user(r) for r in ("buyer_cm", "vendor_eng", "board"))
    for i in range(4):
        incident = incidents.open_incident(
            actor=buyer, contract=contract, title=f"Queue stalls {i}", severity="medium",
            environment="production", component=contract.covered_components[0],
        )  # fmt: skip
        incident = incidents.acknowledge_incident(actor=eng, incident=incident)
        incidents.comment_incident(actor=buyer, incident=incident, text="Still failing.")
        incidents.attach_file(actor=eng, incident=incident, file=SimpleUploadedFile(f"log{i}.txt", b"x\n"))
        incidents.comment_incident(actor=eng, incident=own.incident, text=f"Looking {i}.")
    # September 2026, closed too: another report, more credits; more outages in October and November.
    for day in (3, 9, 17):
        add_outage(contract, start=at(day, month=9), minutes=downtime_for("99.5"))
    store_pdf(close_period(contract=contract, period="2026-09", now=NOW))
    outages = [add_outage(contract, start=at(day, month=11), minutes=30) for day in (1, 2, 3)]
    for outage in outages[:2]:
        dispute_services.dispute_open(
            actor=buyer, contract=contract, subject_type="outage", subject_id=str(outage.pk),
            title="Shorter than recorded", statement="Our probes saw less.",
        )  # fmt: skip
    for i in range(3):
        contracts.document_upload(
            actor=buyer, contract=contract, title=f"Annex {i}", file=SimpleUploadedFile(f"annex{i}.pdf", PDF)
        )
        contracts.contact_add(
            actor=buyer,
            contract=contract,
            side="vendor",
            role="incident_manager",
            name=f"Esca {i}",
            email=f"e{i}@x.test",
        )
        onboarding.feedback_log(actor=buyer, contract=contract, category="process", text=f"Note {i}.")
        comments.comment_add(actor=chair, review=own.review, body=f"Point {i}.")
        Notification.objects.create(user=buyer, event="incident.opened", title=f"Opened {i}", url="/")
    _version_comments(world)


def _version_comments(world: World) -> None:
    """Comments on the open draft from both parties. (No new version: the draft is held by the
    annual review's amendment, so neither party may propose or amend it here.)"""
    from contracts import services as contracts

    draft = world.own.contract.sla_versions.get(number=world.own.draft_number)
    for i in range(3):
        for actor in (world.user("buyer_cm"), world.user("vendor_am")):
            contracts.sla_version_comment(actor=actor, version=draft, body=f"Remark {i}.")


# Production runs with a cache all web processes share (README: CACHE_URL), and then reads
# sessions through it (settings: SESSION_ENGINE); the budgets are for that shape.
@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_every_route_within_budget_and_constant_in_rows(world: World) -> None:
    small = Crawl()
    _crawl(world, small)
    _grow(world)
    big = Crawl()
    _crawl(world, big)

    report = "\n".join(
        f"{route:70} {small.counts.get(route, '-'):>3} {big.counts.get(route, '-'):>3}  {big.where.get(route, small.where.get(route))}"
        for route in sorted(set(small.counts) | set(big.counts))
    )
    print(report)
    problems = []
    for route in sorted(set(small.counts) | set(big.counts)):
        limit = PENDING.get(route, BUDGET)
        before, after = small.counts.get(route), big.counts.get(route)
        for n, url in ((before, small.where.get(route)), (after, big.where.get(route))):
            if n is not None and n > limit:
                problems.append(f"{route}: {n} queries > {limit} ({url})")
        if before is not None and after is not None and before != after:
            problems.append(f"{route}: {before} queries, then {after} with more rows ({big.where[route]})")
    assert not problems, "\n".join(problems)
