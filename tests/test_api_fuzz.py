"""Schemathesis fuzzes every operation of the live OpenAPI schema, in-process
through the WSGI application, as a buyer contract manager, a vendor account
manager, a board member and staff of the world in ``tests/world.py``.

Each operation gets a fixed number of generated cases (valid and invalid
bodies, query strings and path parameters) from a fixed seed, so a run is
repeatable; each case is sent once as every persona, and a write is rolled
back after each request, so every persona answers it from the same world.
Every response must:

- never be a server error (``not_a_server_error``),
- carry a status code the schema documents for the operation
  (``status_code_conformance``),
- match the schema documented for that status (``response_schema_conformance``)
  and its media type (``content_type_conformance``).

Path parameters that name an object are replaced by the id of the persona's
own object of that kind (a random id only ever finds nothing: the matrix in
``test_permission_matrix`` covers those 404s), so the cases reach the
serializers and services. Integer ids in bodies (``contract``, ``review``,
``incident``...) are pointed at the same objects. The monitoring ingestion
endpoints are fuzzed with a real monitoring source's token (they do not take
a person's token).

Run alone: ``COVENANT_TESTING=1 .venv/bin/pytest tests/test_api_fuzz.py``; quicker
or deeper: ``COVENANT_FUZZ_EXAMPLES=8 ...`` or ``=50``, a few operations:
``-k "onboarding and done/"``, one of two halves: ``COVENANT_FUZZ_SHARD=1/2``.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.world import World, frozen_now_fixture, media_root_fixture, world_fixture  # noqa: F401 - fixtures

# Cases per operation, each sent as every persona (COVENANT_FUZZ_EXAMPLES). CI
# runs 50 on PostgreSQL in two halves beside the SQLite pass (.ci/run): about
# 3 s of CPU per operation, 12 minutes in all on one core.
EXAMPLES_PER_OPERATION = int(os.environ.get("COVENANT_FUZZ_EXAMPLES", "25"))
SEED = 20261105
PERSONAS = ("buyer_cm", "vendor_am", "board", "staff")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "database": "none"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# The schema is served to signed-in clients only and no one exists at import
# time: build the same document /api/schema/ serves, in-process.
schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))), config=CONFIG
)
schema.app = application
schema.location = "/api/schema/"
# COVENANT_FUZZ_SHARD="2/3": only the second of three parts of the operations
# (by a hash of the label, stable across runs), so CI can run parts side by side.
SHARD, SHARDS = (int(n) for n in os.environ.get("COVENANT_FUZZ_SHARD", "1/1").split("/"))
fuzzed = schema.include(lambda ctx: zlib.crc32(ctx.operation.label.encode()) % SHARDS == SHARD - 1)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]


@pytest.fixture(scope="module", autouse=True)
def _keep_the_connection() -> Any:
    """The WSGI handler closes "old" connections at the start and end of each
    request, which would end the test's transaction; Django's test client
    lifts the same signal handlers while it runs a request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


RUN: Counter[tuple[str, int]] = Counter()  # (operation, status) -> responses


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Any:
    """After the module: operations covered, cases run and the statuses seen."""
    yield
    if not RUN:
        return
    operations = {op for op, _ in RUN}
    statuses = Counter()
    for (_, code), n in RUN.items():
        statuses[code] += n
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        line = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nschemathesis: {len(operations)} operations, {sum(RUN.values())} cases ({line})")


@pytest.fixture(autouse=True)
def _media(settings: Any, media_root: Any) -> None:  # overrides the conftest's per-test folder
    settings.MEDIA_ROOT = media_root


_IDS: dict[tuple[int, str], dict[str, int]] = {}


def _object_ids(world: World, role: str) -> dict[str, int]:
    """The persona's own object of each kind, by the collection its URL names
    (computed once per world and persona: the world does not change)."""
    key = (id(world), role)
    if key not in _IDS:
        side = world.own
        user = world.user(role)
        org = user.memberships.values_list("organization_id", flat=True).first() if user else None
        _IDS[key] = {
            "contracts": side.contract.pk,
            "board": side.seat.pk,
            "contacts": side.contact.pk,
            "documents": side.document.pk,
            "feedback": side.feedback.pk,
            "monitoring-sources": side.source.pk,
            "sources": side.source.pk,
            "discrepancies": side.discrepancy.pk,
            "onboarding": side.item.pk,
            "resources": side.resource.pk,
            "credits": side.credit.pk,
            "remedies": side.remedy.pk,
            "corrective-plans": side.plan.pk,
            "disputes": side.dispute.pk,
            "holds": side.legal_hold.pk,
            "incidents": side.incident.pk,
            "maintenance-windows": side.window.pk,
            "change-notices": side.notice.pk,
            "organizations": org or world.own.contract.buyer_id,
            "invitations": side.invitation.pk,
            "members": side.membership.pk,
            "endpoints": side.webhook.pk,
            "deliveries": side.delivery.pk,
            "jobs": side.job.pk,
            "outages": side.outage.pk,
            "renewal-reminders": side.reminder.pk,
            "reports": side.report.pk,
            "review-amendments": side.amendment.pk,
            "review-packets": side.packet.pk,
            "reviews": side.review.pk,
            "scenarios": side.scenario.pk,
        }
    return _IDS[key]


