from django.urls import path

from . import views

app_name = "connections"
urlpatterns = [
    path("connections/", views.connection_list, name="connection_list"),
    path("connections/new/", views.ConnectionCreateView.as_view(), name="connection_create"),
    path("c/<int:connection_id>/", views.ConnectionDetailView.as_view(), name="connection_detail"),
    path("c/<int:connection_id>/edit/", views.ConnectionEditView.as_view(), name="connection_edit"),
    path("c/<int:connection_id>/rotate/", views.ConnectionRotateView.as_view(), name="connection_rotate"),
    path("c/<int:connection_id>/test/", views.connection_test, name="connection_test"),
    path("c/<int:connection_id>/expiry-banner/hide/", views.expiry_banner_hide, name="expiry_banner_hide"),
    path("c/<int:connection_id>/expiry-alert/", views.connection_expiry_alert, name="connection_expiry_alert"),
    path("c/<int:connection_id>/datacenter/", views.connection_fix_datacenter, name="connection_fix_datacenter"),
    path("c/<int:connection_id>/share/", views.connection_share, name="connection_share"),
    path(
        "c/<int:connection_id>/share/<int:share_id>/remove/",
        views.connection_unshare,
        name="connection_unshare",
    ),
    path("c/<int:connection_id>/delete/", views.ConnectionDeleteView.as_view(), name="connection_delete"),
    path("c/<int:connection_id>/audit/", views.connection_audit, name="connection_audit"),
    path("c/<int:connection_id>/audit.csv", views.connection_audit_csv, name="connection_audit_csv"),
    path("c/<int:connection_id>/switch/", views.connection_switch, name="connection_switch"),
    path("connections/switcher/", views.switcher_search, name="switcher_search"),
]
