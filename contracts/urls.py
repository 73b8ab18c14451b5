from django.urls import path

from contracts import views, views_routine

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/documents/<int:doc_id>/", views.document_download, name="document"),
    path("<int:pk>/amend/", views.version_amend, name="amend"),
    path("<int:pk>/audit/", views.contract_audit, name="audit"),
    path("<int:pk>/versions/", views.version_list, name="versions"),
    path("<int:pk>/versions/diff/", views.version_diff, name="diff"),
    path("<int:pk>/versions/<int:number>/edit/", views.version_edit, name="version_edit"),
    path("<int:pk>/versions/<int:number>/activate/", views.version_activate, name="version_activate"),
    path("<int:pk>/versions/<int:number>/schedule.pdf", views.schedule_pdf, name="schedule_pdf"),
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
