from __future__ import annotations

from django import forms

from surveys.forms import survey_picker_field
from web.forms import PortalForm

from .models import DestinationKind, EmailMode, Topic


class SubscriptionForm(PortalForm):
    survey_id = survey_picker_field(required=True)
    kind = forms.ChoiceField(label="Topic", choices=Topic.choices, initial=Topic.COMPLETED,
                             help_text="Qualtrics posts each event of this topic for the survey to the portal.")
    answer_fields = forms.CharField(
        label="Answers to show", required=False, max_length=500,
        help_text="Response fields the live feed, the e-mails and the webhooks pick out, comma-separated "
                  "(e.g. QID1, QID2_TEXT).",
    )


class DestinationForm(PortalForm):
    kind = forms.ChoiceField(label="Send to", choices=DestinationKind.choices, initial=DestinationKind.EMAIL)
    emails = forms.CharField(label="E-mail addresses", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="One per line.")
    email_mode = forms.ChoiceField(label="E-mails", choices=EmailMode.choices, initial=EmailMode.EACH, required=False)
    url = forms.CharField(label="Webhook URL", required=False, max_length=2000,
                          help_text="HTTPS; called with a JSON body signed with the key shown once.")
