"""What every contracts API view shares: the error responses, the path parameters, the contract-scoped mixin."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request

from contracts.access import get_visible_contract
from contracts.models import Contract
from core.api import error_responses

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field path to its messages.",
    403: "Not permitted: you may see the contract but not do this.",
    404: "No such contract (or you may not see it), or no such item on it.",
    409: "The object's state does not allow this: `state` and `allowed` say what does.",
}


def errors(*codes: int, media_type: str | None = None) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, media_type=media_type, texts=_ERROR_TEXT)


CONTRACT_PK = OpenApiParameter("contract_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Contract id.")
NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="SLA version number.")


class ContractScopedMixin:
    """Resolves ``self.contract`` through the visibility rule before any handler
    runs: a contract the user may not see is 404 on every nested route."""

    contract: Contract
    kwargs: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self.contract = get_visible_contract(request.user, kwargs["contract_pk"])

    def schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)
