from django.urls import path

from accounts.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.security, name="security"),
    path("people/<int:user_id>/", views.person_sign_ins, name="person_sign_ins"),
]
