from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm
from gateway.api import gateway
from subscriptions.receiver import qualtrics_receiver

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("account/", include("accounts.urls")),
    path("", include("dashboard.urls")),
    path("", include("connections.urls")),
    path("c/<int:connection_id>/directory/", include("contacts.urls")),
    path("c/<int:connection_id>/", include("brandadmin.urls")),
    path("c/<int:connection_id>/surveys/", include("surveys.urls")),
    path("c/<int:connection_id>/distributions/", include("distributions.urls")),
    path("c/<int:connection_id>/responses/", include("responses.urls")),
    path("c/<int:connection_id>/console/", include("apiconsole.urls")),
    path("c/<int:connection_id>/workflows/", include("workflows.urls")),
    path("c/<int:connection_id>/keys/", include("gateway.urls")),
    path("c/<int:connection_id>/subscriptions/", include("subscriptions.urls")),
    path("hooks/qualtrics/<str:receiver_id>/", qualtrics_receiver, name="qualtrics_receiver"),
    path("api/qualtrics/<int:connection_id>/API/v3/<path:path>", gateway, name="gateway_api"),
]