BODY_IDS = {
    "contract": "contracts",
    "review": "reviews",
    "incident": "incidents",
    "outage": "outages",
    "credit": "credits",
    "amendment": "review-amendments",
}


def _point_at_real_objects(case: Any, world: World, role: str) -> None:
    """Replace integer ids in the path (and well-known id fields of a JSON
    body) with the persona's own objects."""
    ids = _object_ids(world, role)
    side = world.own
    parts = [p for p in case.operation.path.split("/") if p]
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
            continue  # an invalid value on purpose: leave it
        if name == "contract_pk":
            params[name] = side.contract.pk
        elif name == "number":
            params[name] = side.draft_number
        elif name == "attachment_id":
            params[name] = side.attachment.pk
        elif name == "claim_id":
            params[name] = side.claim.pk
        elif name == "proposal_id":
            params[name] = side.severity_proposal.pk
        elif name == "organization_pk":
            params[name] = ids["organizations"]
        elif name == "seq":
            params[name] = world.audit_seq
        elif name in ("id", "pk"):
            collection = parts[parts.index("{" + name + "}") - 1]
            if collection == "onboarding" and case.operation.path.endswith("/evidence-file/"):
                params[name] = side.evidence_item.pk
            else:
                params[name] = ids.get(collection, value)
    if isinstance(case.body, dict):
        for key, collection in BODY_IDS.items():
            if isinstance(case.body.get(key), int) and not isinstance(case.body.get(key), bool):
                case.body[key] = ids[collection]


def _auth_header(case: Any, world: World, role: str) -> dict[str, str]:
    path = case.operation.path
    if path == "/api/monitoring/alertmanager/":
        return {"Authorization": f"Bearer {world.source_tokens['alertmanager']}"}
    if path == "/api/monitoring/probes/":
        return {"Authorization": f"Bearer {world.source_tokens['probe']}"}
    return {"Authorization": f"Token {world.tokens[role]}"}


@fuzzed.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: Any, world: World) -> None:
    # One generated case is sent as every persona: generating a case costs
    # about as much as answering it. A write starts from the same world for
    # each persona (a savepoint rolled back after the request), so a failure
    # replays from the one case and the persona named in its note; reads
    # skip the savepoint's three statements.
    for role in PERSONAS:
        _point_at_real_objects(case, world, role)
        headers = _auth_header(case, world, role)
        try:
            if case.method.upper() in SAFE_METHODS:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
            else:
                with transaction.atomic():
                    response = case.call_and_validate(headers=headers, checks=CHECKS)
                    transaction.set_rollback(True)
        except BaseException as exc:
            exc.add_note(f"as {role}")
            raise
        RUN[(case.operation.label, response.status_code)] += 1


def test_the_schema_documents_the_errors_in_the_one_shape() -> None:
    """Every operation documents the errors it can give, each in the one
    error shape: 401 where it needs authentication, 404 where its path names
    an object, 400 and 415 where it takes a body; and between them the schema
    describes every error status the API answers with."""
    seen: set[str] = set()
    problems = []
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            wanted = set()
            if {} not in operation.get("security", [{}]):
                wanted.add("401")
            if "{" in path:
                wanted.add("404")
            if "requestBody" in operation:
                wanted |= {"400", "415"}
            if missing := wanted - set(responses):
                problems.append(f"{where}: does not document {sorted(missing)}")
            for code, response in responses.items():
                if not code.startswith("4"):
                    continue
                seen.add(code)
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                if ref != "#/components/schemas/Error":
                    problems.append(f"{where}: its {code} is not the one error shape (application/json Error)")
    assert not problems, "\n".join(problems)
    assert {"400", "401", "403", "404", "409", "413", "415"} <= seen
