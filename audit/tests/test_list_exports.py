"""The audit lists (the staff log and a contract's trail) as CSV and XLSX
(``?export=``): the list's filters, only the entries the person may read,
formulas neutralised, and a constant number of queries. The raw CSV
(``?format=csv``) stays as it was."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import services as account_services
from accounts.models import Organization
from audit.exports import LIST_HEADER
from core.actor import SystemActor
from core.tests.export_reading import consume, csv_rows, xlsx_rows
from simulator import services as simulator

pytestmark = pytest.mark.django_db

SECRET = "Walk-away at 99.5 percent"


def organizations(*names: str) -> None:
    for name in names:
        account_services.organization_create(actor=SystemActor("system:test"), name=name, kind=Organization.Kind.VENDOR)


def scenario(actor: Any, contract: Any, name: str) -> None:
    results = {"window": {"first": "2026-01", "last": "2026-06"}, "term_sets": [{"label": "now"}]}
    simulator.scenario_save(actor=actor, name=name, inputs={}, results=results, contract=contract)


def column(rows: list[list[Any]], name: str) -> list[Any]:
    return [r[LIST_HEADER.index(name)] for r in rows[1:]]


def test_staff_log_csv_follows_the_filters_and_guards_formulas(client_for, staff):
    organizations('=HYPERLINK("http://evil")', "Plain Ltd")

    rows = csv_rows(client_for(staff).get("/audit/?export=csv&verb=organization.created&actor=system:test"))

    assert rows[0] == list(LIST_HEADER)
    assert column(rows, "Object") == ['\'=HYPERLINK("http://evil")', "Plain Ltd"]  # oldest first
    assert set(column(rows, "Verb")) == {"organization.created"}
    assert all(at.endswith("Z") for at in column(rows, "At (UTC)"))


def test_the_log_stays_staff_only_and_refuses_a_bad_format(client_for, buyer, staff):
    assert client_for(buyer).get("/audit/?export=csv").status_code == 302
    response = client_for(staff).get("/audit/?export=pdf")
    assert response.status_code == 400 and b"export" in response.content
    raw = b"".join(client_for(staff).get("/audit/?format=csv").streaming_content).decode()
    assert raw.startswith("seq,at,actor")  # the raw CSV is unchanged


def test_contract_trail_xlsx_keeps_the_other_sides_entries_and_other_contracts_out(
    client_for, buyer, vendor, contract, foreign_contract
):
    scenario(buyer, contract, SECRET)

    response = client_for(vendor).get(f"/contracts/{contract.pk}/audit/?export=xlsx")

    assert "-audit.xlsx" in response["Content-Disposition"]
    values, sheet = xlsx_rows(response)
    assert values[0] == list(LIST_HEADER)
    assert "contract.created" in column(values, "Verb")
    assert set(column(values, "Contract id")) == {contract.pk}
    assert SECRET not in repr(values)
    assert all(row[LIST_HEADER.index("Object")].data_type == "s" for row in sheet.iter_rows(min_row=2))
    mine = xlsx_rows(client_for(buyer).get(f"/contracts/{contract.pk}/audit/?export=xlsx&verb=scenario."))[0]
    assert column(mine, "Object") == [SECRET]


def test_another_tenant_gets_404_on_the_trail_export(client_for, outsider, contract):
    assert client_for(outsider).get(f"/contracts/{contract.pk}/audit/?export=csv").status_code == 404


def test_the_list_links_the_exports_with_its_filters(client_for, staff):
    html = client_for(staff).get("/audit/?verb=organization.").content.decode()
    assert "verb=organization.&amp;export=csv" in html and "verb=organization.&amp;export=xlsx" in html


@pytest.mark.parametrize("path", ["/audit/", "/contracts/{pk}/audit/"])
def test_export_queries_do_not_grow_with_rows(client_for, staff, buyer, contract, count_queries, path):
    c = client_for(staff)
    target = path.format(pk=contract.pk)

    def export() -> None:
        consume(c.get(f"{target}?export=csv"))
        consume(c.get(f"{target}?export=xlsx"))

    def add(n: int) -> None:
        start = Organization.objects.count()
        organizations(*(f"Org {i}" for i in range(start, start + n)))
        for _ in range(n):
            scenario(buyer, contract, "Tighter terms")

    add(2)
    export()  # warm the session
    small = count_queries(export)
    add(10)
    assert count_queries(export) == small
