"""Simulator pages, included at ``simulator/`` by config.urls."""

from django.urls import path

from simulator import views

app_name = "simulator"

urlpatterns = [
    path("", views.index, name="index"),
    path("contract/<int:pk>/", views.contract_page, name="contract"),
    path("portfolio/", views.portfolio_page, name="portfolio"),
    path("scenarios/", views.scenario_list, name="scenarios"),
    path("scenarios/<int:pk>/", views.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/pdf/", views.scenario_pdf_view, name="scenario_pdf"),
    path("scenarios/<int:pk>/attach/", views.scenario_attach, name="scenario_attach"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete, name="scenario_delete"),
]
