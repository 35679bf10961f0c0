"""Un chiffre = le même nombre partout : tableau de bord, comptes des filtres de la liste, note PDF (pdftotext),
API, open data CSV et export XLSX, après un suivi saisi sur un échantillon de communes."""

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communes.constants import Phase
from syntheses.models import Synthese
from syntheses.pdf import note_html, pdf_rendre
from territoires.models import Commune, alphabetique
from tests.syntheses_outils import campagne, entier, jours, pdftotext, peupler

pytestmark = pytest.mark.django_db


def _ligne_pdf(texte, debut):
    for ligne in texte.splitlines():
        colonnes = re.split(r"\s{2,}", ligne.strip())
        if (
            colonnes[0] == debut
            and len(colonnes) > 1
            and all(re.fullmatch(r"\d+(?: \d{3})*", v) for v in colonnes[1:])
        ):
            return [entier(v) for v in colonnes[1:]]
    raise AssertionError(f"ligne « {debut} » introuvable")


@pytest.fixture
def suivi_echantillon(user_national):
    codes = list(
        Commune.objects.pvd()
        .filter(departement="35")
        .order_by(alphabetique("nom"))
        .values_list("code_insee", flat=True)
    )
    peupler(codes[:16])
    # Une commune retirée du programme : comptée dans les communes PVD, dans aucun autre chiffre.
    from communes.models import Territoire

    Territoire.objects.filter(communes__code_insee=codes[20]).update(date_retrait=jours(10))
    return codes


def test_chaque_chiffre_est_le_meme_partout(client, user_national, suivi_echantillon, tmp_path):
    client.force_login(user_national)

    # Tableau de bord du département.
    page = client.get(reverse("tableau:departement", args=["35"]))
    tableau = {c.code: c.valeur for c in page.context["chiffres_cles"]}
    # « À renseigner » : le complément du chiffre « En difficulté » (ni en difficulté, ni hors de difficulté).
    tableau["a_renseigner"] = next(
        c for c in page.context["chiffres_cles"] if c.code == "risque"
    ).non_renseignes
    assert 0 < tableau["cadre_signee"] < tableau["communes"] and tableau["operationnelle"] > 0
    assert tableau["risque"] > 0 and tableau["communes"] > tableau["a_renseigner"] > 0

    # Comptes des filtres de la liste des communes.
    def liste(**filtres):
        reponse = client.get(reverse("communes:liste"), {"departement": "35", **filtres})
        return reponse.context["filter"].qs.count()

    assert liste() == tableau["communes"]
    assert liste(phase=Phase.OPERATIONNELLE) == tableau["operationnelle"]
    assert liste(is_risque="true") == tableau["risque"]
    assert liste(is_a_renseigner="true") == tableau["a_renseigner"]
    assert liste(is_retard_cadre="true") == tableau["retard_cadre"]
    assert liste(phase=Phase.RETIREE) == 1

    # API (session de l'utilisateur national).
    api = client.get(reverse("api:departement", args=["35"])).json()
    assert api["communes_pvd_count"] == tableau["communes"]
    assert api["en_cours_count"] == tableau["communes"] - 1
    assert api["operationnelles_count"] == tableau["operationnelle"]
    assert api["cadre_signee_count"] == tableau["cadre_signee"]
    assert api["ort_signee_count"] == tableau["ort_signee"]
    assert api["crte_couvertes_count"] == tableau["crte_couverture"]
    assert api["inscrites_crte_count"] == tableau["crte"]
    assert api["adhesion_signee_count"] == tableau["adhesion"]

    # Open data CSV : une ligne par commune, les retirées à part.
    contenu = client.get(reverse("api:communes_csv"), {"departement": "35"}).content.decode()
    lignes = [r for r in csv.DictReader(io.StringIO(contenu)) if r["phase"] != Phase.RETIREE]
    assert len(lignes) == tableau["communes"] - 1
    assert sum(r["phase"] == Phase.OPERATIONNELLE for r in lignes) == tableau["operationnelle"]
    assert sum(r["statut_convention_cadre"] == "signee" for r in lignes) == tableau["cadre_signee"]
    assert sum(r["ort_signee"] == "true" for r in lignes) == tableau["ort_signee"]
    assert sum(r["couverte_crte"] == "true" for r in lignes) == tableau["crte_couverture"]
    assert sum(r["inscription_crte"] == "true" for r in lignes) == tableau["crte"]

    # Export XLSX du tableau de bord régional : la ligne du département.
    reponse = client.get(
        reverse("tableau:region", args=["53"]), {"export": "xlsx", "tableau": "departements"}
    )
    feuille = load_workbook(io.BytesIO(reponse.content)).active
    rangees = [[c.value for c in rangee] for rangee in feuille.iter_rows()]
    entetes = next(r for r in rangees if r and r[0] == "Département")
    ille = dict(zip(entetes, next(r for r in rangees if r and str(r[0]).startswith("Ille")), strict=True))
    assert ille["Communes PVD"] == tableau["communes"]
    assert ille["Phase opérationnelle"] == tableau["operationnelle"]
    assert ille["Convention-cadre signée"] == tableau["cadre_signee"]
    assert ille["ORT signée"] == tableau["ort_signee"]
    assert ille["Couvertes par un CRTE"] == tableau["crte_couverture"]
    assert ille["En difficulté"] == tableau["risque"]
    assert ille["À renseigner"] == tableau["a_renseigner"]
    assert ille["Chefs de projet en poste"] == tableau["chefs"]

    # Note de synthèse (PDF rendu par WeasyPrint, lu par pdftotext).
    c = campagne(user=user_national)
    note = Synthese.objects.select_related("campagne", "region").get(campagne=c, region="53")
    contenu, _pages = pdf_rendre(note_html(synthese=note))
    pdf = _ligne_pdf(pdftotext(contenu, tmp_path), "35 Ille-et-Vilaine")
    assert pdf == [
        tableau["communes"],
        tableau["operationnelle"],
        tableau["cadre_signee"],
        tableau["ort_signee"],
        tableau["crte_couverture"],
        tableau["crte"],
        tableau["chefs"],
        tableau["actions"],
        tableau["risque"],
        tableau["a_renseigner"],
    ]
