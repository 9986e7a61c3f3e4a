import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import Profile, TeamManager
from .selectors import administers_teams, can_manage_team


def profile_get_or_create(*, user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, user, timezone: str) -> Profile:
    profile = profile_get_or_create(user=user)
    profile.timezone = timezone
    profile.full_clean()
    profile.save(update_fields=["timezone"])
    return profile


def notice_hide(*, user, key: str, until: datetime.datetime) -> None:
    """Put a notice away for `user` until `until` (the expiry banner of one connection, for a day)."""
    profile = profile_get_or_create(user=user)
    now = timezone.now()
    kept = {k: v for k, v in (profile.hidden_notices or {}).items() if profile.hides(k, now)}  # drop the past
    profile.hidden_notices = {**kept, key: until.isoformat()}
    profile.save(update_fields=["hidden_notices"])


@transaction.atomic
def team_create(*, actor, name: str, member_ids=(), manager_ids=()) -> Group:
    """A new team (superusers only: a team's first managers are named by one)."""
    if not administers_teams(actor):
        raise PermissionDenied("Only an administrator creates teams and names their managers.")
    team = Group(name=name.strip())
    team.full_clean()
    team.save()
    team.user_set.set(get_user_model().objects.filter(pk__in=member_ids))
    _set_managers(team, manager_ids)
    return team


@transaction.atomic
def team_update(*, actor, team: Group, name: str, member_ids, manager_ids=None) -> Group:
    """Rename a team and set its members (its managers or a superuser); set its managers (a superuser)."""
    if not can_manage_team(actor, team):
        raise PermissionDenied(f"Only the managers of “{team.name}” and administrators change its members.")
    if manager_ids is not None and not administers_teams(actor):
        raise PermissionDenied("Only an administrator names the managers of a team.")
    team.name = name.strip()
    team.full_clean()
    team.save()
    team.user_set.set(get_user_model().objects.filter(pk__in=member_ids))
    if manager_ids is not None:
        _set_managers(team, manager_ids)
    return team


def _set_managers(team: Group, manager_ids) -> None:
    users = list(get_user_model().objects.filter(pk__in=manager_ids))
    TeamManager.objects.filter(team=team).exclude(user__in=users).delete()
    for user in users:
        TeamManager.objects.get_or_create(team=team, user=user)
