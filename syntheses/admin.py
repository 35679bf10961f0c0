"""Administration : consultation des campagnes, notes, jobs et versions (le travail se fait dans
l'application, où chaque transition est tracée)."""

from django.contrib import admin

from syntheses.models import Campagne, Generation, Synthese, Transition, VersionPdf


@admin.register(Campagne)
class CampagneAdmin(admin.ModelAdmin):
    list_display = ("nom", "date_echeance", "date_limite_phase_operationnelle", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")


@admin.register(Synthese)
class SyntheseAdmin(admin.ModelAdmin):
    list_display = ("region", "campagne", "etat", "validee_le", "transmise_le")
    list_filter = ("campagne", "etat")
    list_select_related = ("region", "campagne")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "synthese", "section", "action", "etat_avant", "etat_apres", "user")
    list_filter = ("action",)
    list_select_related = ("synthese__region", "synthese__campagne", "section__departement", "user")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ("pk", "synthese", "etat", "progression", "tentatives", "created_at", "finished_at")
    list_filter = ("etat",)
    list_select_related = ("synthese__region", "synthese__campagne")
    readonly_fields = [f.name for f in Generation._meta.fields]


@admin.register(VersionPdf)
class VersionPdfAdmin(admin.ModelAdmin):
    list_display = ("synthese", "numero", "sha256", "pages_count", "created_by", "created_at")
    list_select_related = ("synthese__region", "synthese__campagne", "created_by")
    readonly_fields = [f.name for f in VersionPdf._meta.fields]
