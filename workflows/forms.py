"""Forms of the workflows app; every field drawn by the one field template."""

from __future__ import annotations

from django import forms

from web.forms import PortalForm

from .models import Auth
from .payloads import CONTACT_FIELDS
from .services.runs import SEARCH_COMPARISONS, SEARCH_FIELDS

EXAMPLE_TEMPLATE = (
    '{\n  "contactId": "{{contactId}}",\n  "email": "{{email}}",\n  "name": "{{firstName}} {{lastName}}"\n}'
)


class TriggerForm(PortalForm):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    url = forms.CharField(
        label="Trigger URL", max_length=2000,
        help_text="Copy it from the workflow's JSON event trigger in Qualtrics: …/inbound-event/v1/events/json/"
                  "triggers?urlTokenId=… (or the older form with contextId, userId, brandId and triggerId). It must be "
                  "on this connection's datacenter.",
        widget=forms.TextInput(attrs={"class": "mono", "spellcheck": "false", "autocomplete": "off"}),
    )
    auth = forms.ChoiceField(label="Authentication", choices=Auth.choices, initial=Auth.TOKEN,
                             widget=forms.RadioSelect)
    payload_template = forms.CharField(
        label="Payload template", strip=False, initial=EXAMPLE_TEMPLATE,
        help_text="JSON. Placeholders inside strings take the contact's fields: "
                  + ", ".join("{{" + name + "}}" for name in CONTACT_FIELDS)
                  + ", and {{embeddedData.Name}}.",
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
    )


class SendOneForm(PortalForm):
    payload = forms.CharField(
        label="Event (JSON)", strip=False,
        help_text="Sent as it is: valid JSON of at most 100 KB.",
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
    )
    contact_id = forms.CharField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(required=False, widget=forms.HiddenInput)


class ListRunForm(PortalForm):
    directory_id = forms.ChoiceField(label="Directory", choices=())
    mailing_list_id = forms.CharField(label="Mailing list", widget=forms.Select)
    skip_opted_out = forms.BooleanField(label="Leave out members who opted out", required=False, initial=True)

    def __init__(self, *args, directories=(), lists=(), lists_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directory_id"].choices = list(directories)
        self.fields["mailing_list_id"].widget.choices = [("", "— choose a mailing list —"), *lists]
        if lists_url and not lists:
            # The lists of the chosen directory are read from Qualtrics on load, and again when it changes.
            self.fields["mailing_list_id"].widget.attrs.update({
                "hx-get": lists_url, "hx-trigger": "load, change from:#id_directory_id", "hx-target": "this",
                "hx-include": "#id_directory_id", "hx-swap": "innerHTML",
            })


class SearchRunForm(PortalForm):
    directory_id = forms.ChoiceField(label="Directory", choices=())
    field = forms.ChoiceField(label="Contact field", choices=[(f, f) for f in SEARCH_FIELDS])
    key = forms.CharField(label="Embedded data field", required=False, help_text="Only when searching embedded data.")
    comparison = forms.ChoiceField(choices=[(c, {"eq": "is", "contains": "contains"}[c]) for c in SEARCH_COMPARISONS])
    value = forms.CharField(max_length=200)
    skip_opted_out = forms.BooleanField(label="Leave out contacts who opted out", required=False, initial=True)

    def __init__(self, *args, directories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directory_id"].choices = list(directories)
