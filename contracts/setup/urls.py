"""Routes of the setup page, spliced into contracts.urls (the ``contracts`` namespace)."""

from django.urls import path

from contracts.setup import views

urlpatterns = [
    path("<int:pk>/setup/", views.setup_page, name="setup"),
    path("<int:pk>/setup/contacts/add/", views.contact_add, name="setup_contact_add"),
    path("<int:pk>/setup/contacts/<int:contact_id>/remove/", views.contact_remove, name="setup_contact_remove"),
    path("<int:pk>/setup/board/add/", views.seat_add, name="setup_seat_add"),
    path("<int:pk>/setup/board/<int:seat_id>/remove/", views.seat_remove, name="setup_seat_remove"),
    path("<int:pk>/setup/documents/upload/", views.document_upload, name="setup_document_upload"),
    path("<int:pk>/setup/documents/<int:doc_id>/remove/", views.document_remove, name="setup_document_remove"),
]
