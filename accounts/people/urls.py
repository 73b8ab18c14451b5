"""The people pages, mounted at the site root by config.urls:
``settings/people/``, ``settings/organizations/new/`` and the invitation link ``invitations/<token>/``."""

from django.urls import path

from accounts.people import api, views

app_name = "people"

urlpatterns = [
    path("settings/people/", views.people, name="list"),
    path("settings/people/invite/", views.invite, name="invite"),
    *[
        path(
            f"settings/people/invitations/<int:pk>/{action}/",
            views.invitation_action,
            {"action": action},
            name=f"invitation_{action}",
        )
        for action in ("resend", "revoke")
    ],
    *[
        path(
            f"settings/people/members/<int:pk>/{action}/",
            views.member_action,
            {"action": action},
            name=f"member_{action}",
        )
        for action in ("update", "deactivate", "reactivate")
    ],
    path("settings/organizations/new/", views.organization_new, name="organization_new"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]

# Mounted under ``api/`` as the ``people-api`` namespace by config.urls.
api_urlpatterns = [
    path(
        "organizations/<int:organization_pk>/invitations/",
        api.InvitationViewSet.as_view({"get": "list", "post": "create"}),
        name="invitation-list",
    ),
    *[
        path(
            f"organizations/<int:organization_pk>/invitations/<int:pk>/{action}/",
            api.InvitationViewSet.as_view({"post": action}),
            name=f"invitation-{action}",
        )
        for action in ("resend", "revoke")
    ],
    path(
        "organizations/<int:organization_pk>/members/",
        api.MemberViewSet.as_view({"get": "list"}),
        name="member-list",
    ),
    path(
        "organizations/<int:organization_pk>/members/<int:pk>/",
        api.MemberViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="member-detail",
    ),
]
