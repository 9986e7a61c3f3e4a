"""Form conventions shared by every screen: Bootstrap classes on widgets, dates in the user's zone, and
what a service refused shown on the form."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError

from .errors import error_text, explain


class PortalFormMixin:
    """Adds Bootstrap classes to every widget, and marks fields with errors as invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = ""
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        # Every error passes here: those of validation, and those a service adds after it.
        super().add_error(field, error)
        for name in self._errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", "").split():
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class PortalForm(PortalFormMixin, forms.Form):
    pass


class PortalModelForm(PortalFormMixin, forms.ModelForm):
    pass


class DateTimeLocalInput(forms.DateTimeInput):
    """An HTML datetime-local input; Django converts from the active (user's) time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_error(form, exc: Exception, *, explain: Callable[[Exception], dict] = explain) -> None:
    """Put what a service refused onto `form`: a ValidationError's messages on the fields they name (the
    rest, and a message for no field, above the form); an explainable error as one line above it."""
    if not isinstance(exc, ValidationError):
        form.add_error(None, error_text(explain(exc)))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
