from django.contrib import admin

from clubs.models import ReunionClub


@admin.register(ReunionClub)
class ReunionClubAdmin(admin.ModelAdmin):
    list_display = (
        "date",
        "departement",
        "format",
        "public",
        "participants_count",
        "updated_by",
        "updated_at",
    )
    list_filter = ("format", "public", "departement__region")
    search_fields = ("departement__nom", "departement__code", "compte_rendu")
    date_hierarchy = "date"
    list_select_related = ("departement", "updated_by")
    autocomplete_fields = ("communes",)
    readonly_fields = ("created_at", "created_by", "updated_at", "updated_by")
