"""The credit ledger (all contracts and one) and the dispute lists (open and
closed) as CSV and XLSX: the pages' filters, only what the person may see,
money in the currency's minor unit, formulas neutralised, and a constant
number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.tests.export_reading import consume, csv_rows, xlsx_rows
from disputes.exports import CREDIT_HEADER, DISPUTE_HEADER
from disputes.models import Dispute
from reports.models import Credit
from reports.tests.ledger_factories import make_credit, make_report

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def column(rows: list[list[Any]], header: tuple[str, ...], name: str) -> list[Any]:
    return [r[header.index(name)] for r in rows[1:]]


def dispute(contract: Any, title: str = "Credit too low", **extra: Any) -> Dispute:
    fields: dict[str, Any] = {
        "subject_type": Dispute.Subject.REPORT_LINE,
        "subject_id": "1",
        "subject_label": "Availability",
        "statement": "The monitor shows 98.9 %.",
        "raised_by_side": "buyer",
        "raised_at": RAISED,
        "stage_name": "Negotiation",
        "stage_deadline": RAISED + timedelta(days=10),
        **extra,
    }
    return Dispute.objects.create(contract=contract, title=title, **fields)


# -- the credit ledger ------------------------------------------------------------------------


def test_credit_csv_follows_the_filters_and_visibility_and_guards_formulas(
    client_for, vendor, contract, foreign_contract
):
    february = make_report(contract, "2026-02")
    make_credit(february, description="=1+1", status=Credit.Status.CLAIMED, claimed_at=RAISED)
    make_credit(february, description="Calculated one")
    make_credit(make_report(contract, "2026-03"), description="March", status=Credit.Status.CLAIMED)
    make_credit(make_report(foreign_contract, "2026-02"), description="Other vendor's", status=Credit.Status.CLAIMED)

    rows = csv_rows(client_for(vendor).get("/ledger/?export=csv&period=2026-02&status=claimed"))

    assert rows[0] == list(CREDIT_HEADER)
    assert column(rows, CREDIT_HEADER, "Description") == ["'=1+1"]
    row = dict(zip(CREDIT_HEADER, rows[1], strict=True))
    assert (row["Amount"], row["Currency"], row["Percent of fee"]) == ("500.00", contract.currency, "5.000")
    assert row["Status"] == "Claimed" and row["Claimed (UTC)"] == "2026-03-05T09:00:00Z"
    assert row["Claim deadline (UTC)"] == "2026-03-31T00:00:00Z" and row["Period"] == "2026-02"


def test_contract_ledger_xlsx_reads_back_with_minor_units(client_for, buyer, contract, foreign_contract):
    make_credit(make_report(contract, "2026-02", currency="JPY"), amount="1250.400", description="@SUM(A1:A9)")
    make_credit(make_report(foreign_contract, "2026-02"), description="Other contract")

    response = client_for(buyer).get(f"/ledger/contracts/{contract.pk}/?export=xlsx")

    assert "-credits.xlsx" in response["Content-Disposition"]
    values, sheet = xlsx_rows(response)
    assert values[0] == list(CREDIT_HEADER)
    assert column(values, CREDIT_HEADER, "Description") == ["@SUM(A1:A9)"]
    assert (column(values, CREDIT_HEADER, "Amount"), column(values, CREDIT_HEADER, "Currency")) == (["1250"], ["JPY"])
    # Past its claim window, a calculated credit reads as on the ledger.
    assert column(values, CREDIT_HEADER, "Status") == ["Claim window closed — not owed"]
    description = CREDIT_HEADER.index("Description")
    assert all(row[description].data_type == "s" for row in sheet.iter_rows(min_row=2))


def test_the_ledger_links_the_exports_and_refuses_a_bad_format(client_for, buyer, outsider, contract):
    make_credit(make_report(contract))
    html = client_for(buyer).get("/ledger/?status=claimed").content.decode()
    assert "status=claimed&amp;export=csv" in html and "status=claimed&amp;export=xlsx" in html
    response = client_for(buyer).get("/ledger/?export=json")
    assert response.status_code == 400 and b"export" in response.content
    assert client_for(outsider).get(f"/ledger/contracts/{contract.pk}/?export=csv").status_code == 404
    assert len(csv_rows(client_for(outsider).get("/ledger/?export=csv"))) == 1  # the header only


@pytest.mark.parametrize("path", ["/ledger/", "/ledger/contracts/{pk}/"])
def test_credit_export_queries_do_not_grow_with_rows(client_for, buyer, contract, count_queries, path):
    c = client_for(buyer)
    target = path.format(pk=contract.pk)

    def export() -> None:
        consume(c.get(f"{target}?export=csv"))
        consume(c.get(f"{target}?export=xlsx"))

    for month in (1, 2):
        make_credit(make_report(contract, f"2025-{month:02d}"))
    export()  # warm the session
    small = count_queries(export)
    for month in range(3, 13):
        report = make_report(contract, f"2025-{month:02d}")
        make_credit(report, status=Credit.Status.CLAIMED)
        make_credit(report, status=Credit.Status.APPLIED, invoice_reference=f"INV-{month}")
    assert count_queries(export) == small


# -- the dispute lists --------------------------------------------------------------------------


def test_open_dispute_csv_follows_the_contract_filter_and_guards_formulas(
    client_for, buyer, contract, foreign_contract
):
    dispute(contract, title='=HYPERLINK("http://evil")')
    dispute(contract, title="Settled", status=Dispute.Status.RESOLVED, resolved_at=RAISED, resolution="Agreed")
    dispute(foreign_contract, title="Other contract")

    rows = csv_rows(client_for(buyer).get(f"/ledger/disputes/?export=csv&contract={contract.pk}"))

    assert rows[0] == list(DISPUTE_HEADER)
    assert column(rows, DISPUTE_HEADER, "Title") == ['\'=HYPERLINK("http://evil")']
    row = dict(zip(DISPUTE_HEADER, rows[1], strict=True))
    assert row["Raised (UTC)"] == "2026-03-05T09:00:00Z" and row["Stage deadline (UTC)"] == "2026-03-15T09:00:00Z"
    assert row["Raised by"] == contract.buyer.name and row["Status"] == "Open"


def test_closed_dispute_xlsx_and_another_tenants_disputes_absent(client_for, vendor, contract, foreign_contract):
    report = make_report(contract, "2026-02", revision=2)
    dispute(
        contract,
        title="@SUM(A1:A9)",
        status=Dispute.Status.RESOLVED,
        resolved_at=RAISED,
        resolution="Reissued",
        reissued_report=report,
    )
    dispute(contract, title="Still open")
    dispute(foreign_contract, title="Other vendor's", status=Dispute.Status.WITHDRAWN, resolved_at=RAISED)

    values, sheet = xlsx_rows(client_for(vendor).get("/ledger/disputes/?show=closed&export=xlsx"))

    assert values[0] == list(DISPUTE_HEADER)
    assert column(values, DISPUTE_HEADER, "Title") == ["@SUM(A1:A9)"]
    assert column(values, DISPUTE_HEADER, "Reissued report") == ["2026-02 revision 2"]
    assert column(values, DISPUTE_HEADER, "Stage deadline (UTC)") in ([None], [""])  # closed: no deadline runs
    assert all(row[1].data_type == "s" for row in sheet.iter_rows(min_row=2))


def test_the_board_links_the_exports_and_refuses_a_bad_format(client_for, buyer, contract, foreign_contract):
    dispute(contract)
    html = client_for(buyer).get(f"/ledger/disputes/?contract={contract.pk}").content.decode()
    assert f"contract={contract.pk}&amp;export=csv" in html
    closed = client_for(buyer).get("/ledger/disputes/?show=closed").content.decode()
    assert "show=closed&amp;export=xlsx" in closed
    response = client_for(buyer).get("/ledger/disputes/?export=xls")
    assert response.status_code == 400 and b"export" in response.content


@pytest.mark.parametrize("query", ["", "show=closed&"])
def test_dispute_export_queries_do_not_grow_with_rows(client_for, buyer, contract, count_queries, query):
    c = client_for(buyer)

    def export() -> None:
        consume(c.get(f"/ledger/disputes/?{query}export=csv"))
        consume(c.get(f"/ledger/disputes/?{query}export=xlsx"))

    def add(n: int) -> None:
        for k in range(n):
            dispute(contract, title=f"Open {k}")
            dispute(contract, title=f"Closed {k}", status=Dispute.Status.RESOLVED, resolved_at=RAISED)

    add(2)
    export()  # warm the session
    small = count_queries(export)
    add(10)
    assert count_queries(export) == small
