"""Schemathesis chains the API's main flows through OpenAPI links: what one
call creates, the next reads, changes or acts on, so the cases reach the
states a fuzzed id alone never finds.

The links (``LINKS`` below) are set on the same schema document
``/api/schema/`` serves, on a copy, for these flows:

- contract -> incident -> read / comment / acknowledge / resolve, and the
  incident -> a dispute about it;
- contract -> outage -> read, and the outage -> a dispute about it;
- contract -> maintenance window -> read / accept / cancel;
- webhook endpoint create -> read -> change / deactivate;
- API tokens listed -> one revoked.

Each persona (the buyer's contract manager, the vendor's account manager, staff)
runs ``COVENANT_STATEFUL_EXAMPLES`` scenarios of ``STEPS`` calls, derandomized;
a step only the other party may take (the vendor acknowledges, the buyer
accepts a window) goes as that party (``OTHER_PARTY``); every scenario starts from the same world (a savepoint rolled
back at its end). Every response must pass the checks of the stateless run
(``tests/test_api_fuzz.py``): no 5xx, a documented status, body and media type.

Run alone: ``COVENANT_TESTING=1 .venv/bin/pytest tests/test_api_stateful.py``.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.stateful.state_machine import normalize_name
from schemathesis.specs.openapi.stateful import OpenAPIStateMachine

from config.wsgi import application
from tests.test_api_fuzz import CHECKS, SEED, _keep_the_connection, _media  # noqa: F401 - fixtures
from tests.test_api_fuzz import schema as stateless_schema
from tests.world import World, frozen_now_fixture, media_root_fixture, world_fixture  # noqa: F401 - fixtures

SCENARIOS = int(os.environ.get("COVENANT_STATEFUL_EXAMPLES", "30"))
STEPS = 6
# Staff too: only an organization's admins (and staff) manage its webhook endpoints.
PERSONAS = ("buyer_cm", "vendor_am", "staff")
# A creation the flow starts from is sent whole (not merged into a generated body):
# the stateless run fuzzes the bodies, this one what follows a creation.
WHOLE = {"x-schemathesis": {"merge_body": False}}

FIRST_CONTRACT = "$response.body#/results/0/id"
FIRST_COMPONENT = "$response.body#/results/0/covered_components/0"
# A maintenance window 26 days after the world's frozen NOW: inside any notice the terms ask.
WINDOW = {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T12:00:00Z"}


def _by_id(*operation_ids: str, **parameters: str) -> dict[str, dict[str, Any]]:
    return {op: {"operationId": op, "parameters": dict(parameters)} for op in operation_ids}


# source operationId -> status -> link name -> link (OpenAPI 3 link objects).
LINKS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "contracts_list": {
        "200": {
            "NewIncident": {
                "operationId": "incidents_create",
                "requestBody": {
                    "contract": FIRST_CONTRACT,
                    "component": FIRST_COMPONENT,
                    "title": "Checkout times out",
                    "severity": "high",
                    "environment": "production",
                },
                **WHOLE,
            },
            "NewOutage": {
                "operationId": "outages_create",
                "requestBody": {
                    "contract": FIRST_CONTRACT,
                    "component": FIRST_COMPONENT,
                    "start": "2026-11-04T08:00:00Z",
                    "end": "2026-11-04T08:30:00Z",
                    "reason": "Probe gap, restored from the provider's status page.",
                },
                **WHOLE,
            },
            "NewMaintenanceWindow": {
                "operationId": "maintenance_windows_create",
                "requestBody": {
                    "contract": FIRST_CONTRACT,
                    "components": [FIRST_COMPONENT],
                    "title": "Database upgrade",
                    **WINDOW,
                },
                **WHOLE,
            },
        }
    },
    "incidents_create": {
        "201": {
            **_by_id(
                "incidents_retrieve",
                "incidents_comment_create",
                "incidents_acknowledge_create",
                "incidents_resolve_create",
                id="$response.body#/id",
            ),
            "DisputeTheIncident": {
                "operationId": "disputes_create",
                "requestBody": {
                    "contract": "$response.body#/contract/id",
                    "subject_type": "incident",
                    "subject_id": "$response.body#/id",
                    "title": "Not our fault",
                    "statement": "The card network was down.",
                },
                **WHOLE,
            },
        }
    },
    "incidents_acknowledge_create": {
        "200": _by_id("incidents_resolve_create", "incidents_comment_create", id="$response.body#/id")
    },
    "outages_create": {
        "201": {
            **_by_id("outages_retrieve", id="$response.body#/id"),
            "DisputeTheOutage": {
                "operationId": "disputes_create",
                "requestBody": {
                    "contract": "$response.body#/contract/id",
                    "subject_type": "outage",
                    "subject_id": "$response.body#/id",
                    "title": "Shorter than recorded",
                    "statement": "Our logs show 10 minutes.",
                },
                **WHOLE,
            },
        }
    },
    "maintenance_windows_create": {
        "201": _by_id(
            "maintenance_windows_retrieve",
            "maintenance_windows_accept_create",
            "maintenance_windows_cancel_create",
            id="$response.body#/id",
        )
    },
    "disputes_create": {"201": _by_id("disputes_retrieve", "disputes_comment_create", id="$response.body#/id")},
    "webhooks_endpoints_list": {
        "200": {
            "NewEndpoint": {
                "operationId": "webhooks_endpoints_create",
                "requestBody": {
                    "organization": "$response.body#/results/0/organization",
                    "name": "Flow",
                    "url": "https://hooks.example.test/flow",
                    "format": "covenant",
                    "events": [],
                },
                **WHOLE,
            }
        }
    },
    "webhooks_endpoints_create": {
        "201": _by_id(
            "webhooks_endpoints_retrieve",
            "webhooks_endpoints_partial_update",
            "webhooks_endpoints_deactivate_create",
            id="$response.body#/id",
        )
    },
    "webhooks_endpoints_retrieve": {
        "200": _by_id(
            "webhooks_endpoints_deactivate_create", "webhooks_endpoints_partial_update", id="$response.body#/id"
        )
    },
    "tokens_list": {"200": _by_id("tokens_destroy", prefix="$response.body#/0/prefix")},
}


def _linked(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of the schema document with ``LINKS`` on the source operations' responses, bodies as JSON."""
    linked = copy.deepcopy(raw)
    operations = {
        operation["operationId"]: operation
        for item in linked["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    for source, by_status in LINKS.items():
        for status, links in by_status.items():
            operations[source]["responses"][status]["links"] = copy.deepcopy(links)
    # A body a link sends whole needs one media type to go as: JSON (the forms are the pages').
    for operation in operations.values():
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    return linked


def _in_flows() -> list[str]:
    ids = set(LINKS)
    for by_status in LINKS.values():
        for links in by_status.values():
            ids |= {link["operationId"] for link in links.values()}
    return sorted(ids)


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"database": "none", "mode": "positive"},
        # Only the links above: the flows are the ones named, not guessed ones.
        "phases": {"stateful": {"enabled": True, "max-steps": STEPS, "inference": {"algorithms": []}}},
    }
)
schema = schemathesis.openapi.from_dict(_linked(stateless_schema.raw_schema), config=CONFIG).include(
    operation_id=_in_flows()
)
schema.app = application
schema.location = "/api/schema/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]


