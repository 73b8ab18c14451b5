"""The service report list as CSV and XLSX (all contracts and one contract):
the period filter, only reports the person may see, money in the currency's
minor unit, formulas neutralised, and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Organization
from core.tests.export_reading import consume, csv_rows, xlsx_rows
from reports.exports import HEADER
from reports.tests.ledger_factories import make_report

pytestmark = pytest.mark.django_db

SNAPSHOT = {"availability": {"target": "99.95"}, "termination": {"triggered": True}}


def column(rows: list[list[Any]], name: str) -> list[Any]:
    return [r[HEADER.index(name)] for r in rows[1:]]


def test_csv_follows_the_period_and_visibility_and_guards_formulas(
    client_for, vendor, vendor_org, contract, foreign_contract
):
    Organization.objects.filter(pk=vendor_org.pk).update(name='=HYPERLINK("http://evil")')
    make_report(contract, "2026-02", snapshot=SNAPSHOT)
    make_report(contract, "2026-03")
    make_report(foreign_contract, "2026-02")

    rows = csv_rows(client_for(vendor).get("/reports/?export=csv&period=2026-02"))

    assert rows[0] == list(HEADER)
    assert column(rows, "Contract") == [contract.reference]
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Vendor"] == '\'=HYPERLINK("http://evil")'
    assert row["Period start (UTC)"] == "2026-02-01T00:00:00Z" and row["Period end (UTC)"] == "2026-03-01T00:00:00Z"
    assert (row["Availability (%)"], row["Target (%)"], row["Availability met"]) == ("99.200", "99.95", "no")
    assert (row["Credits due"], row["Currency"]) == ("500.00", contract.currency)
    assert row["Termination right triggered"] == "yes" and row["Superseded"] == "no"


def test_xlsx_of_one_contract_reads_back_with_minor_units(client_for, buyer, contract, foreign_contract):
    make_report(contract, "2026-02", currency="JPY", credit_total=Decimal("1250.400"))
    old = make_report(contract, "2026-03")
    make_report(contract, "2026-03", revision=2, supersedes=old)
    make_report(foreign_contract, "2026-02")

    response = client_for(buyer).get(f"/reports/contract/{contract.pk}/?export=xlsx")

    assert "-service-reports.xlsx" in response["Content-Disposition"]
    values, sheet = xlsx_rows(response)
    assert values[0] == list(HEADER)
    # The current revision of each period, newest first, as the page lists them.
    assert [(r[3], r[6]) for r in values[1:]] == [("2026-03", 2), ("2026-02", 1)]
    assert column(values, "Credits due")[1] == "1250" and column(values, "Currency")[1] == "JPY"
    contract_cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in contract_cells)


def test_another_tenant_gets_nothing_and_a_bad_format_is_400(client_for, outsider, buyer, contract):
    make_report(contract)
    assert client_for(outsider).get(f"/reports/contract/{contract.pk}/?export=csv").status_code == 404
    assert len(csv_rows(client_for(outsider).get("/reports/?export=csv"))) == 1  # the header only
    response = client_for(buyer).get("/reports/?export=ods")
    assert response.status_code == 400 and b"export" in response.content


def test_the_list_links_the_exports_with_its_filter(client_for, buyer, contract):
    html = client_for(buyer).get("/reports/?period=2026-02").content.decode()
    assert "period=2026-02&amp;export=csv" in html and "period=2026-02&amp;export=xlsx" in html


@pytest.mark.parametrize("path", ["/reports/", "/reports/contract/{pk}/"])
def test_export_queries_do_not_grow_with_rows(client_for, buyer, contract, count_queries, path):
    c = client_for(buyer)
    target = path.format(pk=contract.pk)

    def export() -> None:
        consume(c.get(f"{target}?export=csv"))
        consume(c.get(f"{target}?export=xlsx"))

    for month in (1, 2):
        make_report(contract, f"2025-{month:02d}", snapshot=SNAPSHOT)
    export()  # warm the session
    small = count_queries(export)
    for month in range(3, 13):
        make_report(contract, f"2025-{month:02d}")
    assert count_queries(export) == small
