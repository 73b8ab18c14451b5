from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("import/", views.incident_import, name="import"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/playbook/<int:order>/tick/", views.playbook_tick, name="playbook_tick"),
    path("<int:pk>/<slug:action>/", views.incident_action, name="action"),
]
