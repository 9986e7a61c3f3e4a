import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.dateparse import parse_datetime


def _timezone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Profile(models.Model):
    """Per-user preferences of the portal."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(max_length=64, default="UTC", choices=_timezone_choices)
    # Notices the user put away for a while: {notice key: ISO time it shows again}. Read with the user
    # (the profile comes in the same query), so a page spends nothing to know.
    hidden_notices = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def hides(self, key: str, now: datetime.datetime) -> bool:
        until = parse_datetime(str((self.hidden_notices or {}).get(key, "")))
        return until is not None and until > now


class TeamManager(models.Model):
    """Someone who may change a team's name and members. Joining a team grants the team's roles on every
    connection shared with it, so only a team's managers (and superusers) change who is in it; a
    superuser names the managers."""

    team = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="manager_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_team_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_manager")]

    def __str__(self) -> str:
        return f"{self.user} manages {self.team}"
