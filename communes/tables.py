import django_tables2 as tables

from territoires.models import Commune


class CommuneTable(tables.Table):
    nom = tables.Column("Commune", linkify=("communes:detail", {"code_insee": tables.A("code_insee")}))
    code_insee = tables.Column("Code INSEE")
    departement = tables.Column("Département", order_by=("departement__code",))
    epci = tables.Column("EPCI", order_by=("epci__nom",))
    population = tables.Column("Population", attrs={"td": {"class": "pvd-nombre"}})
    date_adhesion_liste = tables.DateColumn(format="d/m/Y", verbose_name="Adhésion signée le")

    class Meta:
        model = Commune
        fields = ("nom", "code_insee", "departement", "epci", "population", "date_adhesion_liste")
        caption = "Communes PVD"
        empty_text = "Aucune commune PVD ne correspond à ces critères."
        per_page = 50
