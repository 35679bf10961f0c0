from django.contrib import admin


class LectureSeuleAdmin(admin.ModelAdmin):
    """Une table écrite par le produit seul (journaux, chargements, traces) : l'administration la montre, sans
    ajout, modification ni suppression."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
