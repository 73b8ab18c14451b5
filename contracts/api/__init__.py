"""The contracts API: thin views over ``contracts.services``, re-exported from the modules below.

Each view parses with a serializer, finds what the user may see through the
one visibility rule (``Contract.objects.visible_to`` /
``contracts.access.get_visible_contract``: strangers get 404), lets the
service check the role (403 with the service's message) and the state (409),
and renders the result. Errors use the one shape of ``core.api``.

The package: ``base`` (error responses, path parameters, ``ContractScopedMixin``),
``contracts``, ``versions`` (SLA versions and their diff), ``trail`` (audit trail),
``board`` (board seats, contacts), ``documents`` and ``termination`` (the buyer's acts on the
termination right).
"""

from contracts.api.base import CONTRACT_PK, NUMBER, ContractScopedMixin, errors
from contracts.api.board import BoardSeatViewSet, ContactViewSet
from contracts.api.contracts import ContractFilter, ContractViewSet, IntegerFilter
from contracts.api.documents import DocumentViewSet
from contracts.api.termination import TerminationRightViewSet
from contracts.api.trail import AUDIT_CSV, ContractAuditViewSet, CSVRenderer
from contracts.api.versions import SLAVersionDiffView, SLAVersionViewSet

__all__ = [
    "AUDIT_CSV",
    "CONTRACT_PK",
    "NUMBER",
    "BoardSeatViewSet",
    "CSVRenderer",
    "ContactViewSet",
    "ContractAuditViewSet",
    "ContractFilter",
    "ContractScopedMixin",
    "ContractViewSet",
    "DocumentViewSet",
    "IntegerFilter",
    "SLAVersionDiffView",
    "SLAVersionViewSet",
    "TerminationRightViewSet",
    "errors",
]
