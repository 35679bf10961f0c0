from django.contrib import admin

from communes.models import DonneesDemonstration


@admin.register(DonneesDemonstration)
class DonneesDemonstrationAdmin(admin.ModelAdmin):
    """Traces des suivis générés : lecture seule (elles disent ce que les pages signalent)."""

    list_display = ("perimetre", "territoires_count", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
