"""Bad input is a 4xx in the one error shape naming the field and the rule,
never a 500: bodies (nesting, NUL characters, size), query strings (integers
past 64 bits), through the real endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.services import token_issue
from availability.models import Outage, RawPayload
from availability.services import monitoring
from core import jsonbody

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000
TOO_BIG = 2**64


def api(user: Any) -> Client:
    _, key = token_issue(actor=user, user=user)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")


def bearer(token: str) -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_error(response: Any, status: int, field: str, words: str) -> None:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}
    assert field in body["errors"], body
    assert words in " ".join(body["errors"][field]), body


@pytest.fixture
def alert_source(contract: Any, staff: Any) -> tuple[Any, str]:
    return monitoring.create_source(actor=staff, contract=contract, name="Prometheus", kind="alertmanager")


@pytest.fixture
def probe_source(contract: Any, staff: Any) -> tuple[Any, str]:
    return monitoring.create_source(actor=staff, contract=contract, name="Probes", kind="probe", interval_seconds=60)


ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "covenant",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "Down", "component": "api"},
            "annotations": {},
            "startsAt": "2026-02-10T14:03:27Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "f1",
        }
    ],
}


# -- 1. nesting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/incidents/"), ("patch", "/api/contracts/{contract}/"), ("post", "/api/disputes/")],
)
def test_deeply_nested_json_is_a_400_naming_the_body_and_the_limit(buyer, contract, method, path):
    response = getattr(api(buyer), method)(path.format(contract=contract.pk), DEEP, content_type="application/json")
    assert_error(response, 400, "body", f"the limit is {jsonbody.MAX_DEPTH}")


def test_nesting_up_to_the_limit_is_read(buyer, contract):
    """One level under the limit parses (and the serializer then judges the value)."""
    inside = "[" * (jsonbody.MAX_DEPTH - 1) + "]" * (jsonbody.MAX_DEPTH - 1)
    body = f'{{"product": {inside}}}'
    response = api(buyer).patch(f"/api/contracts/{contract.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "product" in response.json()["errors"]
    too_deep = "[" * jsonbody.MAX_DEPTH + "]" * jsonbody.MAX_DEPTH
    response = api(buyer).patch(
        f"/api/contracts/{contract.pk}/", f'{{"product": {too_deep}}}', content_type="application/json"
    )
    assert_error(response, 400, "body", "deeper than")


def test_deeply_nested_ingestion_is_a_400_and_nothing_is_stored(alert_source, probe_source):
    _, alert_token = alert_source
    _, probe_token = probe_source
    for path, token in (("/api/monitoring/alertmanager/", alert_token), ("/api/monitoring/probes/", probe_token)):
        response = bearer(token).post(path, DEEP, content_type="application/json")
        assert_error(response, 400, "body", f"the limit is {jsonbody.MAX_DEPTH}")
    assert not RawPayload.objects.exists()


# -- 2. NUL characters ------------------------------------------------------------------


def test_a_nul_in_an_alertmanager_label_is_a_400_naming_the_label(alert_source):
    _, token = alert_source
    body = json.loads(json.dumps(ALERT))
    body["alerts"][0]["labels"]["team"] = "core\u0000ops"
    response = bearer(token).post("/api/monitoring/alertmanager/", json.dumps(body), content_type="application/json")
    assert_error(response, 400, "alerts[0].labels.team", "NUL")
    assert not RawPayload.objects.exists() and not Outage.objects.exists()
    # The same alert without the NUL is taken: the refusal was the NUL's.
    del body["alerts"][0]["labels"]["team"]
    response = bearer(token).post("/api/monitoring/alertmanager/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_nul_in_a_label_name_or_a_probe_csv_is_a_400(alert_source, probe_source):
    _, alert_token = alert_source
    _, probe_token = probe_source
    body = json.loads(json.dumps(ALERT))
    body["alerts"][0]["labels"]["te\u0000am"] = "x"
    response = bearer(alert_token).post(
        "/api/monitoring/alertmanager/", json.dumps(body), content_type="application/json"
    )
    assert_error(response, 400, "alerts[0].labels", "NUL")
    csv = b"timestamp,component,up\n2026-02-10T14:00:00Z,a\x00pi,1\n"
    response = bearer(probe_token).post("/api/monitoring/probes/", csv, content_type="text/csv")
    assert_error(response, 400, "body", "NUL")
    assert not RawPayload.objects.exists()


def test_a_nul_in_any_api_body_is_a_400_naming_the_path(buyer, contract):
    response = api(buyer).patch(
        f"/api/contracts/{contract.pk}/",
        json.dumps({"covered_components": ["api", "w\u0000eb"]}),
        content_type="application/json",
    )
    assert_error(response, 400, "covered_components[1]", "NUL")
    contract.refresh_from_db()
    assert "w\x00eb" not in contract.covered_components


def test_integers_past_64_bits_in_a_body_are_a_400_naming_the_path(buyer, contract):
    response = api(buyer).post(
        "/api/disputes/", json.dumps({"contract": TOO_BIG, "title": "x"}), content_type="application/json"
    )
    assert_error(response, 400, "contract", "Integers must be between")


# -- 6. size ----------------------------------------------------------------------------

ELEVEN_MB = 11 * 1024 * 1024


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"title": "' + b"x" * ELEVEN_MB + b'"}'),
        ("application/x-www-form-urlencoded", b"title=" + b"x" * ELEVEN_MB),
    ],
    ids=["json", "form"],
)
def test_an_11_mb_api_body_is_a_413_naming_the_body_and_the_limit(buyer, contract, content_type, body):
    response = api(buyer).post("/api/disputes/", body, content_type=content_type)
    assert_error(response, 413, "body", "10,485,760 bytes")


def test_an_11_mb_form_with_a_session_is_a_413_in_the_error_shape(client_for, buyer, contract):
    """A session-authenticated form post is read by the CSRF check before any parser."""
    client = client_for(buyer)
    client.raise_request_exception = False
    response = client.post(
        "/api/disputes/", b"title=" + b"x" * ELEVEN_MB, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 413, "body", "10,485,760 bytes")


def test_an_11_mb_webhook_is_a_413(alert_source):
    _, token = alert_source
    body = b'{"alerts": ["' + b"x" * ELEVEN_MB + b'"]}'
    response = bearer(token).post("/api/monitoring/alertmanager/", body, content_type="application/json")
    assert_error(response, 413, "body", "bytes")
    assert not RawPayload.objects.exists()


# -- the checker itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ('{"a": {"b": [1, "x\\u0000"]}}', "a.b[1]", "NUL"),
        ('[{"n": 9223372036854775808}]', "[0].n", "Integers"),
        ('{"n": -9223372036854775809}', "n", "Integers"),
        ('{"f": 1e400}', "f", "finite"),
        ('"\\u0000"', "body", "NUL"),
    ],
)
def test_the_checker_names_the_place(text, field, words):
    with pytest.raises(jsonbody.BadJSON) as caught:
        jsonbody.loads(text)
    assert caught.value.field == field and words in caught.value.message


def test_the_checker_takes_the_edges():
    assert jsonbody.loads('{"n": 9223372036854775807, "m": -9223372036854775808, "t": true}')["t"] is True
    with pytest.raises(ValueError, match="NaN"):
        jsonbody.loads('{"n": NaN}')


# -- 3. integers past 64 bits in query strings --------------------------------------------

API_INTEGER_FILTERS = [
    ("/api/contracts/", "vendor"),
    ("/api/contracts/", "buyer"),
    ("/api/contracts/", "renewal_within"),
    ("/api/incidents/", "contract"),
    ("/api/incidents/", "vendor"),
    ("/api/credits/", "contract"),
    ("/api/disputes/", "contract"),
    ("/api/reports/", "contract"),
    ("/api/reviews/", "contract"),
    ("/api/reviews/", "year"),
    ("/api/review-packets/", "review"),
    ("/api/review-amendments/", "review"),
    ("/api/review-comments/", "review"),
    ("/api/renewal-reminders/", "contract"),
    ("/api/outages/", "contract"),
]


@pytest.mark.parametrize(("path", "name"), API_INTEGER_FILTERS)
def test_an_integer_filter_past_64_bits_is_a_400_naming_the_parameter(buyer, contract, path, name):
    response = api(buyer).get(path, {name: str(TOO_BIG)})
    assert response.status_code == 400, response.content[:300]
    assert name in response.json()["errors"]


PAGES = [
    ("/contracts/?vendor={n}", 200),  # the filter form shows the error beside the field
    ("/contracts/?renewal_within={n}", 200),
    ("/contracts/?vendor=" + "9" * 5000 + "&n={n}", 200),
    ("/incidents/?contract={n}", 200),
    ("/incidents/?vendor={n}", 200),
    ("/incidents/new/?contract={n}", 404),  # no such contract
    ("/ledger/?contract={n}", 200),  # ignored
    ("/ledger/disputes/?contract={n}", 200),
    ("/ledger/disputes/new/?contract={n}", 404),
    ("/reviews/?contract={n}", 200),
]


@pytest.mark.parametrize(("page", "status"), PAGES)
def test_a_page_ignores_or_reports_an_id_past_64_bits(client_for, buyer, contract, page, status):
    client = client_for(buyer)
    client.raise_request_exception = False
    response = client.get(page.format(n=TOO_BIG))
    assert response.status_code == status, (page, response.status_code)


# -- 4. dates and instants --------------------------------------------------------------


def contract_body(buyer_org: Any, vendor_org: Any, **changes: Any) -> dict[str, Any]:
    return {
        "reference": "C-NEW",
        "product": "Ledger Cloud",
        "buyer": buyer_org.pk,
        "vendor": vendor_org.pk,
        "start_date": "2026-01-01",
        "term_end": "2027-12-31",
        "monthly_fee": "100.00",
        "currency": "EUR",
        "preset": "enterprise-24x7",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "0001-01-01"),
        ("term_end", "9999-12-31"),
        ("start_date", "1989-12-31"),
        ("term_end", "2201-01-01"),
    ],
)
def test_a_contract_date_out_of_range_is_a_400_naming_it(buyer, buyer_org, vendor_org, field, value):
    response = api(buyer).post(
        "/api/contracts/", contract_body(buyer_org, vendor_org, **{field: value}), content_type="application/json"
    )
    assert_error(response, 400, field, "between 1990-01-01 and 2200-12-31")


def test_a_contract_on_the_edges_of_the_range_is_taken(buyer, buyer_org, vendor_org):
    body = contract_body(buyer_org, vendor_org, start_date="1990-01-01", term_end="2200-12-31")
    response = api(buyer).post("/api/contracts/", body, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_contract_patch_out_of_range_is_a_400(buyer, contract):
    response = api(buyer).patch(
        f"/api/contracts/{contract.pk}/", {"term_end": "0001-01-01"}, content_type="application/json"
    )
    assert_error(response, 400, "term_end", "between 1990-01-01")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-03-01T00:00:00", "Include a UTC offset"),
        ("0001-01-01T00:00:00+01:00", "between 1990-01-01"),
        ("9999-12-31T23:59:59-05:00", "between 1990-01-01"),
    ],
)
def test_an_outage_instant_naive_or_out_of_range_is_a_400(staff, contract, value, words):
    body = {"contract": contract.pk, "component": "api", "start": value, "reason": "entered by hand"}
    response = api(staff).post("/api/outages/", body, content_type="application/json")
    assert_error(response, 400, "start", words)


def test_a_proposed_effective_instant_naive_or_out_of_range_is_a_400(buyer, buyer_org, vendor_org):
    response = api(buyer).post("/api/contracts/", contract_body(buyer_org, vendor_org), content_type="application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    for value, words in (("2026-03-01T00:00", "Include a UTC offset"), ("0001-01-01T00:00Z", "between")):
        response = api(buyer).post(
            f"/api/contracts/{pk}/sla-versions/1/propose/", {"effective_from": value}, content_type="application/json"
        )
        assert_error(response, 400, "effective_from", words)


def test_the_contract_form_reports_a_year_1_date(client_for, buyer, buyer_org, vendor_org):
    client = client_for(buyer)
    client.raise_request_exception = False
    body = contract_body(buyer_org, vendor_org, start_date="0001-01-01", reference="C-FORM")
    response = client.post("/contracts/new/", body)
    assert response.status_code in (200, 400)
    assert "between 1990-01-01 and 2200-12-31" in response.content.decode()


# -- 5. references and the calendar feeds -----------------------------------------------


@pytest.mark.parametrize("reference", ["C-1\r\nX-Injected: 1", "C\x00", 'C"1', "-C", "C;1"])
def test_a_reference_with_control_or_odd_characters_is_a_400(buyer, buyer_org, vendor_org, reference):
    response = api(buyer).post(
        "/api/contracts/", contract_body(buyer_org, vendor_org, reference=reference), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "reference" in response.json()["errors"]


def test_the_contract_form_refuses_a_cr_lf_reference(client_for, buyer, buyer_org, vendor_org):
    client = client_for(buyer)
    response = client.post("/contracts/new/", contract_body(buyer_org, vendor_org, reference="C-1\rX"))
    assert "Use letters, digits" in response.content.decode()


def test_the_feeds_of_a_contract_with_a_bad_old_reference_still_work(buyer, contract):
    """A reference stored before references were validated: the feeds drop the
    control characters instead of failing."""
    from availability.services import periods as av
    from contracts.models import Contract

    Contract.objects.filter(pk=contract.pk).update(reference="C-1\r\nX\x07Y")
    _, token = av.calendar_feed(actor=buyer, contract=contract)
    for path in (
        f"/availability/contracts/{contract.pk}/calendar/{token}.ics",
        f"/reviews/contracts/{contract.pk}/calendar/{token}.ics",
    ):
        client = Client(raise_request_exception=False)
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        text = response.content.decode()
        lines = text.split("\r\n")
        assert lines[0] == "BEGIN:VCALENDAR" and "\x07" not in text
        assert not [line for line in lines if line.startswith(("XY", "X\x07"))], "a raw line break split a property"
        assert any("C-1 XY" in line for line in lines)  # the one-line name, control characters dropped
        assert "\n" not in response["Content-Disposition"] and "\r" not in response["Content-Disposition"]


# -- 7. download file names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "inline", "header"),
    [
        ("C-1-schedule.pdf", False, 'attachment; filename="C-1-schedule.pdf"'),
        ("C-1-cal.ics", True, 'inline; filename="C-1-cal.ics"'),
        (
            'Q"4; x=1.pdf',
            False,
            "attachment; filename=\"Q_4_ x_1.pdf\"; filename*=UTF-8''Q%224%3B%20x%3D1.pdf",
        ),
        ("Zürich\r\n.pdf", False, "attachment; filename=\"Zurich.pdf\"; filename*=UTF-8''Z%C3%BCrich.pdf"),
        ("\r\n", False, 'attachment; filename="download"'),
    ],
)
def test_every_download_name_goes_through_one_safe_header(name, inline, header):
    from core.downloads import content_disposition

    assert content_disposition(name, inline=inline) == header


# -- 8. links to other sites are not paths on this one ----------------------------------


@pytest.mark.parametrize("link", ["//evil.example/login", "/\\evil.example", "javascript:alert(1)", "https:///x"])
def test_a_link_to_another_host_is_not_taken_for_a_local_path(buyer, contract, link):
    response = api(buyer).post(
        f"/api/contracts/{contract.pk}/resources/", {"title": "Runbook", "url": link}, content_type="application/json"
    )
    assert_error(response, 400, "url", "path on this site")


@pytest.mark.parametrize("link", ["/contracts/", "https://docs.acme.example/runbook"])
def test_local_paths_and_web_addresses_are_taken(buyer, contract, link):
    response = api(buyer).post(
        f"/api/contracts/{contract.pk}/resources/", {"title": "Runbook", "url": link}, content_type="application/json"
    )
    assert response.status_code == 201, response.content


# -- 9. attachments a browser would run --------------------------------------------------


@pytest.fixture
def incident(contract: Any, buyer: Any) -> Any:
    from incidents import services

    return services.open_incident(
        actor=buyer,
        contract=contract,
        title="API down",
        severity="critical",
        environment="production",
        component="api",
        description="",
    )


ACTIVE_FILES = [
    ("page.html", b"<p>hello</p>"),
    ("IMAGE.SVG", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("doc.xhtml", b"<x/>"),
    ("app.js", b"alert(1)"),
    ("notes.txt", b"\xef\xbb\xbf  <!-- hi --><!DOCTYPE html><html><script>alert(1)</script>"),
    ("trace.log", b"<?xml version='1.0'?>\n<svg onload='alert(1)'/>"),
    ("plain", b"<script>alert(1)</script>"),
]


@pytest.mark.parametrize(("name", "content"), ACTIVE_FILES, ids=[name for name, _ in ACTIVE_FILES])
def test_an_active_attachment_is_a_400_naming_the_file(client_for, buyer, incident, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.models import IncidentAttachment

    response = api(buyer).post(
        f"/api/incidents/{incident.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}
    )
    assert_error(response, 400, "file", "not accepted")
    page = client_for(buyer).post(f"/incidents/{incident.pk}/attach/", {"file": SimpleUploadedFile(name, content)})
    assert page.status_code in (200, 400) and "not accepted" in page.content.decode()
    assert not IncidentAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("trace.txt", b"GET /x 500\n<html> in a log line"), ("shot.png", b"\x89PNG\r\n\x1a\n"), ("a.pdf", b"%PDF-1.4\n")],
)
def test_passive_attachments_are_taken(buyer, incident, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api(buyer).post(
        f"/api/incidents/{incident.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 201, response.content


def test_a_download_named_after_an_old_odd_reference_has_a_safe_header(client_for, buyer, contract):
    from contracts.models import Contract

    Contract.objects.filter(pk=contract.pk).update(reference='Zürich "Q"\r\n;x=1')
    client = client_for(buyer)
    client.raise_request_exception = False
    response = client.get(f"/contracts/{contract.pk}/versions/1/schedule.pdf")
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith('inline; filename="') and header.count('"') == 2
    assert "\r" not in header and "\n" not in header and ";x=1" not in header.split("filename*")[0]


# -- dates and instants in reviews, disputes, onboarding and the simulator -----------------------
# A year-1 or year-9999 date, and an instant without its UTC offset, are each a 400 naming the
# field and the rule (core.bounds), and nothing is stored.

YEAR_1 = "0001-01-01T00:00:00Z"
YEAR_9999 = "9999-12-31T00:00:00Z"
NAIVE = "2027-01-01T00:00:00"
BAD_INSTANTS = [(YEAR_1, "Must be between"), (YEAR_9999, "Must be between"), (NAIVE, "UTC offset")]


@pytest.fixture
def review(monkeypatch: Any, contract: Any) -> Any:
    from reports.tests.ledger_factories import freeze
    from reviews.tests.factories import NOW, open_review

    freeze(monkeypatch, NOW)
    return open_review(contract, generate_packet=False)


@pytest.mark.parametrize(("value", "words"), BAD_INSTANTS)
def test_a_review_amendment_needs_an_effective_instant_in_range(buyer, review, value, words):
    from reviews.models import Amendment

    body = {"review": review.pk, "title": "Raise", "rationale": "October.", "effective_from": value}
    response = api(buyer).post("/api/review-amendments/", body, content_type="application/json")

    assert_error(response, 400, "effective_from", words)
    assert not Amendment.objects.exists()


@pytest.mark.parametrize(("value", "words"), BAD_INSTANTS)
def test_a_review_record_needs_a_meeting_instant_in_range(buyer, review, value, words):
    response = api(buyer).patch(f"/api/reviews/{review.pk}/", {"meeting_date": value}, content_type="application/json")

    assert_error(response, 400, "meeting_date", words)
    review.refresh_from_db()
    assert review.meeting_date is None


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_review_anniversary_is_a_date_in_range(buyer, contract, value):
    from reviews.models import AnnualReview

    body = {"contract": contract.pk, "anniversary": value}
    response = api(buyer).post("/api/reviews/", body, content_type="application/json")

    assert_error(response, 400, "anniversary", "Must be between 1990-01-01 and 2200-12-31")
    assert not AnnualReview.objects.exists()


@pytest.mark.parametrize(("value", "words"), BAD_INSTANTS)
def test_a_dispute_outcome_needs_outage_instants_in_range(monkeypatch, buyer, vendor, contract, value, words):
    from datetime import UTC, datetime

    from availability.models import Outage
    from disputes import services as disputes
    from disputes.models import Dispute
    from reports.tests.ledger_factories import freeze

    freeze(monkeypatch)  # within the claim window of February 2026

    start, end = datetime(2026, 2, 3, 10, 0, tzinfo=UTC), datetime(2026, 2, 3, 12, 0, tzinfo=UTC)
    outage = Outage.objects.create(contract=contract, component="api", start=start, end=end, source="monitoring")
    dispute = disputes.dispute_open(
        actor=vendor,
        contract=contract,
        subject_type=Dispute.Subject.OUTAGE,
        subject_id=outage.pk,
        title="Probe flapped",
        statement="The monitor logs say otherwise.",
    )
    body = {"resolution": "Shorter", "outcome": {"outage_start": value}}
    response = api(buyer).post(f"/api/disputes/{dispute.pk}/resolve/", body, content_type="application/json")

    assert_error(response, 400, "outcome.outage_start", words)
    outage.refresh_from_db()
    dispute.refresh_from_db()
    assert (outage.start, outage.end, dispute.status) == (start, end, Dispute.Status.OPEN)


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_an_onboarding_item_is_due_on_a_date_in_range(buyer, contract, value):
    from contracts.models import OnboardingItem

    before = OnboardingItem.objects.count()
    body = {"title": "Runbook walkthrough", "owner_party": "vendor", "due_date": value}
    response = api(buyer).post(f"/api/contracts/{contract.pk}/onboarding/", body, content_type="application/json")

    assert_error(response, 400, "due_date", "Must be between 1990-01-01 and 2200-12-31")
    assert OnboardingItem.objects.count() == before


@pytest.mark.parametrize("value", ["0001-12", "9999-Q4"])
def test_a_simulation_window_ends_in_a_period_in_range(vendor, contract, value):
    from simulator.models import Scenario

    body = {"contract": contract.pk, "name": "Far", "window": {"periods": 3, "last": value}}
    response = api(vendor).post("/api/scenarios/", body, content_type="application/json")

    assert_error(response, 400, "window.last", "years")
    assert not Scenario.objects.exists()


@pytest.mark.parametrize(("year", "ok"), [("0001", False), ("9999", False), ("2027", True)])
def test_the_forms_hold_dates_to_the_range(year, ok):
    from contracts.onboarding.forms import ItemEditForm
    from disputes.forms import ResolveForm
    from reviews.forms import AmendmentForm, RecordForm

    day, instant = f"{year}-01-01", f"{year}-01-01T10:00"
    forms = {
        "effective_from": AmendmentForm({"title": "Raise", "rationale": "Why", "effective_from": day}),
        "meeting_date": RecordForm({"meeting_date": instant}, zone="Europe/Zurich"),
        "outage_start": ResolveForm({"resolution": "Agreed", "outage_start": instant}),
        "due_date": ItemEditForm({"title": "Walkthrough", "due_date": day}, people=[]),
    }
    for field, form in forms.items():
        assert form.is_valid() is ok, (field, form.errors)
        if not ok:
            assert form.errors[field] == ["Must be between 1990-01-01 and 2200-12-31."], (field, form.errors)


def test_a_body_without_a_content_type_is_a_415_naming_the_body(buyer, contract):
    from contracts.models import OnboardingItem

    item = OnboardingItem.objects.filter(contract=contract).first() or pytest.fail("the contract has no plan")
    url = f"/api/contracts/{contract.pk}/onboarding/{item.pk}/done/"
    client = api(buyer)

    bare = client.generic("POST", url, "ñgn".encode(), content_type="")
    assert_error(bare, 415, "body", "The body has no Content-Type; send one of: application/json")
    assert bare.json()["code"] == "unsupported_media_type"
    xml = client.generic("POST", url, b"<done/>", content_type="application/xml")
    assert_error(xml, 415, "body", "'application/xml' is not read here")
    item.refresh_from_db()
    assert item.done_at is None
