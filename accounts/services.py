from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .models import Profile


def profile_get_or_create(*, user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, user, timezone: str) -> Profile:
    profile = profile_get_or_create(user=user)
    profile.timezone = timezone
    profile.full_clean()
    profile.save(update_fields=["timezone"])
    return profile


def team_create(*, name: str, member_ids=()) -> Group:
    team = Group(name=name.strip())
    team.full_clean()
    team.save()
    team.user_set.set(get_user_model().objects.filter(pk__in=member_ids))
    return team


def team_update(*, team: Group, name: str, member_ids) -> Group:
    team.name = name.strip()
    team.full_clean()
    team.save()
    team.user_set.set(get_user_model().objects.filter(pk__in=member_ids))
    return team
