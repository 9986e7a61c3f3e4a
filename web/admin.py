"""Small mixins for the Django admin pages of the feature apps."""

from __future__ import annotations

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
