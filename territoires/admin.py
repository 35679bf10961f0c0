from django.contrib import admin

from pvd.admin import LectureSeuleAdmin
from territoires.models import ChargementListe, Commune, Departement, Epci, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "nom", "zone")
    search_fields = ("code", "nom")


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ("code", "nom", "region", "zone")
    list_filter = ("region",)
    search_fields = ("code", "nom")


@admin.register(Epci)
class EpciAdmin(admin.ModelAdmin):
    list_display = ("siren", "nom", "type", "population")
    list_filter = ("type",)
    search_fields = ("siren", "nom", "nom_recherche")  # « vitre » trouve « Vitré »


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ("code_insee", "nom", "departement", "epci", "population", "id_pvd", "sortie_liste")
    list_filter = ("departement__region", "sortie_liste")
    search_fields = ("code_insee", "nom", "nom_recherche", "id_pvd")  # « chatillon » trouve « Châtillon »
    list_select_related = ("departement", "epci", "sortie_liste")
    autocomplete_fields = ("epci",)
    readonly_fields = ("code_insee",)


@admin.register(ChargementListe)
class ChargementListeAdmin(LectureSeuleAdmin):
    """Les chargements de la liste PVD, en lecture seule : ils sont écrits par charger_referentiel."""

    list_display = ("millesime", "charge_le", "fichier", "format", "communes_count", "est_premiere")
