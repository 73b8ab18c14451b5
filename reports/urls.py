from django.urls import path

from reports import views as views_reports

app_name = "reports"

urlpatterns = [
    path("", views_reports.report_index, name="index"),
    path("contract/<int:contract_pk>/", views_reports.contract_reports, name="contract_reports"),
    path("<int:pk>/", views_reports.report_detail, name="detail"),
    path("<int:pk>/pdf/", views_reports.report_pdf, name="pdf"),
    path("<int:pk>/revisions/", views_reports.report_revisions, name="revisions"),
]
