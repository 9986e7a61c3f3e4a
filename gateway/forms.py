"""The form a manager fills in to issue a key. Only validates: the service issues."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .scopes import PRESETS, parse_networks, parse_rules


class KeyIssueForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The integration that will use it, e.g. “Segment production”.")
    preset = forms.ChoiceField(
        label="What it may call",
        choices=[(name, label) for name, (label, _rules) in PRESETS.items()],
        initial="read_only",
        help_text="Read-only: any GET. Directory writes: also writes under /directories. Distributions: also "
        "writes under /distributions. Custom: the rules below.",
    )
    rules = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
        help_text="Custom only. One rule a line: METHODS PATTERN, relative to /API/v3; * is one path segment, "
        "** any number. Example: GET,POST /directories/*/mailinglists/**",
    )
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="Optional. From this day on the key is refused.")
    allowed_networks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text="Optional. Client networks (CIDR, such as 203.0.113.0/24), one a line; empty: any address.",
    )
    per_minute_cap = forms.IntegerField(required=False, min_value=1, max_value=100_000,
                                        help_text="Optional. The most calls a minute this key may make.")

    def clean_rules(self):
        rules = self.cleaned_data.get("rules", "")
        if self.data.get("preset") == "custom":
            parse_rules(rules)
        return rules

    def clean_allowed_networks(self):
        text = self.cleaned_data.get("allowed_networks", "")
        parse_networks(text)
        return text

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.localdate():
            raise ValidationError("Choose a day after today.")
        return day
