"""Forms of the responses screens: an export's options (now or on a schedule), a response to open, embedded
data to set, a file of responses to import. They only validate; services act."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import validate_email

from web.forms import DateTimeLocalInput, PortalForm

from .models import ExportSchedule, Format
from .services.exports import METADATA_FIELDS

RESPONSE_ID = re.compile(r"R_[A-Za-z0-9]{1,40}")
EMBEDDED_NAME_MAX = 200
IMPORT_MAX_BYTES = 5 * 1024 * 1024  # what Qualtrics accepts in one import request


def _limit_field() -> forms.IntegerField:
    field = forms.IntegerField(label="At most this many responses", required=False, min_value=1,
                               max_value=10_000_000, help_text="Empty: every response.")
    field.error_messages["min_value"] = ("A limit is a whole number of at least 1 (leave it empty for every "
                                         "response).")
    field.error_messages["invalid"] = "A limit is a whole number of at least 1."
    return field


class ExportOptionsForm(PortalForm):
    """What a file holds, and how; shared by "export now" and schedules."""

    format = forms.ChoiceField(label="Format", choices=Format.choices, initial=Format.CSV)
    use_labels = forms.BooleanField(label="Choice texts instead of coded values", required=False,
                                    help_text="Not for JSON and NDJSON, which hold both.")
    in_progress = forms.BooleanField(label="Only responses still in progress", required=False,
                                     help_text="Qualtrics exports either recorded responses or those in progress.")
    filter_id = forms.ChoiceField(label="Saved filter", required=False, choices=[("", "None: every response")])
    question_ids = forms.MultipleChoiceField(label="Questions", required=False, widget=forms.CheckboxSelectMultiple,
                                             help_text="None ticked: every question.")
    metadata_ids = forms.MultipleChoiceField(label="Metadata", required=False, choices=METADATA_FIELDS,
                                             widget=forms.CheckboxSelectMultiple,
                                             help_text="None ticked: every metadata field.")
    embedded_ids = forms.CharField(label="Embedded data fields", required=False, max_length=4000,
                                   help_text="Names separated by commas. Empty: every field.")
    limit = _limit_field()
    breakout_sets = forms.BooleanField(label="A column per choice of multiple-answer questions", required=False,
                                       initial=True)
    newline_replacement = forms.CharField(label="Replace line breaks in answers with", required=False,
                                          max_length=10, strip=False,
                                          help_text="For example a space or “ | ”. Empty: keep them.")

    def __init__(self, *args, filters=(), questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filter_id"].choices = [("", "None: every response"), *filters]
        self.fields["question_ids"].choices = list(questions)
        if not questions:
            self.fields["question_ids"].help_text = "The survey's questions could not be read: every question."

    def clean_embedded_ids(self) -> list[str] | None:
        names = [name.strip() for name in self.cleaned_data["embedded_ids"].split(",") if name.strip()]
        for name in names:
            if len(name) > EMBEDDED_NAME_MAX:
                raise forms.ValidationError(f"An embedded data name has at most {EMBEDDED_NAME_MAX} characters.")
        return names or None

    def options(self, *, time_zone: str, starts=None, ends=None) -> dict:
        """The keyword arguments of services.export_body for what was chosen."""
        data = self.cleaned_data
        return {
            "fmt": data["format"], "use_labels": data["use_labels"], "in_progress": data["in_progress"],
            "filter_id": data.get("filter_id") or "", "question_ids": data["question_ids"] or None,
            "metadata_ids": data["metadata_ids"] or None, "embedded_ids": data["embedded_ids"],
            "limit": data["limit"], "breakout_sets": data["breakout_sets"],
            "newline_replacement": data["newline_replacement"], "time_zone": time_zone, "starts": starts,
            "ends": ends,
        }


class ExportForm(ExportOptionsForm):
    starts = forms.DateTimeField(label="Recorded from", required=False, widget=DateTimeLocalInput(),
                                 help_text="In your time zone. Empty: from the first response.")
    ends = forms.DateTimeField(label="Recorded before", required=False, widget=DateTimeLocalInput(),
                               help_text="In your time zone. Empty: up to now.")
    field_order = ["format", "starts", "ends"]

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The window ends before it starts: “Recorded before” must come after "
                                   "“Recorded from”.")
        return data


class ScheduleForm(ExportOptionsForm):
    name = forms.CharField(label="Name", max_length=200)
    frequency = forms.ChoiceField(label="Runs", choices=ExportSchedule.Frequency.choices)
    minute = forms.IntegerField(label="Minute past the hour", required=False, min_value=0, max_value=59,
                                initial=0, help_text="Hourly runs.")
    time_of_day = forms.TimeField(label="At", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                                  help_text="Daily and weekly runs, in your time zone.")
    weekday = forms.TypedChoiceField(label="On", required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), *enumerate(("Monday", "Tuesday", "Wednesday", "Thursday",
                                                                     "Friday", "Saturday", "Sunday"))],
                                     help_text="Weekly runs.")
    incremental = forms.BooleanField(label="Only the responses recorded since the previous run", required=False,
                                     initial=True, help_text="Off: every run exports every response.")
    notify_emails = forms.CharField(label="E-mail", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text="One address per line.")
    notify_on = forms.ChoiceField(label="Send an e-mail", choices=ExportSchedule.Notify.choices,
                                  initial=ExportSchedule.Notify.FAILURE)
    field_order = ["name", "frequency", "minute", "time_of_day", "weekday", "incremental", "notify_emails",
                   "notify_on", "format"]

    def clean_notify_emails(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["notify_emails"].splitlines() if line.strip()]
        for line in lines:
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{line}” is not an e-mail address.") from None
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        frequency = data.get("frequency")
        if frequency == ExportSchedule.Frequency.HOURLY and data.get("minute") is None:
            self.add_error("minute", "Say at which minute of each hour it runs.")
        if frequency in (ExportSchedule.Frequency.DAILY, ExportSchedule.Frequency.WEEKLY) and not data.get(
                "time_of_day"):
            self.add_error("time_of_day", "Say at what time it runs.")
        if frequency == ExportSchedule.Frequency.WEEKLY and data.get("weekday") is None:
            self.add_error("weekday", "Say on which day of the week it runs.")
        if data.get("incremental") and data.get("filter_id"):
            self.add_error("filter_id", "Qualtrics cannot continue an export through a saved filter: choose "
                                        "“None”, or export every response at each run.")
        if data.get("notify_on") != ExportSchedule.Notify.NEVER and not data.get("notify_emails"):
            self.add_error("notify_emails", "Give at least one address to e-mail, or choose “Nobody”.")
        return data


class ResponseFindForm(PortalForm):
    response_id = forms.CharField(label="Response ID", max_length=60,
                                  widget=forms.TextInput(attrs={"placeholder": "R_…", "autofocus": True}))

    def clean_response_id(self) -> str:
        value = self.cleaned_data["response_id"].strip()
        if not RESPONSE_ID.fullmatch(value):
            raise forms.ValidationError("A response ID is R_ followed by letters and digits, such as "
                                        "R_1a2B3c4D5e6F7g8.")
        return value


class EmbeddedDataForm(PortalForm):
    name = forms.CharField(label="Field", max_length=EMBEDDED_NAME_MAX)
    value = forms.CharField(label="Value", required=False, max_length=1024, strip=False)


class ImportForm(PortalForm):
    file = forms.FileField(label="Responses (CSV or TSV)", allow_empty_file=True,
                           help_text="In Qualtrics' export layout: the column names, optionally the question "
                                     "texts and the import IDs rows, then one response per row. At most 5 MB.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.tsv,text/csv,text/tab-separated-values"


