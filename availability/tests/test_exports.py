"""The outage table on a contract's availability page as CSV and XLSX: the
table's filters, only the contract's own outages, formulas neutralised, and a
constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from availability.exports import HEADER
from availability.models import Outage
from core.tests.export_reading import consume, csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def outage(contract: Any, *, start: datetime, minutes: int | None = 60, **extra: Any) -> Outage:
    fields = {"component": "api", "source": Outage.Source.MANUAL, "reason": "probe gap", **extra}
    end = start + timedelta(minutes=minutes) if minutes is not None else None
    return Outage.objects.create(contract=contract, start=start, end=end, **fields)


def url(contract: Any, query: str) -> str:
    return f"/availability/contracts/{contract.pk}/?{query}"


def test_csv_follows_the_filters_and_guards_formulas(client_for, vendor, contract, foreign_contract):
    outage(contract, start=at(3, 10), cause='=HYPERLINK("http://evil")')
    outage(contract, start=at(4, 10), component="web", cause="Web tier")
    outage(contract, start=at(20, 10), cause="Later")
    outage(foreign_contract, start=at(3, 10), cause="Other vendor's")

    rows = csv_rows(client_for(vendor).get(url(contract, "export=csv&component=api&until=2026-10-10")))

    assert rows[0] == list(HEADER)
    assert [r[HEADER.index("Cause")] for r in rows[1:]] == ['\'=HYPERLINK("http://evil")']
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Start (UTC)"] == "2026-10-03T10:00:00Z" and row["End (UTC)"] == "2026-10-03T11:00:00Z"
    assert row["Length (seconds)"] == "3600" and row["Ongoing"] == "no"
    assert row["Contract"] == contract.reference and row["Source"] == "Entered by staff"


def test_xlsx_holds_every_outage_of_the_contract_as_text(client_for, buyer, contract, foreign_contract):
    outage(contract, start=at(3, 10), cause="@SUM(A1:A9)")
    outage(contract, start=at(5, 10), minutes=None, cause="Still down")
    outage(foreign_contract, start=at(3, 10), cause="Other vendor's")

    response = client_for(buyer).get(url(contract, "export=xlsx"))

    assert f'{contract.reference}-outages.xlsx"' in response["Content-Disposition"]
    values, sheet = xlsx_rows(response)
    assert values[0] == list(HEADER)
    cause = HEADER.index("Cause")
    assert [r[cause] for r in values[1:]] == ["Still down", "@SUM(A1:A9)"]  # newest first, as on the page
    assert all(row[cause].data_type == "s" for row in sheet.iter_rows(min_row=2))
    ongoing = dict(zip(HEADER, values[1], strict=True))
    assert ongoing["Ongoing"] == "yes" and ongoing["End (UTC)"] in ("", None)


def test_another_tenants_contract_is_404_and_a_bad_format_400(client_for, vendor, outsider, contract):
    outage(contract, start=at(3, 10))
    assert client_for(outsider).get(url(contract, "export=csv")).status_code == 404
    response = client_for(vendor).get(url(contract, "export=pdf"))
    assert response.status_code == 400 and b"export" in response.content


def test_the_page_links_the_exports_with_its_filters(client_for, vendor, contract):
    html = client_for(vendor).get(url(contract, "component=api")).content.decode()
    assert "component=api&amp;export=csv" in html and "component=api&amp;export=xlsx" in html


def test_export_queries_do_not_grow_with_rows(client_for, vendor, contract, count_queries):
    c = client_for(vendor)

    def export() -> None:
        consume(c.get(url(contract, "export=csv")))
        consume(c.get(url(contract, "export=xlsx")))

    for day in (1, 2):
        outage(contract, start=at(day, 1))
    export()  # warm the session
    small = count_queries(export)
    for day in range(3, 15):
        outage(contract, start=at(day, 1), source=Outage.Source.VENDOR)
    assert count_queries(export) == small
