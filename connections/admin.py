"""Django admin: connections (token set through a write-only field), shares, teams, alerts, audit.

Connections, shares and teams decide who may use a connection, so in the admin only superusers change
them; other staff may at most look (with Django's view permissions). Everyone else changes shares on the
connection's own screen (its managers) and teams on the portal's team screen (their managers).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group

from accounts.models import TeamManager
from web.admin import SafeAutocompleteMixin

from .models import AlertSent, AuditEvent, Connection, ConnectionShare
from .services import connection_admin_save, connection_delete, connection_share, connection_unshare
from .validators import validate_token_shape


class ReadOnlyAdminMixin:
    """Records that are history: visible, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GrantsAccessAdminMixin:
    """Pages that grant access to connections: changed by superusers only, never through is_staff or a
    model permission alone."""

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ConnectionAdminForm(forms.ModelForm):
    new_token = forms.CharField(
        label="New API token",
        required=False,
        max_length=64,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the saved token; it is stored encrypted and never shown.",
    )

    class Meta:
        model = Connection
        fields = (
            "owner",
            "name",
            "description",
            "enabled",
            "datacenter",
            "qualtrics_username",
            "expires_on",
            "notify_days_before",
            "notify_emails",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["new_token"].required = True
            self.fields["new_token"].label = "API token"
            self.fields["new_token"].help_text = "Stored encrypted and never shown again."

    def clean_new_token(self):
        token = self.cleaned_data.get("new_token") or ""
        if token and self.instance.uses_oauth:
            raise forms.ValidationError(
                "This connection signs in with an OAuth client: rotate its secret on the connection's page."
            )
        if token:
            validate_token_shape(token)
        return token


class ConnectionShareInline(SafeAutocompleteMixin, GrantsAccessAdminMixin, admin.TabularInline):
    model = ConnectionShare
    extra = 0
    autocomplete_fields = ("user", "team")
    fields = ("user", "team", "role", "created_at")
    readonly_fields = ("created_at",)


# Facts the portal learns from Qualtrics: shown, never edited.
LEARNED_FIELDS = (
    "brand_id",
    "qualtrics_user_id",
    "qualtrics_user_name",
    "account_type",
    "reported_datacenter",
    "suggested_datacenter",
    "last_checked_at",
    "last_check_ok",
    "last_check_error",
    "token_rejected_at",
    "created_at",
    "updated_at",
)
# An OAuth connection's client, shown and never edited here; its secret is not shown at all, not even in part.
OAUTH_FIELDS = ("auth_kind", "oauth_client_id", "oauth_scopes_requested", "oauth_scopes_granted")


@admin.register(Connection)
class ConnectionAdmin(SafeAutocompleteMixin, GrantsAccessAdminMixin, admin.ModelAdmin):
    form = ConnectionAdminForm
    inlines = [ConnectionShareInline]
    list_display = (
        "name",
        "owner",
        "datacenter",
        "brand_id",
        "token_masked",
        "expires_on",
        "enabled",
        "last_check_ok",
        "token_rejected_at",
    )
    list_filter = ("enabled", "datacenter", "last_check_ok")
    search_fields = ("name", "brand_id", "owner__username", "qualtrics_user_name")
    autocomplete_fields = ("owner",)
    readonly_fields = ("token_masked", *OAUTH_FIELDS, *LEARNED_FIELDS)
    fieldsets = (
        (None, {"fields": ("owner", "name", "description", "enabled")}),
        (
            "Qualtrics credentials",
            {"fields": ("datacenter", "new_token", "token_masked", *OAUTH_FIELDS, "qualtrics_username")},
        ),
        ("Expiration and alerts", {"fields": ("expires_on", "notify_days_before", "notify_emails")}),
        (
            "Learned from Qualtrics",
            {"fields": LEARNED_FIELDS},
        ),
    )

    @admin.display(description="saved credentials")
    def token_masked(self, obj):
        if obj.uses_oauth:
            return f"OAuth client {obj.oauth_client_id}"
        return obj.token_mask or "—"

    def save_model(self, request, obj, form, change):
        connection_admin_save(
            connection=obj,
            actor=request.user,
            token=form.cleaned_data.get("new_token") or "",
            changed=list(form.changed_data),
            adding=not change,
        )

    def delete_model(self, request, obj):
        connection_delete(connection=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for connection in queryset:
            connection_delete(connection=connection, actor=request.user)

    def save_formset(self, request, form, formset, change):
        """Shares edited inline go through the services, so each change is audited."""
        connection = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            share = deleted.instance
            if share.pk:
                connection_unshare(connection=connection, actor=request.user, share_id=share.pk)
                formset.deleted_objects.append(share)
        for share_form in formset.forms:
            if share_form in formset.deleted_forms or not share_form.has_changed():
                continue
            data = share_form.cleaned_data
            if not data or (not data.get("user") and not data.get("team")):
                continue
            previous = share_form.instance if share_form.instance.pk else None
            if previous is not None and (previous.user_id, previous.team_id) != (
                getattr(data.get("user"), "pk", None),
                getattr(data.get("team"), "pk", None),
            ):
                connection_unshare(connection=connection, actor=request.user, share_id=previous.pk)
                previous = None
            saved = connection_share(
                connection=connection,
                actor=request.user,
                user=data.get("user"),
                team=data.get("team"),
                role=data["role"],
            )
            if previous is None:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, share_form.changed_data))


