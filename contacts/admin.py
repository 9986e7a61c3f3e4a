from django.contrib import admin

from .models import ContactImport, ImportChunk


class ImportChunkInline(admin.TabularInline):
    model = ImportChunk
    fields = ("index", "status", "row_count", "qualtrics_import_id", "attempts", "recovered", "added", "updated",
              "failed", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = ("original_name", "connection", "mailing_list_name", "status", "row_count", "added", "updated",
                    "failed", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "mailing_list_id", "mailing_list_name")
    readonly_fields = [f.name for f in ContactImport._meta.fields]
    inlines = [ImportChunkInline]

    def has_add_permission(self, request):
        return False
