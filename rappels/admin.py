from django.contrib import admin

from rappels.models import Rappel


@admin.register(Rappel)
class RappelAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "type", "user", "cle")
    list_filter = ("type",)
    search_fields = ("user__username", "user__email", "cle")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