@admin.register(ConnectionShare)
class ConnectionShareAdmin(SafeAutocompleteMixin, GrantsAccessAdminMixin, admin.ModelAdmin):
    list_display = ("connection", "user", "team", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("connection__name", "user__username", "team__name")
    autocomplete_fields = ("connection", "user", "team")

    def save_model(self, request, obj, form, change):
        if change and obj.pk:
            old = ConnectionShare.objects.get(pk=obj.pk)
            if (old.user_id, old.team_id, old.connection_id) != (obj.user_id, obj.team_id, obj.connection_id):
                connection_unshare(connection=old.connection, actor=request.user, share_id=old.pk)
        share = connection_share(
            connection=obj.connection, actor=request.user, user=obj.user, team=obj.team, role=obj.role
        )
        obj.pk = share.pk

    def delete_model(self, request, obj):
        connection_unshare(connection=obj.connection, actor=request.user, share_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for share in queryset.select_related("connection"):
            connection_unshare(connection=share.connection, actor=request.user, share_id=share.pk)


@admin.register(AlertSent)
class AlertSentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sent_at", "connection", "kind", "key", "recipient_count")
    list_filter = ("kind",)
    search_fields = ("connection__name", "recipients")
    date_hierarchy = "sent_at"

    @admin.display(description="recipients")
    def recipient_count(self, obj):
        return len([r for r in obj.recipients.splitlines() if r.strip()])


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "connection_label", "action", "target", "outcome", "request_id")
    list_filter = ("outcome", "action")
    search_fields = ("actor_label", "connection_label", "action", "target", "request_id", "detail")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "connection")


# --- teams (Django groups): members editable on the team itself, with its connection shares ---------


class TeamAdminForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
    )

    class Meta:
        model = Group
        fields = ("name", "members", "permissions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = self.instance.user_set.all()


class TeamShareInline(admin.TabularInline):
    model = ConnectionShare
    fk_name = "team"
    extra = 0
    fields = ("connection", "role", "created_at")
    readonly_fields = ("connection", "role", "created_at")
    can_delete = False
    verbose_name = "connection shared with this team"
    verbose_name_plural = "connections shared with this team (change them on the connection)"

    def has_add_permission(self, request, obj=None):
        return False


class TeamManagerInline(SafeAutocompleteMixin, GrantsAccessAdminMixin, admin.TabularInline):
    model = TeamManager
    extra = 0
    autocomplete_fields = ("user",)
    verbose_name = "manager (changes the team's members in the portal)"
    verbose_name_plural = "managers (they change the team's members in the portal)"


admin.site.unregister(Group)


@admin.register(Group)
class TeamAdmin(GrantsAccessAdminMixin, BaseGroupAdmin):
    form = TeamAdminForm
    inlines = [TeamManagerInline, TeamShareInline]
    list_display = ("name", "member_count")

    @admin.display(description="members")
    def member_count(self, obj):
        return obj.user_set.count()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.user_set.set(form.cleaned_data.get("members") or [])
