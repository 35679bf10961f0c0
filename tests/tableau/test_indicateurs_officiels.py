"""Les chiffres sur une base chargée des seuls fichiers officiels (ce qu'est un vrai déploiement) : chaque
compte de France, de chaque région et de chaque département est recalculé ici, directement depuis les fichiers
bruts (liste PVD, liste des ORT, périmètres des CRTE, COG), sans le code de l'application. Aucun nombre écrit
en dur : le prochain millésime des fichiers change les attendus, pas le test."""

from collections import defaultdict

import pytest
from django.urls import reverse

from communes.models import Action, ChefDeProjet, Convention, Territoire
from tableau.donnees import part_texte
from tableau.indicateurs import Chiffres, chiffres_calculer, chiffres_cles
from territoires.models import Departement, Region
from tests.donnees import communes_pvd, lignes_csv

pytestmark = pytest.mark.django_db


def _officiel_seulement():
    """La base de test ne contient que le référentiel officiel : aucun suivi saisi ni généré."""
    assert not Action.objects.exists() and not ChefDeProjet.objects.exists()
    assert not Convention.objects.filter(type="cadre").exists()
    assert not Territoire.objects.exclude(risque_decision="").exists()
    assert not Territoire.objects.filter(crte__isnull=False).exists()


def attendus_bruts():
    """{code département: {compte: valeur, "crtes": set}} lus dans les fichiers bruts."""
    communes = {r["insee_com"]: r for r in communes_pvd()}
    epci_de = {r["code_insee"]: r["siren_epci"] for r in lignes_csv("cog/communes_cog2026.csv")}
    crtes_de_l_epci = defaultdict(set)
    for r in lignes_csv("sources/crte_groupements_2023-01.csv"):
        crtes_de_l_epci[r["siren_groupement"]].add(r["id_crte"])
    ort = {}
    for r in lignes_csv("sources/ort_communes_dgaln_anct_2024-09.csv"):
        if r["Signée ?"] == "Signée" and r["Code commune"] in communes:
            ort[r["Code commune"]] = r["Si signée, date de signature"]

    par_departement = defaultdict(lambda: defaultdict(int))
    for code, r in communes.items():
        d = par_departement[r["code_departement"]]
        d.setdefault("crtes", set())
        d["communes"] += 1
        d["adhesion"] += bool(r["date_signature"])
        d["adhesion_manquante"] += not r["date_signature"]
        d["ort_signee"] += code in ort
        d["ort_sans_date"] += code in ort and not ort[code]
        crtes = crtes_de_l_epci.get(epci_de.get(code, ""), set())
        d["crte_couvertes"] += bool(crtes)
        d["crtes"] |= crtes
    return par_departement


def _somme(attendus, codes):
    total = defaultdict(int, crtes=set())
    for code in codes:
        for cle, valeur in attendus.get(code, {}).items():
            if cle == "crtes":
                total["crtes"] |= valeur
            else:
                total[cle] += valeur
    return total


def _compare(c, a, ou):
    assert c.communes == a["communes"], ou
    assert c.retirees == 0 and c.sorties == 0 and c.en_cours == a["communes"], ou
    assert c.adhesion == a["adhesion"] == c.adhesion_a_confirmer, ou
    assert c.en_cours - c.adhesion == a["adhesion_manquante"], ou
    assert c.ort_signee == a["ort_signee"] == c.ort_a_confirmer, ou
    assert c.ort_sans_date == a["ort_sans_date"], ou
    assert c.crte_couvertes == a["crte_couvertes"], ou
    assert c.crtes == frozenset(a["crtes"]), ou
    # Rien n'est connu du suivi : rien n'est « en difficulté » ni « en retard », tout est « à renseigner ».
    assert c.risque == 0 and c.retard_cadre == 0 and c.operationnelle == 0, ou
    assert c.a_renseigner == c.en_cours - c.operationnelle, ou
    assert c.cadre_signee == c.cadre_connu == 0 and c.crte == 0, ou
    assert c.chefs_non_renseignes == c.territoires, ou


def test_chaque_compte_de_france_des_regions_et_des_departements_vient_des_fichiers():
    _officiel_seulement()
    attendus = attendus_bruts()
    departements = dict(Departement.objects.values_list("code", "region_id"))
    chiffres = chiffres_calculer(list(departements))
    for code in departements:
        _compare(chiffres[code], _somme(attendus, [code]), f"département {code}")
    for region in Region.objects.values_list("code", flat=True):
        codes = [d for d, r in departements.items() if r == region]
        _compare(Chiffres.somme(chiffres[d] for d in codes), _somme(attendus, codes), f"région {region}")
    france = Chiffres.somme(chiffres.values())
    _compare(france, _somme(attendus, list(departements)), "France")
    # Des cas réels que les fichiers contiennent (sans quoi le test ne prouverait rien).
    assert france.ort_sans_date > 0 and france.en_cours - france.adhesion > 0 and france.crtes_count > 0
    # Des ORT sans convention-cadre : proposées à confirmer, jamais comptées comme conventions-cadres signées.
    assert 0 < france.cadre_propose <= france.ort_signee


def test_le_tableau_national_sur_les_seuls_fichiers_officiels(client, user_national):
    _officiel_seulement()
    client.force_login(user_national)
    reponse = client.get(reverse("tableau:regions"))
    assert reponse.status_code == 200
    france = _somme(attendus_bruts(), list(Departement.objects.values_list("code", flat=True)))
    cles = {c.code: c for c in reponse.context["chiffres_cles"]}
    assert cles["risque"].valeur == 0 and cles["risque"].non_renseignes == france["communes"]
    assert cles["retard_cadre"].valeur == 0
    assert cles["cadre_signee"].non_renseignes == france["communes"]
    assert cles["crte_couverture"].valeur == france["crte_couvertes"]
    assert cles["ort_signee"].valeur == france["ort_signee"] == cles["ort_signee"].a_confirmer
    # Une part n'affiche jamais 100 % s'il manque quelque chose.
    adhesion = cles["adhesion"]
    assert adhesion.non_renseignes == france["adhesion_manquante"] > 0
    assert part_texte(adhesion.part) != "100\u00a0%" and part_texte(adhesion.part).startswith(">")
    html = reponse.content.decode()
    assert "à renseigner" in html and "non renseignées" in html and "CRTE distincts" in html
    assert reverse("tableau:definitions") in html
    # La page des définitions décrit chaque chiffre du tableau.
    definitions = client.get(reverse("tableau:definitions")).content.decode()
    for c in chiffres_cles(Chiffres()):
        assert f'id="def-{c.code}"' in definitions and c.libelle in definitions
