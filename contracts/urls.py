from django.urls import path

from contracts import views

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
]
