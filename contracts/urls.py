"""Pages of contracts (mounted by config.urls).

``api_urlpatterns``: Routes of the contracts API, included under ``api/`` by config.urls.

Contracts themselves go through a router; everything that hangs off one
contract is an explicit ``path()`` with ``contract_pk`` (each of those views
resolves the contract through the visibility rule first).
(mounted under ``api/`` as the ``contracts-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from contracts import api, views
from contracts.api.invitations import ContractInvitationViewSet
from contracts.onboarding import api as api_routine
from contracts.onboarding import views as views_routine
from contracts.setup import urls as setup_urls
from contracts.setup.api import ContactDetailViewSet

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("invitations/<int:pk>/answer/", views.invitation_answer, name="invitation_answer"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/documents/<int:doc_id>/", views.document_download, name="document"),
    path("<int:pk>/amend/", views.version_amend, name="amend"),
    path("<int:pk>/audit/", views.contract_audit, name="audit"),
    *setup_urls.urlpatterns,  # contacts, board, documents
    path("<int:pk>/versions/", views.version_list, name="versions"),
    path("<int:pk>/versions/diff/", views.version_diff, name="diff"),
    path("<int:pk>/versions/<int:number>/edit/", views.version_edit, name="version_edit"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/versions/<int:number>/accept/", views.version_accept, name="version_accept"),
    *[
        path(
            f"<int:pk>/versions/<int:number>/{action}/", views.version_act, {"action": action}, name=f"version_{action}"
        )
        for action in ("propose", "reject", "withdraw", "counter", "comment")
    ],
    path("<int:pk>/versions/<int:number>/activate/", views.version_activate, name="version_activate"),
    path("<int:pk>/versions/<int:number>/schedule.pdf", views.schedule_pdf, name="schedule_pdf"),
    *[
        path(
            f"<int:pk>/termination-right/{action}/",
            views.termination_right,
            {"action": action},
            name=f"termination_{action}",
        )
        for action in ("exercise", "waive")
    ],
    # the working routine (onboarding, training, playbook, RACI, feedback)
    path("<int:pk>/routine/", views_routine.routine, name="routine"),
    path("<int:pk>/routine/items/add/", views_routine.item_add, name="routine_item_add"),
    path("<int:pk>/routine/items/<int:item_id>/file/", views_routine.item_file, name="routine_item_file"),
    path("<int:pk>/routine/items/<int:item_id>/<slug:action>/", views_routine.item_action, name="routine_item"),
    path("<int:pk>/routine/resources/add/", views_routine.resource_add, name="routine_resource_add"),
    path(
        "<int:pk>/routine/resources/<int:resource_id>/confirm/",
        views_routine.resource_confirm,
        name="routine_resource_confirm",
    ),
    path(
        "<int:pk>/routine/resources/<int:resource_id>/file/", views_routine.resource_file, name="routine_resource_file"
    ),
    path("<int:pk>/routine/feedback/add/", views_routine.feedback_add, name="routine_feedback_add"),
    path(
        "<int:pk>/routine/feedback/<int:feedback_id>/<slug:action>/",
        views_routine.feedback_action,
        name="routine_feedback",
    ),
    path("onboarding-templates/", views_routine.template_list, name="onboarding_templates"),
    path("onboarding-templates/new/", views_routine.template_edit, name="onboarding_template_new"),
    path("onboarding-templates/<int:template_id>/", views_routine.template_edit, name="onboarding_template_edit"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("contracts", api.ContractViewSet, basename="contract")
router.register("contract-invitations", ContractInvitationViewSet, basename="contract-invitation")

versions = api.SLAVersionViewSet
audit = api.ContractAuditViewSet
board = api.BoardSeatViewSet
contacts = api.ContactViewSet
documents = api.DocumentViewSet
termination = api.TerminationRightViewSet

api_urlpatterns = [
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
    *[
        path(
            f"contracts/<int:contract_pk>/sla-versions/<int:number>/{action}/",
            versions.as_view({"post": action}),
            name=f"sla-version-{action}",
        )
        for action in ("propose", "accept", "reject", "withdraw", "counter")
    ],
    path(
        "contracts/<int:contract_pk>/sla-versions/<int:number>/comments/",
        versions.as_view({"get": "comments", "post": "comment"}),
        name="sla-version-comments",
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
        "contracts/<int:contract_pk>/contacts/<int:pk>/",
        ContactDetailViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="contact-detail",
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
    path(
        "contracts/<int:contract_pk>/termination-right/exercise/",
        termination.as_view({"post": "exercise"}),
        name="termination-right-exercise",
    ),
    path(
        "contracts/<int:contract_pk>/termination-right/waive/",
        termination.as_view({"post": "waive"}),
        name="termination-right-waive",
    ),
    # the working routine
    *[
        path(f"contracts/<int:contract_pk>/{prefix}/", view.as_view(list_actions), name=f"{name}-list")
        for prefix, view, name, list_actions in (
            ("onboarding", api_routine.OnboardingItemViewSet, "onboarding-item", {"get": "list", "post": "create"}),
            ("resources", api_routine.TrainingResourceViewSet, "resource", {"get": "list", "post": "create"}),
            ("feedback", api_routine.FeedbackViewSet, "feedback", {"get": "list", "post": "create"}),
        )
    ],
    path(
        "contracts/<int:contract_pk>/onboarding/<int:pk>/",
        api_routine.OnboardingItemViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="onboarding-item-detail",
    ),
    *[
        path(
            f"contracts/<int:contract_pk>/onboarding/<int:pk>/{action.replace('_', '-')}/",
            api_routine.OnboardingItemViewSet.as_view({method: action}),
            name=f"onboarding-item-{action.replace('_', '-')}",
        )
        for method, action in (("post", "done"), ("post", "waive"), ("post", "evidence"), ("get", "evidence_file"))
    ],
    path(
        "contracts/<int:contract_pk>/resources/<int:pk>/",
        api_routine.TrainingResourceViewSet.as_view({"get": "retrieve"}),
        name="resource-detail",
    ),
    path(
        "contracts/<int:contract_pk>/resources/<int:pk>/confirm/",
        api_routine.TrainingResourceViewSet.as_view({"post": "confirm"}),
        name="resource-confirm",
    ),
    path(
        "contracts/<int:contract_pk>/resources/<int:pk>/file/",
        api_routine.TrainingResourceViewSet.as_view({"get": "file"}),
        name="resource-file",
    ),
    path(
        "contracts/<int:contract_pk>/feedback/<int:pk>/",
        api_routine.FeedbackViewSet.as_view({"get": "retrieve"}),
        name="feedback-detail",
    ),
    path(
        "contracts/<int:contract_pk>/feedback/<int:pk>/respond/",
        api_routine.FeedbackViewSet.as_view({"post": "respond"}),
        name="feedback-respond",
    ),
    path(
        "contracts/<int:contract_pk>/feedback/<int:pk>/close/",
        api_routine.FeedbackViewSet.as_view({"post": "close"}),
        name="feedback-close",
    ),
    path("contracts/<int:contract_pk>/raci/", api_routine.RaciView.as_view(), name="raci"),
    path("contracts/<int:contract_pk>/playbook/", api_routine.PlaybookView.as_view(), name="playbook"),
]
