"""Reads about people and teams, and who may change a team."""

from django.contrib.auth.models import Group
from django.db.models import QuerySet


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def administers_teams(user) -> bool:
    """Superusers create teams and name their managers."""
    return _signed_in(user) and user.is_superuser


def can_manage_team(user, team: Group) -> bool:
    """Whether `user` may change who is in `team`: one of its managers, or a superuser (never is_staff alone)."""
    if not _signed_in(user):
        return False
    return user.is_superuser or team.manager_links.filter(user=user).exists()


def teams_managed_by(user) -> QuerySet[Group]:
    if not _signed_in(user):
        return Group.objects.none()
    teams = Group.objects.all() if user.is_superuser else Group.objects.filter(manager_links__user=user)
    return teams.order_by("name").prefetch_related("user_set", "manager_links__user")


def manages_any_team(user) -> bool:
    return administers_teams(user) or (_signed_in(user) and user.managed_team_links.exists())
