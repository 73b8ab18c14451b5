"""The audit CSV names its file through ``core.downloads.content_disposition``:
a contract reference saved before references were validated (a quote, a
semicolon, a space, an accent) neither breaks the header nor adds a parameter."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from audit.exports import csv_response
from audit.models import AuditEntry
from contracts.models import Contract

pytestmark = pytest.mark.django_db

OLD_REFERENCE = 'Rév "7"; x=1'


def _parameters(header: str) -> dict[str, str]:
    kind, *rest = header.split("; ")
    assert kind == "attachment"
    params = dict(part.split("=", 1) for part in rest)
    assert set(params) <= {"filename", "filename*"}, header
    return params


def test_it_names_the_file_safely_whatever_the_name() -> None:
    response = csv_response(AuditEntry.objects.none(), 'Rév "7";\r\nx=1.csv')

    header = response["Content-Disposition"]
    header.encode("ascii")  # no raw non-ASCII in a header
    params = _parameters(header)
    fallback = params["filename"]
    assert fallback.startswith('"') and fallback.endswith('"') and '"' not in fallback[1:-1]
    assert params["filename*"].startswith("UTF-8''")
    assert unquote(params["filename*"].removeprefix("UTF-8''")) == 'Rév "7";x=1.csv'


def test_an_old_reference_downloads_through_the_api_and_the_page(client_for, buyer, contract) -> None:
    Contract.objects.filter(pk=contract.pk).update(reference=OLD_REFERENCE)  # as an old row holds it
    client = client_for(buyer)

    for url in (f"/api/contracts/{contract.pk}/audit/export/", f"/contracts/{contract.pk}/audit/?format=csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        header = response["Content-Disposition"]
        header.encode("ascii")
        fallback = _parameters(header)["filename"]
        assert '"' not in fallback[1:-1] and ";" not in fallback
        assert fallback.endswith('-audit.csv"')
        assert b"".join(response.streaming_content).decode().startswith("seq,at,actor")
