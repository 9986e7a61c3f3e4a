from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from web.crud import Column, CrudFormView, CrudListView, queryset_page

from .forms import ProfileForm, TeamForm
from .selectors import administers_teams, can_manage_team, manages_any_team, teams_managed_by
from .services import profile_get_or_create, profile_update, team_create, team_update

TEAMS_REFUSED = "Teams are changed by their managers and by the portal's administrators."


@require_http_methods(["GET", "POST"])
def profile(request):
    current = profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, initial={"timezone": current.timezone})
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, timezone=form.cleaned_data["timezone"])
        messages.success(request, f"Time zone set to {form.cleaned_data['timezone']}.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": current})


class TeamAdminMixin:
    """Teams are the Django groups a connection can be shared with. A team's managers change its name and
    members; the portal's administrators (superusers) create teams and name their managers. Being staff
    grants nothing here."""

    resource = "accounts:team"
    verbose_name = "team"
    id_field = "pk"
    object_kwarg = "team_id"

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request):
            raise PermissionDenied(TEAMS_REFUSED)
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, request) -> bool:
        raise NotImplementedError

    @property
    def can_write(self) -> bool:  # "New team" is shown to those who may create one
        return administers_teams(self.request.user)


def _names(users) -> str:
    return ", ".join(user.get_username() for user in users)


def _members(team: Group) -> str:
    return _names(team.user_set.all()) or mark_safe('<span class="text-body-secondary">nobody yet</span>')


def _managers(team: Group) -> str:
    managers = _names(link.user for link in team.manager_links.all())
    return managers or mark_safe('<span class="text-body-secondary">administrators only</span>')


class TeamListView(TeamAdminMixin, CrudListView):
    columns = [Column("Team", "name", link=True), Column("Members", _members), Column("Managers", _managers)]
    row_url_name = "accounts:team_edit"  # a team has no page of its own: its row opens its form
    empty_message = "No teams yet. A team lets you share a connection with several people at once."

    def allowed(self, request) -> bool:
        return manages_any_team(request.user)

    def fetch_page(self, *, cursor, page_size, search):
        return queryset_page(teams_managed_by(self.request.user), cursor=cursor, page_size=page_size)


class TeamFormView(TeamAdminMixin, CrudFormView):
    form_class = TeamForm
    submit_label = "Save team"
    cancel_to_detail = False

    def allowed(self, request) -> bool:
        if self.is_create:
            return administers_teams(request.user)
        return can_manage_team(request.user, self.object)

    def get_object(self):
        return get_object_or_404(Group, pk=self.kwargs["team_id"])

    @property
    def with_managers(self) -> bool:
        return administers_teams(self.request.user)

    def initial_from(self, team) -> dict:
        return {"name": team.name, "members": team.user_set.all(),
                "managers": [link.user_id for link in team.manager_links.all()]}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team": self.object, "with_managers": self.with_managers}

    def form_title(self) -> str:
        return "New team" if self.is_create else f"Team “{self.object.name}”"

    def save(self, form):
        data = form.cleaned_data
        member_ids = [user.pk for user in data["members"]]
        manager_ids = [user.pk for user in data["managers"]] if self.with_managers else None
        if self.is_create:
            return team_create(actor=self.request.user, name=data["name"], member_ids=member_ids,
                               manager_ids=manager_ids or ())
        return team_update(actor=self.request.user, team=self.object, name=data["name"], member_ids=member_ids,
                           manager_ids=manager_ids)

    def success_text(self, form, team) -> str:
        return f"Team “{team.name}” {'created' if self.is_create else 'saved'}."

    def success_url_for(self, team) -> str:
        return self.list_url()
