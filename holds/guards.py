"""The check ``core.holds.assert_not_held`` runs (registered in ``HoldsConfig.ready``): which
contract a piece of evidence belongs to and the moment it is evidence of, matched against
``holds.selectors.holds_for``. Objects that are not evidence are never held."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import models

from audit.models import AuditEntry
from availability.models import MonitoringSource, NoDataSpan, Outage, RawPayload
from contracts.models import Contract, ContractDocument
from holds.selectors import holding, holds_for
from incidents.models import Incident, IncidentAttachment
from reports.models import Credit, ServiceReport

# obj -> (contract id, the moment it is evidence of; None: only a whole-contract hold holds it)
Locate = Callable[[models.Model], tuple[int | None, datetime | None]]


def _payload(obj: models.Model) -> tuple[int | None, datetime | None]:
    assert isinstance(obj, RawPayload)
    contract_id = MonitoringSource.objects.filter(pk=obj.source_id).values_list("contract_id", flat=True).first()
    return contract_id, obj.received_at


def _attachment(obj: models.Model) -> tuple[int | None, datetime | None]:
    assert isinstance(obj, IncidentAttachment)
    row = Incident.objects.filter(pk=obj.incident_id).values_list("contract_id", "opened_at").first()
    return (row[0], row[1]) if row else (None, None)


def _credit(obj: models.Model) -> tuple[int | None, datetime | None]:
    assert isinstance(obj, Credit)
    start = ServiceReport.objects.filter(pk=obj.report_id).values_list("period_start", flat=True).first()
    return obj.contract_id, start


LOCATE: dict[type[models.Model], Locate] = {
    RawPayload: _payload,
    IncidentAttachment: _attachment,
    Credit: _credit,
    Outage: lambda o: (getattr(o, "contract_id", None), getattr(o, "start", None)),
    NoDataSpan: lambda o: (getattr(o, "contract_id", None), getattr(o, "start", None)),
    Incident: lambda o: (getattr(o, "contract_id", None), getattr(o, "opened_at", None)),
    ServiceReport: lambda o: (getattr(o, "contract_id", None), getattr(o, "period_start", None)),
    AuditEntry: lambda o: (getattr(o, "contract_id", None), getattr(o, "at", None)),
    ContractDocument: lambda o: (getattr(o, "contract_id", None), None),
}


def hold_labels(obj: models.Model) -> list[str]:
    locate = LOCATE.get(type(obj))
    if locate is None:
        return []
    contract_id, at = locate(obj)
    contract = Contract.objects.filter(pk=contract_id).first() if contract_id is not None else None
    if contract is None:
        return []
    return [h.label for h in holding(holds_for(contract), at)]
