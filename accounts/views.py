from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

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


@require_GET
def team_list(request):
    if not manages_any_team(request.user):
        raise PermissionDenied(TEAMS_REFUSED)
    context = {"teams": teams_managed_by(request.user), "can_create": administers_teams(request.user)}
    return render(request, "accounts/team_list.html", context)


@require_http_methods(["GET", "POST"])
def team_edit(request, team_id=None):
    """Create a team (administrators) or change one (its managers and administrators)."""
    team = get_object_or_404(Group, pk=team_id) if team_id else None
    allowed = administers_teams(request.user) if team is None else can_manage_team(request.user, team)
    if not allowed:
        raise PermissionDenied(TEAMS_REFUSED)
    with_managers = administers_teams(request.user)
    initial = {}
    if team is not None:
        initial = {"name": team.name, "members": team.user_set.all(),
                   "managers": [link.user_id for link in team.manager_links.all()]}
    form = TeamForm(request.POST or None, team=team, initial=initial, with_managers=with_managers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member_ids = [u.pk for u in data["members"]]
        manager_ids = [u.pk for u in data["managers"]] if with_managers else None
        if team is None:
            team = team_create(actor=request.user, name=data["name"], member_ids=member_ids,
                               manager_ids=manager_ids or ())
            messages.success(request, f"Team “{team.name}” created.")
        else:
            team = team_update(actor=request.user, team=team, name=data["name"], member_ids=member_ids,
                               manager_ids=manager_ids)
            messages.success(request, f"Team “{team.name}” saved.")
        return redirect("accounts:team_list")
    return render(request, "accounts/team_form.html", {"form": form, "team": team})
