"""The Django admin site of the portal, and small mixins for the admin pages of the feature apps."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


def _valid_keys(field, values) -> list:
    """The values that can be keys of the model `field` points to (the rest cannot match a row)."""
    target = field.target_field
    kept = []
    for value in values:
        try:
            target.run_validators(target.to_python(value))
        except ValidationError:
            continue
        kept.append(value)
    return kept


class _SafeOptgroups:
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _valid_keys(self.field, value), attr)


class SafeAutocompleteSelect(_SafeOptgroups, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_SafeOptgroups, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """Django's autocomplete widget looks up the selected value to show its label. A value that cannot be
    a key (`?owner=x` on an add page, or a posted form shown again with `team=²` or a number past the
    column's range) made that query fail with a server error; such a value now shows as no choice and the
    form says it is not a valid choice. For ModelAdmin and inlines alike."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and type(field.widget) is AutocompleteSelect:
            field.widget.__class__ = SafeAutocompleteSelect
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and type(field.widget) is AutocompleteSelectMultiple:
            field.widget.__class__ = SafeAutocompleteSelectMultiple
        return field


class SafeToFieldMixin:
    """Django's change page looks a field named by ?_to_field= up even when the value is empty, and fails
    with a server error; an empty one now means none, as it does everywhere else in the admin."""

    def get_object(self, request, object_id, from_field=None):
        return super().get_object(request, object_id, from_field or None)


class PortalAdminSite(admin.AdminSite):
    """The admin site: every model admin registered on it, the portal's and other packages' alike, gets
    SafeToFieldMixin."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeToFieldMixin):
            admin_class = type(admin_class.__name__, (SafeToFieldMixin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        return super().register(model_or_iterable, admin_class, **options)


class PortalAdminConfig(AdminConfig):
    default_site = "web.admin.PortalAdminSite"
