from django.contrib import admin

from territoires.models import Commune, Departement, Epci, Region


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
    search_fields = ("siren", "nom")


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ("code_insee", "nom", "departement", "epci", "population", "id_pvd")
    list_filter = ("departement__region",)
    search_fields = ("code_insee", "nom", "id_pvd")
    list_select_related = ("departement", "epci")
    autocomplete_fields = ("epci",)
    readonly_fields = ("code_insee",)
