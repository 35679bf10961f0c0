from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from echanges.models import Commentaire, EnvoiNotification, Notification, PieceJointe, VersionPiece


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "type", "destinataire", "titre", "lue_le")
    list_filter = ("type",)
    search_fields = ("destinataire__username", "titre", "cle")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(EnvoiNotification)
class EnvoiNotificationAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "canal", "notification")
    list_filter = ("canal",)

    def has_add_permission(self, request):
        return False


@admin.register(Commentaire)
class CommentaireAdmin(SimpleHistoryAdmin):
    list_display = ("created_at", "auteur", "departement", "visibilite", "section", "commune")
    list_filter = ("visibilite",)
    raw_id_fields = ("section", "commune", "auteur", "mentions")


class VersionPieceInline(admin.TabularInline):
    model = VersionPiece
    extra = 0
    readonly_fields = ("numero", "fichier", "nom_original", "content_type", "taille", "sha256", "created_at")


@admin.register(PieceJointe)
class PieceJointeAdmin(SimpleHistoryAdmin):
    list_display = ("titre", "type", "commune", "created_at")
    list_filter = ("type",)
    raw_id_fields = ("commune",)
    inlines = [VersionPieceInline]
