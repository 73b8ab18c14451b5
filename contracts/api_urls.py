"""Routes of the contracts API, included under ``api/`` by config.urls.

Contracts themselves go through a router; everything that hangs off one
contract is an explicit ``path()`` with ``contract_pk`` (each of those views
resolves the contract through the visibility rule first).
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from contracts import api

app_name = "contracts-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("contracts", api.ContractViewSet, basename="contract")

versions = api.SLAVersionViewSet
audit = api.ContractAuditViewSet
board = api.BoardSeatViewSet
contacts = api.ContactViewSet
documents = api.DocumentViewSet

urlpatterns = [
    *router.urls,
    path(
        "contracts/<int:contract_pk>/sla-versions/",
        versions.as_view({"get": "list", "post": "create"}),
        name="sla-version-list",
    ),
    path(
        "contracts/<int:contract_pk>/sla-versions/amend/", versions.as_view({"post": "amend"}), name="sla-version-amend"
    ),
    path("contracts/<int:contract_pk>/sla-versions/diff/", api.SLAVersionDiffView.as_view(), name="sla-version-diff"),
    path(
        "contracts/<int:contract_pk>/sla-versions/<int:number>/",
        versions.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="sla-version-detail",
    ),
    path(
        "contracts/<int:contract_pk>/sla-versions/<int:number>/activate/",
        versions.as_view({"post": "activate"}),
        name="sla-version-activate",
    ),
    path("contracts/<int:contract_pk>/in-force/", versions.as_view({"get": "in_force"}), name="sla-version-in-force"),
    path("contracts/<int:contract_pk>/audit/", audit.as_view({"get": "list"}), name="contract-audit"),
    path("contracts/<int:contract_pk>/audit/export/", audit.as_view({"get": "export"}), name="contract-audit-export"),
    path("contracts/<int:contract_pk>/board/", board.as_view({"get": "list", "post": "create"}), name="board-list"),
    path("contracts/<int:contract_pk>/board/<int:pk>/", board.as_view({"delete": "destroy"}), name="board-detail"),
    path(
        "contracts/<int:contract_pk>/contacts/",
        contacts.as_view({"get": "list", "post": "create"}),
        name="contact-list",
    ),
    path(
        "contracts/<int:contract_pk>/documents/",
        documents.as_view({"get": "list", "post": "create"}),
        name="document-list",
    ),
    path(
        "contracts/<int:contract_pk>/documents/<int:pk>/",
        documents.as_view({"get": "retrieve"}),
        name="document-detail",
    ),
    path(
        "contracts/<int:contract_pk>/documents/<int:pk>/download/",
        documents.as_view({"get": "download"}),
        name="document-download",
    ),
]
