"""Forms of the surveys screens, and the survey picker every form that chooses a survey uses."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from web.forms import DateTimeLocalInput, PortalForm

from .qsf import MAX_BYTES
from .selectors import SORTS, Owners
from .services import NAME_MAX

STATUS_CHOICES = [("", "Any status"), ("active", "Active"), ("inactive", "Inactive"),
                  ("closed", "Closed by its window")]


class SurveySearchForm(PortalForm):
    q = forms.CharField(label="Name", required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words of the name"}))
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    owner = forms.ChoiceField(label="Owner", required=False, choices=[("", "Anyone")])
    sort = forms.ChoiceField(label="Order", required=False,
                             choices=[("", "As Qualtrics lists them"), *((k, v[0]) for k, v in SORTS.items())])

    def __init__(self, *args, owners: Callable[[], Owners] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        asked = (self.data.get("owner") or "").strip() if self.is_bound else ""

        def owner_choices() -> list[tuple[str, str]]:
            # Called only when the choices are drawn or an owner is checked: the brand's users are read
            # while the survey list is, not before it.
            known = owners().choices() if owners is not None else []
            if asked and asked not in dict(known):
                known.append((asked, asked))  # an owner known only by ID stays selectable
            return [("", "Anyone"), *known]

        self.fields["owner"].choices = owner_choices


def name_field(**kwargs) -> forms.CharField:
    # No maxlength attribute: a longer name is refused with a message saying how long it is.
    field = forms.CharField(label=kwargs.pop("label", "Name"), max_length=NAME_MAX, **kwargs)
    field.widget.attrs.pop("maxlength", None)
    field.error_messages["max_length"] = (f"A survey name may be at most {NAME_MAX} characters; "
                                          "this one has %(show_value)d.")
    return field


class RenameForm(PortalForm):
    name = name_field()


class WindowForm(PortalForm):
    starts = forms.DateTimeField(label="Opens", required=False, widget=DateTimeLocalInput(),
                                 help_text="In your time zone. Empty: open from now on.")
    ends = forms.DateTimeField(label="Closes", required=False, widget=DateTimeLocalInput(),
                               help_text="In your time zone. Empty: it never closes by itself.")


class CopyForm(PortalForm):
    name = name_field(label="Name of the copy")
    owner = forms.ChoiceField(label="Owner of the copy", required=False)

    def __init__(self, *args, owners: Owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "The connection's Qualtrics user"), *owners.choices()]
        if owners.error:
            self.fields["owner"].help_text = owners.error


class ImportForm(PortalForm):
    name = name_field(required=False, help_text="Empty: the name written in the file.")
    file = forms.FileField(label="Survey file (.qsf)", allow_empty_file=True,
                           help_text=f"A Qualtrics Survey Format file, as Qualtrics exports it; at most "
                                     f"{MAX_BYTES // 1024 // 1024} MB.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".qsf,application/vnd.qualtrics.survey.qsf,application/json"


class SurveyPickerSelect(forms.Select):
    """The survey picker's select: its options are loaded by htmx from the connection (templates/surveys/
    _picker.html draws it with its search box and the warning shown when the chosen survey is inactive).
    The current value stays selected until the options arrive."""

    def get_context(self, name, value, attrs):
        self.choices = [("", "—")] + ([(value, value)] if value else [])
        return super().get_context(name, value, attrs)


def survey_picker_field(**kwargs) -> forms.CharField:
    return forms.CharField(label=kwargs.pop("label", "Survey"), required=kwargs.pop("required", False),
                           widget=SurveyPickerSelect(), **kwargs)
