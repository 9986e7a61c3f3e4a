from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group

from web.forms import PortalForm, PortalFormMixin

from .models import _timezone_choices


class LoginForm(PortalFormMixin, AuthenticationForm):
    pass


class ProfileForm(PortalForm):
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=_timezone_choices,
        help_text="Every date the portal shows or asks for is in this time zone.",
    )


class TeamForm(PortalForm):
    """A team's name and members; its managers too when an administrator edits it (`with_managers`)."""

    name = forms.CharField(max_length=150)
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Members hold the team's role on every connection shared with the team.",
    )
    managers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Managers change the team's name and members. Only an administrator changes this list.",
    )

    def __init__(self, *args, team=None, with_managers: bool = False, **kwargs):
        self.team = team
        super().__init__(*args, **kwargs)
        if not with_managers:
            del self.fields["managers"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        qs = Group.objects.filter(name__iexact=name)
        if self.team is not None:
            qs = qs.exclude(pk=self.team.pk)
        if qs.exists():
            raise forms.ValidationError("A team with this name exists already.")
        return name
