"""Names the portal keeps for Qualtrics IDs that Qualtrics gives no name for.

Qualtrics cannot list user types or group types (docs: "User types and group types cannot be listed"), and
a user or group only carries their IDs (`UT_…`, `GT_…`). A manager labels each ID once per brand; every
screen of that brand then shows the label.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LabelKind(models.TextChoices):
    USER_TYPE = "user_type", "User type"
    GROUP_TYPE = "group_type", "Group type"
    DIVISION = "division", "Division"


class QualtricsLabel(models.Model):
    # The brand the ID belongs to (Qualtrics' brand ID; a connection without one labels for itself):
    # every connection to the brand shares the labels.
    brand_key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=LabelKind.choices)
    qualtrics_id = models.CharField(max_length=60)
    label = models.CharField(max_length=80)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand_key", "kind", "qualtrics_id"],
                                               name="one_label_per_brand_id")]

    def __str__(self) -> str:
        return f"{self.qualtrics_id} = {self.label}"
