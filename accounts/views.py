from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import Group
from django.shortcuts import get_object_or_404, redirect, render

from .forms import ProfileForm, TeamForm
from .services import profile_get_or_create, profile_update, team_create, team_update


def profile(request):
    current = profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, initial={"timezone": current.timezone})
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, timezone=form.cleaned_data["timezone"])
        messages.success(request, f"Time zone set to {form.cleaned_data['timezone']}.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": current})


@staff_member_required
def team_list(request):
    teams = Group.objects.order_by("name").prefetch_related("user_set")
    return render(request, "accounts/team_list.html", {"teams": teams})


@staff_member_required
def team_edit(request, team_id=None):
    team = get_object_or_404(Group, pk=team_id) if team_id else None
    initial = {"name": team.name, "members": team.user_set.all()} if team else {}
    form = TeamForm(request.POST or None, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        member_ids = [u.pk for u in form.cleaned_data["members"]]
        if team is None:
            team = team_create(name=form.cleaned_data["name"], member_ids=member_ids)
            messages.success(request, f"Team “{team.name}” created.")
        else:
            team = team_update(team=team, name=form.cleaned_data["name"], member_ids=member_ids)
            messages.success(request, f"Team “{team.name}” saved.")
        return redirect("accounts:team_list")
    return render(request, "accounts/team_form.html", {"form": form, "team": team})