# A flow crosses the parties: the buyer opens an incident, the vendor acknowledges
# and resolves it; the vendor schedules maintenance, the buyer accepts it; staff
# enter outages. A step only the other party may take is sent as that party.
VENDOR_STEP = {"buyer_cm": "vendor_am"}
BUYER_STEP = {"vendor_am": "buyer_cm"}
OTHER_PARTY: dict[str, dict[str, str]] = {
    "POST /api/incidents/": BUYER_STEP,
    "POST /api/incidents/{id}/acknowledge/": VENDOR_STEP,
    "POST /api/incidents/{id}/resolve/": VENDOR_STEP,
    "POST /api/maintenance-windows/": VENDOR_STEP,
    "POST /api/maintenance-windows/{id}/cancel/": VENDOR_STEP,
    "POST /api/maintenance-windows/{id}/accept/": BUYER_STEP,
    "POST /api/outages/": {"buyer_cm": "staff", "vendor_am": "staff"},
}

# Where a scenario may start: the lists the flows begin from (a random id only ever finds nothing).
ROOTS = frozenset(
    normalize_name(f"RANDOM -> {label}")
    for label in ("GET /api/contracts/", "GET /api/tokens/", "GET /api/webhooks/endpoints/")
)


def _machine(world: World, role: str, seen: Counter[tuple[str, int]]) -> type[OpenAPIStateMachine]:
    base: Any = schema.as_state_machine()
    assert base.root_rules >= ROOTS, sorted(base.root_rules)

    class Flows(base):  # type: ignore[misc, valid-type]
        root_rules = ROOTS

        def setup(self) -> None:
            # Every scenario starts from the same world: a savepoint, rolled back in teardown.
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            actor = OTHER_PARTY.get(case.operation.label, {}).get(role, role)
            return {"headers": {"Authorization": f"Token {world.tokens[actor]}"}}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            seen[(case.operation.label, response.status_code)] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseException as exc:
                exc.add_note(f"as {role}")
                raise

    for name in base.root_rules - ROOTS:
        setattr(Flows, name, None)  # hides the rule from Hypothesis
    return Flows


@pytest.mark.parametrize("role", PERSONAS)
def test_flows(role: str, world: World) -> None:
    seen: Counter[tuple[str, int]] = Counter()  # (operation, status) -> responses
    _machine(world, role, seen).run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    reached = {label for (label, status) in seen if status < 300}
    # The flows are walked, not only attempted: a creation and a step on what it created succeeded.
    for label in ("GET /api/contracts/", "POST /api/incidents/", "POST /api/maintenance-windows/"):
        assert label in reached, f"{label} never succeeded; seen: {sorted(seen.items())}"
    followed = {label for label in reached if "{" in label}
    assert followed, f"no step on a created object succeeded; seen: {sorted(seen.items())}"


def test_the_links_name_real_operations_and_responses() -> None:
    """A renamed operation or a dropped status would silently end a flow."""
    operations = {
        operation["operationId"]: operation
        for item in stateless_schema.raw_schema["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    for source, by_status in LINKS.items():
        assert source in operations, source
        for status, links in by_status.items():
            assert status in operations[source]["responses"], f"{source} {status}"
            for link in links.values():
                assert link["operationId"] in operations, link["operationId"]
