from django.contrib import admin

from .models import ExportSchedule, ResponseExport, ResponseImport


class ReadOnlyAdmin(admin.ModelAdmin):
    """What workers and the screens keep: shown to administrators, changed only through the portal."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ResponseExport)
class ResponseExportAdmin(ReadOnlyAdmin):
    list_display = ("survey_name", "connection", "format", "status", "stage", "response_count", "size", "schedule",
                    "created_by", "created_at")
    list_filter = ("status", "format")
    search_fields = ("survey_id", "survey_name", "progress_id")


@admin.register(ExportSchedule)
class ExportScheduleAdmin(ReadOnlyAdmin):
    list_display = ("name", "survey_name", "connection", "frequency", "incremental", "enabled", "next_run_at")
    list_filter = ("frequency", "enabled")
    search_fields = ("name", "survey_id", "survey_name")
    exclude = ("continuation_token",)


@admin.register(ResponseImport)
class ResponseImportAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "survey_name", "connection", "status", "row_count", "imported", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "survey_id", "survey_name")
