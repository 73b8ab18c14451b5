"""The incident pages, driven as a browser would: GET the pages, POST the forms
to the action URLs, follow the redirects, read the flash and the timeline."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ExclusionClaim, Incident, IncidentLink

pytestmark = pytest.mark.django_db


# -- helpers ------------------------------------------------------------------------------------


def action_url(incident: Incident, action: str) -> str:
    return reverse("incidents:action", args=[incident.pk, action])


def detail_url(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("at", "id").values_list("kind", flat=True))


def flashes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def act(client, incident: Incident, action: str, data: dict | None = None):
    """POST an action and follow the redirect back to the incident page."""
    response = client.post(action_url(incident, action), data or {}, follow=True)
    assert response.status_code == 200, (response.status_code, flashes(response))
    assert response.redirect_chain == [(detail_url(incident), 302)], response.redirect_chain
    incident.refresh_from_db()
    return response


def open_incident(actor, contract, **overrides) -> Incident:
    fields = {
        "title": "Payments API returns 500",
        "severity": "critical",
        "environment": "production",
        "component": "api",
        "description": "",
    }
    fields.update(overrides)
    return services.open_incident(actor=actor, contract=contract, **fields)


def import_history(staff, contract, rows: list[dict], source: str = "Old desk") -> list[Incident]:
    content = json.dumps(rows).encode()
    return services.import_incidents(
        actor=staff, contract=contract, rows=services.parse_rows(content, "json"), source=source
    )


# -- the whole life of an incident, in the browser ---------------------------------------------


def test_buyer_and_vendor_walk_an_incident_through_its_life(client_for, buyer, vendor_engineer, contract):
    b, v = client_for(buyer), client_for(vendor_engineer)

    # The buyer opens it from the form, preselected on the contract.
    page = b.get(reverse("incidents:create") + f"?contract={contract.pk}")
    assert page.status_code == 200
    for component in ("api", "web", "reporting"):
        assert f'<option value="{component}"' in page.content.decode()
    response = b.post(
        reverse("incidents:create") + f"?contract={contract.pk}",
        {
            "contract": contract.pk,
            "severity": "critical",
            "environment": "production",
            "component": "api",
            "title": "Checkout fails",
            "description": "Every card payment returns 500.",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert response.redirect_chain == [(detail_url(incident), 302)]
    assert any("opened on C-1" in m for m in flashes(response))
    assert incident.status == "open" and incident.opened_by == buyer and not incident.out_of_scope
    assert kinds(incident) == ["opened"]

    act(v, incident, "acknowledge")
    assert incident.status == "acknowledged" and incident.acknowledged_at is not None
    assert kinds(incident)[-1] == "acknowledged"

    response = act(v, incident, "pause", {"reason": "Need the failing merchant ids"})
    assert incident.is_paused
    assert kinds(incident)[-1] == "paused"
    assert "Clock paused" in response.content.decode()

    act(v, incident, "resume")
    assert not incident.is_paused
    assert kinds(incident)[-1] == "resumed"

    act(v, incident, "propose_workaround", {"text": "Route payments through the backup acquirer", "temporary": "on"})
    assert incident.workaround == "proposed" and incident.workaround_temporary
    assert kinds(incident)[-1] == "workaround_proposed"

    page = b.get(detail_url(incident)).content.decode()
    assert "Your answer is needed" in page
    assert action_url(incident, "accept_workaround") in page

    act(b, incident, "accept_workaround")
    assert incident.status == "restored" and incident.workaround == "accepted"
    assert incident.workaround_expires_at is not None  # temporary: the preset gives it 10 days
    assert kinds(incident)[-1] == "workaround_accepted"

    act(v, incident, "resolve", {"message": "Acquirer certificate renewed"})
    assert incident.status == "resolved"
    assert kinds(incident)[-1] == "resolved"

    response = act(b, incident, "confirm", {"rating": "4", "comment": "Quick and clear"})
    assert incident.status == "closed" and incident.satisfaction == 4
    assert kinds(incident) == [
        "opened",
        "acknowledged",
        "paused",
        "resumed",
        "workaround_proposed",
        "workaround_accepted",
        "resolved",
        "confirmed",
    ]
    page = response.content.decode()
    assert "4/5" in page and "Quick and clear" in page
    timeline = page[page.index('id="timeline"') :]
    assert (
        timeline.index("Clock paused") < timeline.index("Workaround proposed") < timeline.index("Resolution confirmed")
    )


# -- who sees which buttons --------------------------------------------------------------------


def test_buttons_follow_the_role(client_for, buyer, buyer_viewer, vendor, board_member, contract):
    incident = open_incident(buyer, contract)
    ack = action_url(incident, "acknowledge")

    vendor_page = client_for(vendor).get(detail_url(incident)).content.decode()
    assert ack in vendor_page and ">Acknowledge</button>" in vendor_page
    assert action_url(incident, "claim_exclusion") in vendor_page

    buyer_page = client_for(buyer).get(detail_url(incident)).content.decode()
    assert ack not in buyer_page
    assert action_url(incident, "change_severity") in buyer_page
    assert action_url(incident, "attribute") in buyer_page  # a contract manager

    viewer_page = client_for(buyer_viewer).get(detail_url(incident)).content.decode()
    assert f"/incidents/{incident.pk}/" in viewer_page
    assert 'action="/incidents/' not in viewer_page
    assert "viewers can follow incidents" in viewer_page

    board_page = client_for(board_member).get(detail_url(incident)).content.decode()
    assert action_url(incident, "comment") in board_page and ack not in board_page
    assert action_url(incident, "attach") not in board_page


def test_illegal_action_is_a_409_naming_the_state_and_what_is_allowed(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract)
    response = client_for(vendor).post(action_url(incident, "resolve"), {"message": "done"})
    assert response.status_code == 409
    [message] = flashes(response)
    assert "Cannot resolve an incident that is open." in message
    assert "Allowed now: acknowledge" in message
    assert "flash-error" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "open" and kinds(incident) == ["opened"]


def test_action_outside_the_role_is_a_403_with_the_reason(client_for, buyer, contract):
    incident = open_incident(buyer, contract)
    response = client_for(buyer).post(action_url(incident, "acknowledge"))
    assert response.status_code == 403
    assert "Only the vendor&#x27;s support staff may acknowledge an incident." in response.content.decode()


def test_missing_reason_is_shown_on_the_field(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract)
    services.acknowledge_incident(actor=vendor, incident=incident)
    services.propose_workaround(actor=vendor, incident=incident, text="Restart the pod")
    response = client_for(buyer).post(action_url(incident, "reject_workaround"), {"reason": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="reject_workaround-reason_error">This field is required.' in page
    assert "Say why the workaround is rejected." in page
    assert '<details class="action action-reject_workaround" open>' in page
    incident.refresh_from_db()
    assert incident.workaround == "proposed"


def test_rating_out_of_range_is_the_services_rule(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract)
    services.acknowledge_incident(actor=vendor, incident=incident)
    services.resolve_incident(actor=vendor, incident=incident)
    response = client_for(buyer).post(action_url(incident, "confirm"), {"rating": "9"})
    assert response.status_code == 400
    assert "Must be a whole number from 1 to 5." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_unknown_action_is_404_and_get_is_not_allowed(client_for, buyer, contract):
    incident = open_incident(buyer, contract)
    c = client_for(buyer)
    assert c.post(action_url(incident, "delete")).status_code == 404
    assert c.get(action_url(incident, "comment")).status_code == 405


def test_login_required(client, buyer, contract):
    incident = open_incident(buyer, contract)
    for url in (reverse("incidents:list"), detail_url(incident), reverse("incidents:create")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- claims, attribution, comments, attachments --------------------------------------------------


def test_exclusion_claim_is_decided_by_the_buyer(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract)
    act(client_for(vendor), incident, "claim_exclusion", {"kind": "third_party", "reason": "Upstream DNS outage"})
    claim = ExclusionClaim.objects.get()
    page = client_for(buyer).get(detail_url(incident)).content.decode()
    assert "Your decision is needed" in page and "claim-pending" in page
    assert 'name="decision" value="accept"' in page

    response = client_for(buyer).post(
        action_url(incident, "decide_claim"), {"claim": claim.pk, "decision": "reject", "reason": ""}
    )
    assert response.status_code == 400
    assert "This field is required to reject." in response.content.decode()

    act(client_for(buyer), incident, "decide_claim", {"claim": claim.pk, "decision": "accept"})
    assert incident.excluded
    assert kinds(incident)[-1] == "claim_accepted"


def test_attribute_links_to_another_contract_of_the_buyer(client_for, buyer, vendor, contract, foreign_contract):
    incident = open_incident(buyer, contract)
    page = client_for(buyer).get(detail_url(incident)).content.decode()
    assert f'<option value="{foreign_contract.pk}">C-FOREIGN' in page
    act(
        client_for(buyer),
        incident,
        "attribute",
        {"to_contract": foreign_contract.pk, "move": "link", "reason": "DNS provider fault"},
    )
    assert IncidentLink.objects.filter(incident=incident, contract=foreign_contract).exists()
    assert incident.contract == contract
    page = client_for(buyer).get(detail_url(incident)).content.decode()
    assert "Linked to" in page and "DNS provider fault" in page
    # The vendor reads only that the buyer linked it elsewhere: no reference, no finding.
    vendor_page = client_for(vendor).get(detail_url(incident)).content.decode()
    assert "Linked to another supplier" in vendor_page
    assert "C-FOREIGN" not in vendor_page and "DNS provider fault" not in vendor_page


def test_comment_and_attachment(client_for, buyer, vendor, outsider, contract):
    incident = open_incident(buyer, contract)
    act(client_for(vendor), incident, "comment", {"text": "Looking at the logs"})
    assert kinds(incident)[-1] == "comment"
    upload = SimpleUploadedFile("trace.txt", b"stack trace", content_type="text/plain")
    act(client_for(buyer), incident, "attach", {"file": upload})
    attachment = incident.attachments.get()
    url = reverse("incidents:attachment", args=[incident.pk, attachment.pk])
    assert url in client_for(vendor).get(detail_url(incident)).content.decode()

    response = client_for(vendor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"stack trace"
    assert "trace.txt" in response["Content-Disposition"]
    assert client_for(outsider).get(url).status_code == 404


# -- tenancy -------------------------------------------------------------------------------------


def test_outsider_gets_404_everywhere(client_for, buyer, outsider, contract):
    incident = open_incident(buyer, contract)
    attachment = services.attach_file(
        actor=buyer, incident=incident, file=SimpleUploadedFile("a.txt", b"x", content_type="text/plain")
    )
    c = client_for(outsider)
    assert c.get(detail_url(incident)).status_code == 404
    for action in ("acknowledge", "comment", "claim_exclusion", "nonsense"):
        assert c.post(action_url(incident, action), {"text": "hi"}).status_code == 404
    assert c.get(reverse("incidents:attachment", args=[incident.pk, attachment.pk])).status_code == 404
    listing = c.get(reverse("incidents:list"))
    assert listing.status_code == 200 and incident.reference not in listing.content.decode()
    incident.refresh_from_db()
    assert kinds(incident) == ["opened", "attachment"]


def test_attachment_of_another_incident_is_404(client_for, buyer, contract):
    first, second = open_incident(buyer, contract), open_incident(buyer, contract, title="Second")
    attachment = services.attach_file(
        actor=buyer, incident=first, file=SimpleUploadedFile("a.txt", b"x", content_type="text/plain")
    )
    url = reverse("incidents:attachment", args=[second.pk, attachment.pk])
    assert client_for(buyer).get(url).status_code == 404


# -- open ------------------------------------------------------------------------------------------


def test_vendor_may_not_open(client_for, vendor, contract):
    response = client_for(vendor).get(reverse("incidents:create") + f"?contract={contract.pk}")
    assert response.status_code == 403
    assert "only the buyer" in response.content.decode()


def test_create_page_for_an_invisible_contract_is_404(client_for, buyer, other_vendor_org):
    from accounts.tests.factories import OrganizationFactory
    from contracts.tests.factories import make_contract

    stranger = OrganizationFactory(name="Other Bank", slug="other-bank")
    theirs = make_contract(buyer=stranger, vendor=other_vendor_org, reference="C-THEIRS")
    assert client_for(buyer).get(reverse("incidents:create") + f"?contract={theirs.pk}").status_code == 404


def test_other_component_is_flagged_out_of_scope(client_for, buyer_ops, contract):
    response = client_for(buyer_ops).post(
        reverse("incidents:create") + f"?contract={contract.pk}",
        {
            "contract": contract.pk,
            "severity": "low",
            "environment": "non_production",
            "component": "__other__",
            "component_other": "mobile app",
            "title": "Typo on login screen",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert incident.component == "mobile app" and incident.out_of_scope
    assert any("flagged out of scope" in m for m in flashes(response))
    assert "Out of scope" in response.content.decode()


def test_missing_component_is_the_services_error(client_for, buyer, contract):
    response = client_for(buyer).post(
        reverse("incidents:create") + f"?contract={contract.pk}",
        {
            "contract": contract.pk,
            "severity": "high",
            "environment": "production",
            "component": "__other__",
            "component_other": "",
            "title": "Slow",
        },
    )
    assert response.status_code == 400
    assert 'id="id_component_error">This field is required.' in response.content.decode()
    assert not Incident.objects.exists()


# -- the list ----------------------------------------------------------------------------------------


def test_list_shows_countdown_and_badges(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract, component="billing")
    page = client_for(vendor).get(reverse("incidents:list")).content.decode()
    assert incident.reference in page
    assert "sev-badge-critical" in page and "out of scope" in page
    due = incident.acknowledge_due_at.isoformat()
    assert f'data-due="{due}"' in page
    assert re.search(r'class="countdown countdown-ok"[^>]*>1[45]m left<', page)
    assert "js/countdown.js" in page


def test_list_filters_breached_and_severity(client_for, buyer, staff, contract):
    fresh = open_incident(buyer, contract, severity="low", title="Fresh")
    [late] = import_history(
        staff,
        contract,
        [
            {
                "title": "Old outage",
                "severity": "high",
                "environment": "production",
                "component": "web",
                "opened_at": (timezone.now() - timedelta(days=2)).isoformat(),
            }
        ],
    )
    assert late.breached and not Incident.objects.get(pk=fresh.pk).breached
    c = client_for(buyer)

    def refs(query: str) -> set[str]:
        response = c.get(reverse("incidents:list") + query)
        assert response.status_code == 200
        return {i.reference for i in response.context["page"]}

    assert refs("") == {fresh.reference, late.reference}
    assert refs("?breached=true") == {late.reference}
    assert refs("?breached=false") == {fresh.reference}
    assert refs("?severity=low") == {fresh.reference}
    assert refs("?severity=critical") == set()
    assert refs("?severity=high&breached=true") == {late.reference}
    page = c.get(reverse("incidents:list") + "?breached=true").content.decode()
    assert "over by" in page and "countdown-bad" in page


def test_list_sorts_by_severity(client_for, buyer, contract):
    for severity in ("low", "critical", "medium"):
        open_incident(buyer, contract, severity=severity)
    response = client_for(buyer).get(reverse("incidents:list") + "?ordering=-severity")
    assert [i.severity for i in response.context["page"]] == ["critical", "medium", "low"]
    assert 'href="?ordering=severity"' in response.content.decode()  # next click reverses


def test_list_queries_do_not_grow_with_rows(client_for, buyer, contract, foreign_contract, count_queries):
    c = client_for(buyer)
    url = reverse("incidents:list")

    def make(n: int) -> None:
        for i in range(n):
            open_incident(buyer, contract if i % 2 else foreign_contract, title=f"Incident {i}")

    make(2)
    c.get(url)  # warm the session
    small = count_queries(lambda: c.get(url))
    make(12)
    response = c.get(url)
    assert len(response.context["page"]) == 14
    large = count_queries(lambda: c.get(url))
    assert small == large, (small, large)


def test_list_is_paginated_by_25(client_for, buyer, contract):
    for i in range(26):
        open_incident(buyer, contract, title=f"Incident {i}")
    c = client_for(buyer)
    first = c.get(reverse("incidents:list"))
    assert len(first.context["page"]) == 25 and "Page 1 of 2" in first.content.decode()
    assert len(c.get(reverse("incidents:list") + "?page=2").context["page"]) == 1


# -- the detail page ---------------------------------------------------------------------------------


def test_detail_shows_the_three_clocks(client_for, buyer, vendor, contract):
    incident = open_incident(buyer, contract)
    services.acknowledge_incident(actor=vendor, incident=incident)
    page = client_for(buyer).get(detail_url(incident)).content.decode()
    for title in ("Acknowledge", "Restore", "Resolve"):
        assert f"<strong>{title}</strong>" in page
    assert "within 15 min · 24x7" in page and "within 4 h · 24x7" in page and "within 1 d · 24x7" in page
    assert page.count('class="badge badge-ok">Met<') == 1  # acknowledged in time
    assert page.count('class="badge badge-info">Running<') == 2
    assert "C-1" in page and "Northwind Bank" in page and "Acme Cloud" in page


# -- import ------------------------------------------------------------------------------------------


def test_import_is_staff_only(client_for, buyer, vendor):
    for user in (buyer, vendor):
        response = client_for(user).get(reverse("incidents:import"))
        assert response.status_code == 403
        assert "Only staff may import incident history." in response.content.decode()


def test_import_with_a_bad_row_shows_the_line_and_imports_nothing(client_for, staff, contract):
    opened = (timezone.now() - timedelta(days=3)).replace(microsecond=0).isoformat()
    csv = (
        "title,severity,environment,component,opened_at,acknowledged_at,resolved_at\n"
        f"Good row,high,production,api,{opened},,\n"
        f"Bad row,urgent,production,api,{opened},,\n"
    ).encode()
    c = client_for(staff)
    assert c.get(reverse("incidents:import")).status_code == 200
    response = c.post(
        reverse("incidents:import"),
        {
            "contract": contract.pk,
            "source": "Legacy desk",
            "format": "auto",
            "file": SimpleUploadedFile("history.csv", csv, content_type="text/csv"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "line 3" in page and "severity must be one of" in page
    assert "line 2" not in page
    assert "nothing was imported" in page.lower()
    assert not Incident.objects.exists()

    good = csv.decode().splitlines()[:2]
    response = c.post(
        reverse("incidents:import"),
        {
            "contract": contract.pk,
            "source": "Legacy desk",
            "format": "auto",
            "file": SimpleUploadedFile("history.csv", "\n".join(good).encode(), content_type="text/csv"),
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert incident.imported and incident.import_source == "Legacy desk"
    assert any("Imported 1 incident into C-1" in m for m in flashes(response))
    assert "Imported from Legacy desk" in c.get(detail_url(incident)).content.decode()
