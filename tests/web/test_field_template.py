"""crud/field.html, the one template every form field is drawn with."""

import re

import pytest
from django import forms
from django.template.loader import render_to_string


class Sample(forms.Form):
    name = forms.CharField(help_text="Unique, e.g. <b>Acme</b>.")
    token = forms.CharField(required=False)
    enabled = forms.BooleanField(required=False, help_text="Skipped by alerts when off.")
    kind = forms.ChoiceField(choices=[("invite", "Invite"), ("reminder", "Reminder")], widget=forms.RadioSelect,
                             help_text="Fixed once created.")
    note = forms.CharField(required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].marked_required = True  # needed on create only; the form checks it


def rendered(form, name):
    return render_to_string("crud/field.html", {"field": form[name]})


@pytest.fixture
def invalid():
    form = Sample(data={"token": "t"})
    assert not form.is_valid()
    return form


@pytest.mark.parametrize("name", ["name", "enabled", "kind"])
def test_help_text_and_errors_are_what_the_field_is_described_by(invalid, name):
    html = rendered(invalid, name)
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1).split()
    assert described, html
    for element_id in described:
        assert f'id="{element_id}"' in html
    if invalid[name].errors:
        assert f"id_{name}_error" in described and 'aria-invalid="true"' in html


def test_required_and_marked_required_fields_show_the_mark(invalid):
    mark = '<span class="text-danger" aria-hidden="true">*</span>'
    for marked in ("name", "token", "kind"):
        assert mark in rendered(invalid, marked)
    for unmarked in ("note", "enabled"):
        assert mark not in rendered(invalid, unmarked)


def test_help_text_is_escaped(invalid):
    assert "Unique, e.g. &lt;b&gt;Acme&lt;/b&gt;." in rendered(invalid, "name")


def test_each_widget_kind_has_its_markup(invalid):
    checkbox = rendered(invalid, "enabled")
    assert checkbox.strip().startswith('<div class="form-check mb-3">')
    assert checkbox.index('type="checkbox"') < checkbox.index('<label class="form-check-label" for="id_enabled">')
    radios = rendered(invalid, "kind")
    assert radios.strip().startswith("<fieldset") and "<legend" in radios
    assert radios.count('type="radio"') == 2 and 'for="id_kind_1">Reminder</label>' in radios
    assert rendered(invalid, "secret").strip() == '<input type="hidden" name="secret" id="id_secret">'
    assert 'data-testid="error-name"' in rendered(invalid, "name")


def test_a_valid_field_has_no_error_block():
    form = Sample(data={"name": "Acme", "kind": "invite"})
    assert form.is_valid()
    html = rendered(form, "name")
    assert "invalid-feedback" not in html and "aria-invalid" not in html
    assert re.search(r'aria-describedby="id_name_helptext"', html)


def test_radio_buttons_are_bootstrap_inputs_that_keep_their_state():
    form = Sample(initial={"kind": "reminder"})
    html = rendered(form, "kind")
    assert html.count('class="form-check-input" type="radio" name="kind"') == 2
    assert 'value="reminder" id="id_kind_1" checked required>' in html
    assert 'value="invite" id="id_kind_0" required>' in html
