import zoneinfo

from django.conf import settings
from django.db import models


def _timezone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Profile(models.Model):
    """Per-user preferences of the portal."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(max_length=64, default="UTC", choices=_timezone_choices)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
