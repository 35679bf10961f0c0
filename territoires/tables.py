import django_tables2 as tables

from territoires.models import Departement, Region


class RegionTable(tables.Table):
    nom = tables.Column("Région", linkify=("territoires:region", {"code": tables.A("code")}))
    code = tables.Column("Code")
    departements_count = tables.Column("Départements")
    communes_pvd_count = tables.Column("Communes PVD")

    class Meta:
        model = Region
        fields = ("nom", "code", "departements_count", "communes_pvd_count")
        caption = "Régions"
        empty_text = "Aucune région."


class DepartementTable(tables.Table):
    code = tables.Column("Code")
    nom = tables.Column("Département", linkify=("territoires:departement", {"code": tables.A("code")}))
    communes_pvd_count = tables.Column("Communes PVD")

    class Meta:
        model = Departement
        fields = ("code", "nom", "communes_pvd_count")
        caption = "Départements"
        empty_text = "Aucun département."
