"""Export CSV ou XLSX de la liste des communes (filtrée) : colonnes ici, écriture par pvd.tableur."""

from django.utils import timezone

from communes.constants import Phase, StatutChefDeProjet
from pvd.tableur import Colonne, Feuille, export_reponse

COLONNES = [
    ("Code INSEE", lambda c: c.code_insee),
    ("Commune", lambda c: c.nom),
    ("Identifiant PVD", lambda c: c.id_pvd),
    ("Département", lambda c: c.departement.nom),
    ("Code département", lambda c: c.departement_id),
    ("Région", lambda c: c.departement.region.nom),
    ("EPCI", lambda c: c.epci.nom if c.epci else ""),
    ("SIREN EPCI", lambda c: c.epci_id or ""),
    ("Population", lambda c: c.population),
    ("Phase", lambda c: Phase(c.phase).label),
    ("Adhésion signée le", lambda c: c.date_adhesion),
    ("Convention-cadre signée le", lambda c: c.date_cadre),
    ("Convention-cadre valant ORT", lambda c: "oui" if c.has_cadre_ort else "non"),
    ("Inscrite au CRTE", lambda c: "oui" if c.is_inscrit_crte else "non"),
    ("Échéance des 18 mois dépassée", lambda c: "oui" if c.is_retard_cadre else "non"),
    ("En difficulté", lambda c: "oui" if c.is_risque else "non"),
    (
        "Chef de projet",
        lambda c: (
            StatutChefDeProjet(c.chef_de_projet_statut).label if c.chef_de_projet_statut else "non renseigné"
        ),
    ),
    ("Actions engagées ou livrées", lambda c: c.actions_engagees_count),
    ("Actions", lambda c: c.actions_count),
    ("Financements accordés (€)", lambda c: c.financement_accorde),
]
# Formats XLSX des colonnes qui ne se déduisent pas de la valeur (dates et entiers : d'après la valeur).
FORMATS_XLSX = {"Financements accordés (€)": "euros"}


def lignes(queryset):
    for commune in queryset.iterator(chunk_size=500):
        yield [extraire(commune) for _, extraire in COLONNES]


def communes_exporter(*, queryset, format_export):
    return export_reponse(
        format_export=format_export,
        nom_fichier=f"communes-pvd-{timezone.localdate():%Y-%m-%d}",
        feuilles=[
            Feuille(
                titre="Communes PVD",
                colonnes=[Colonne(titre, FORMATS_XLSX.get(titre)) for titre, _ in COLONNES],
                lignes=lignes(queryset),
            )
        ],
    )
