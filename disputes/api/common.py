"""What the credit ledger and disputes API share: the error texts of the schema, the enum
fields, the path parameters."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from core.api import enum_field, error_responses
from disputes.models import Dispute
from reports.models import Credit
from reports.services import ledger as ledger_services

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field (`outcome.credit_amount`, ...) to its messages.",
    403: "Not permitted: you may see it, but your role (or side) may not do this; `detail` says who may.",
    404: "No such credit or dispute (or you may not see it).",
    409: "The state does not allow this (or a window has closed): `state` and `allowed` say what does.",
}


def errors(*codes: int) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, texts=_ERROR_TEXT)


CreditStatusField = enum_field("CreditStatus", Credit.Status.choices)
CreditKindField = enum_field("CreditKind", Credit.Kind.choices)
CreditActionField = enum_field("CreditAction", [(a, a) for a in ledger_services.TRANSITIONS])
DisputeStatusField = enum_field("DisputeStatus", Dispute.Status.choices)
DisputeSubjectField = enum_field("DisputeSubject", Dispute.Subject.choices)
DisputeSideField = enum_field("DisputeSide", [("buyer", "Buyer"), ("vendor", "Vendor")])
DisputeActionField = enum_field("DisputeAction", [(a, a) for a in ("escalate", "comment", "resolve", "withdraw")])
DisputeStepActionField = enum_field(
    "DisputeStepAction",
    [(a, a) for a in ("opened", "escalated", "commented", "reminded", "resolved", "withdrawn")],
)

CREDIT_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Credit id.")
DISPUTE_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Dispute id.")


def username(user: Any) -> str | None:
    return user.get_username() if user is not None else None
