from django.contrib import admin

from .models import Distribution, DistributionEvent


class DistributionEventInline(admin.TabularInline):
    model = DistributionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "created_at", "actor", "message", "request_id")
    fields = readonly_fields


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ("pk", "name", "connection", "channel", "kind", "state", "send_at", "qualtrics_id", "attempts")
    list_filter = ("state", "channel", "kind")
    search_fields = ("name", "survey_name", "survey_id", "qualtrics_id", "reference")
    readonly_fields = ("reference", "qualtrics_id", "claim_token", "claimed_at", "claimed_by", "attempts",
                       "transient_failures", "needs_lookup", "created_at", "updated_at")
    inlines = [DistributionEventInline]
