"""Export open data des indicateurs publics par commune : d'abord les colonnes du jeu officiel de l'ANCT
« Programme Petites villes de demain » (data.gouv.fr), puis les indicateurs du suivi. UTF-8, virgule."""

from django.utils import timezone

from communes.constants import Phase
from pvd.tableur import csv_reponse

COLONNES_OPEN_DATA = [
    # Jeu officiel ANCT (liste des communes PVD) :
    ("insee_com", lambda c: c.code_insee),
    ("lib_com", lambda c: c.nom),
    ("id_pvd", lambda c: c.id_pvd),
    ("date_signature", lambda c: c.date_adhesion),
    ("insee_dep", lambda c: c.departement_id),
    ("lib_dep", lambda c: c.departement.nom),
    ("insee_reg", lambda c: c.departement.region_id),
    ("lib_reg", lambda c: c.departement.region.nom),
    ("siren_epci", lambda c: c.epci_id),
    ("lib_epci", lambda c: c.epci.nom if c.epci_id else None),
    # Indicateurs publics du suivi :
    ("phase", lambda c: c.phase),
    ("lib_phase", lambda c: Phase(c.phase).label),
    ("statut_convention_cadre", lambda c: statut_cadre(c)),
    ("date_convention_cadre", lambda c: c.date_cadre),
    ("convention_cadre_vaut_ort", lambda c: c.has_cadre_ort if c.has_cadre else None),
    ("ort_signee", lambda c: c.has_ort_signee),
    ("couverte_crte", lambda c: c.is_couverte_crte),
    ("inscription_crte", lambda c: c.is_inscrit_crte),
    ("nb_actions_engagees", lambda c: c.actions_engagees_count),
    ("nb_actions", lambda c: c.actions_count),
    ("financements_accordes_eur", lambda c: c.financement_accorde),
]


def statut_cadre(commune):
    """« signee », « en_elaboration » ou « non_renseignee » : ce qu'on sait de la convention-cadre."""
    if commune.has_cadre_signee:
        return "signee"
    return "en_elaboration" if commune.has_cadre else "non_renseignee"


def open_data_exporter(*, queryset):
    return csv_reponse(
        nom_fichier=f"pvd-communes-indicateurs-{timezone.localdate():%Y-%m-%d}",
        colonnes=[nom for nom, _ in COLONNES_OPEN_DATA],
        lignes=(
            [extraire(c) for _, extraire in COLONNES_OPEN_DATA] for c in queryset.iterator(chunk_size=500)
        ),
        donnees_ouvertes=True,
    )
