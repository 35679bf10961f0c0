"""Rythme des clubs : calcul en base (rythme_clubs), bornes de dates, comparaison à un calcul indépendant."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clubs.constants import StatutRythme
from clubs.services import communes_jamais_representees, rythme_clubs, rythme_motifs, rythme_par_region
from territoires.models import Commune, Departement
from tests.clubs.factories import ReunionClubFactory
from tests.donnees import departements_officiels, pvd_par_departement

pytestmark = pytest.mark.django_db

BRETAGNE = ("22", "29", "35", "56")


def reunion(code, jour, **kwargs):
    return ReunionClubFactory(departement_id=code, date=jour, **kwargs)


def rythme(code, annee, aujourd_hui):
    return rythme_clubs(Departement.objects.filter(code=code), annee, aujourd_hui=aujourd_hui).get()


def test_30_juin_compte_au_premier_semestre_et_1er_juillet_non():
    reunion("22", date(2024, 6, 30))
    reunion("29", date(2024, 7, 1))
    apres = date(2025, 3, 1)
    assert rythme("22", 2024, apres).has_reunion_s1 is True
    r29 = rythme("29", 2024, apres)
    assert (r29.reunions_count, r29.reunions_s1_count, r29.has_reunion_s1) == (1, 0, False)


def test_31_decembre_compte_dans_l_annee_et_1er_janvier_dans_la_suivante():
    reunion("35", date(2023, 12, 31))
    reunion("35", date(2024, 1, 1))
    reunion("35", date(2024, 12, 31))
    reunion("35", date(2025, 1, 1))
    r2024 = rythme("35", 2024, date(2025, 6, 1))
    assert (r2024.reunions_count, r2024.reunions_s1_count) == (2, 1)
    assert r2024.statut == StatutRythme.CONFORME
    r2023 = rythme("35", 2023, date(2025, 6, 1))
    assert (r2023.reunions_count, r2023.has_reunion_s1, r2023.statut) == (1, False, StatutRythme.EN_DEFAUT)


def test_deux_reunions_mais_aucune_au_premier_semestre_est_en_defaut():
    reunion("56", date(2024, 7, 1))
    reunion("56", date(2024, 12, 31))
    r = rythme("56", 2024, date(2025, 1, 1))
    assert (r.reunions_count, r.has_reunion_s1, r.has_deux_reunions) == (2, False, True)
    assert r.statut == StatutRythme.EN_DEFAUT
    assert rythme_motifs(r, 2024, aujourd_hui=date(2025, 1, 1)) == [
        "aucune réunion tenue au premier semestre"
    ]


def test_une_annee_sans_reunion():
    reunion("22", date(2023, 5, 1))
    reunion("22", date(2025, 5, 1))
    r = rythme("22", 2024, date(2025, 6, 1))
    assert (r.reunions_count, r.reunions_s1_count, r.reunions_prevues_count) == (0, 0, 0)
    assert (r.has_reunion_s1, r.has_deux_reunions, r.statut) == (False, False, StatutRythme.EN_DEFAUT)
    assert rythme_motifs(r, 2024, aujourd_hui=date(2025, 6, 1)) == [
        "aucune réunion tenue au premier semestre",
        "0 réunion tenue dans l’année sur 2",
    ]


@pytest.mark.parametrize(
    "aujourd_hui,statut",
    [
        (date(2024, 1, 1), StatutRythme.EN_COURS),
        (date(2024, 6, 30), StatutRythme.EN_COURS),  # dernier jour du semestre : encore possible
        (date(2024, 7, 1), StatutRythme.EN_DEFAUT),  # le semestre est passé sans réunion
    ],
)
def test_echeance_du_premier_semestre(aujourd_hui, statut):
    assert rythme("29", 2024, aujourd_hui).statut == statut


@pytest.mark.parametrize(
    "aujourd_hui,statut",
    [
        (date(2024, 12, 31), StatutRythme.EN_COURS),  # une réunion le 31 décembre reste possible
        (date(2025, 1, 1), StatutRythme.EN_DEFAUT),
    ],
)
def test_echeance_des_deux_reunions_au_31_decembre(aujourd_hui, statut):
    reunion("29", date(2024, 3, 10))
    r = rythme("29", 2024, aujourd_hui)
    assert (r.has_reunion_s1, r.has_deux_reunions, r.statut) == (True, False, statut)


def test_seules_les_reunions_tenues_comptent():
    reunion("35", date(2024, 6, 20), participants_count=None)  # prévue tant qu'on est avant le 20 juin
    avant = rythme("35", 2024, date(2024, 6, 15))
    assert (avant.reunions_count, avant.reunions_prevues_count, avant.has_reunion_s1) == (0, 1, False)
    le_jour = rythme("35", 2024, date(2024, 6, 20))  # datée d'aujourd'hui : tenue
    assert (le_jour.reunions_count, le_jour.reunions_prevues_count, le_jour.has_reunion_s1) == (1, 0, True)


def test_conforme_des_la_deuxieme_reunion_en_cours_d_annee():
    reunion("22", date(2024, 2, 1))
    assert rythme("22", 2024, date(2024, 9, 1)).statut == StatutRythme.EN_COURS
    reunion("22", date(2024, 9, 1))
    assert rythme("22", 2024, date(2024, 9, 1)).statut == StatutRythme.CONFORME


def test_communes_jamais_representees():
    communes = list(Commune.objects.pvd().filter(departement="35").order_by("code_insee"))
    assert len(communes) == pvd_par_departement()["35"] > 20
    reunion("35", date(2023, 3, 1), communes=communes[:2])
    reunion("35", date(2024, 3, 1), communes=communes[1:4])
    reunion("35", date(2024, 11, 1), communes=communes[10:20])  # prévue : ne compte pas encore
    autre = Commune.objects.pvd().filter(departement="29").first()
    reunion("29", date(2024, 3, 1), communes=[autre])
    aujourd_hui = date(2024, 6, 1)
    r = rythme("35", 2024, aujourd_hui)
    assert r.communes_pvd_count == len(communes)
    assert r.communes_representees_count == 3  # communes 1 à 3, en 2024
    assert r.communes_jamais_representees_count == len(communes) - 4  # 0 à 3 sont venues au moins une fois
    jamais = list(
        communes_jamais_representees(Departement.objects.get(code="35"), 2024, aujourd_hui=aujourd_hui)
    )
    assert {c.code_insee for c in jamais} == {c.code_insee for c in communes[4:]}
    # En 2023, seules les réunions jusqu'au 31 décembre 2023 comptent.
    r2023 = rythme("35", 2023, aujourd_hui)
    assert (r2023.communes_representees_count, r2023.communes_jamais_representees_count) == (2, 38)


def _attendu(reunions, code, annee, aujourd_hui):
    """Calcul indépendant, en Python, sur la liste des réunions créées."""
    dates = [d for c, d in reunions if c == code and d.year == annee and d <= aujourd_hui]
    s1 = [d for d in dates if d <= date(annee, 6, 30)]
    prevues = [d for c, d in reunions if c == code and d.year == annee and d > aujourd_hui]
    if not Commune.objects.pvd().filter(departement_id=code).exists():
        statut = StatutRythme.SANS_OBJET
    elif s1 and len(dates) >= 2:
        statut = StatutRythme.CONFORME
    elif (aujourd_hui > date(annee, 6, 30) and not s1) or (
        aujourd_hui > date(annee, 12, 31) and len(dates) < 2
    ):
        statut = StatutRythme.EN_DEFAUT
    else:
        statut = StatutRythme.EN_COURS
    return len(dates), len(s1), len(prevues), statut


@pytest.mark.parametrize(
    "aujourd_hui", [date(2024, 4, 10), date(2024, 6, 30), date(2024, 7, 1), date(2025, 2, 1)]
)
def test_le_calcul_en_base_egale_un_calcul_independant(aujourd_hui):
    hasard = random.Random(2024)
    codes = list(Departement.objects.filter(region__in=["53", "52", "28"]).values_list("code", flat=True))
    reunions = []
    for code in codes:
        for _ in range(hasard.randint(0, 4)):
            jour = date(2023, 11, 1) + timedelta(days=hasard.randint(0, 500))
            reunions.append((code, jour))
    # Les bornes exactes, pour être sûr qu'elles sont couvertes.
    reunions += [(codes[0], date(2024, 6, 30)), (codes[1], date(2024, 7, 1)), (codes[2], date(2024, 12, 31))]
    for code, jour in reunions:
        reunion(code, jour)
    lignes = rythme_clubs(Departement.objects.filter(code__in=codes), 2024, aujourd_hui=aujourd_hui)
    obtenu = {
        d.code: (d.reunions_count, d.reunions_s1_count, d.reunions_prevues_count, d.statut) for d in lignes
    }
    assert obtenu == {code: _attendu(reunions, code, 2024, aujourd_hui) for code in codes}
    assert {d.code: d.has_reunion_s1 for d in lignes} == {c: obtenu[c][1] >= 1 for c in codes}
    assert {d.code: d.has_deux_reunions for d in lignes} == {c: obtenu[c][0] >= 2 for c in codes}


def test_une_seule_requete_et_filtrable_par_statut(django_assert_num_queries):
    reunion("22", date(2024, 2, 1))
    reunion("22", date(2024, 9, 1))
    reunion("29", date(2024, 9, 1))
    with django_assert_num_queries(1):
        lignes = list(rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=date(2025, 1, 15)))
    assert len(lignes) == len(departements_officiels())
    en_defaut = rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=date(2025, 1, 15)).filter(
        statut=StatutRythme.EN_DEFAUT
    )
    avec_pvd = set(Commune.objects.pvd().values_list("departement_id", flat=True))
    assert set(en_defaut.values_list("code", flat=True)) == avec_pvd - {"22"}


def test_departement_sans_commune_pvd_sans_objet_et_jamais_en_defaut(client, user_national):
    """Un département sans commune PVD n'a pas de club à réunir : « sans objet », ni en défaut ni conforme,
    y compris quand les deux échéances de l'année sont passées."""
    sans_pvd = set(Departement.objects.values_list("code", flat=True)) - set(
        Commune.objects.pvd().values_list("departement_id", flat=True)
    )
    assert sans_pvd  # la liste officielle ne couvre pas tous les départements
    apres = date(2025, 2, 1)
    lignes = {d.code: d for d in rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=apres)}
    for code in sans_pvd:
        assert lignes[code].statut == StatutRythme.SANS_OBJET, code
        assert rythme_motifs(lignes[code], 2024, aujourd_hui=apres) == [
            "aucune commune PVD dans le département"
        ]
    assert {c for c, d in lignes.items() if d.statut == StatutRythme.SANS_OBJET} == sans_pvd
    regions = list(rythme_par_region(rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=apres)))
    assert sum(r["sans_objet_count"] for r in regions) == len(sans_pvd)
    assert sum(r["en_defaut_count"] for r in regions) == Departement.objects.count() - len(sans_pvd)
    # La page du rythme : badge « Sans objet » sur la ligne, et le compte à part.
    client.force_login(user_national)
    code = sorted(sans_pvd)[0]
    page = client.get("/clubs/rythme/", {"annee": 2024, "region": lignes[code].region_id}).content.decode()
    assert "Sans objet" in page and "aucune commune PVD dans le département" in page
    assert 'id="rythme-sans-objet"' in page


def test_synthese_par_region_coherente_avec_les_departements():
    reunion("22", date(2024, 2, 1))
    reunion("22", date(2024, 7, 15))
    reunion("35", date(2024, 3, 1))
    reunion("35", date(2024, 9, 1))  # prévue au 1er août
    aujourd_hui = date(2024, 8, 1)
    lignes = list(rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=aujourd_hui))
    with CaptureQueriesContext(connection) as requetes:
        regions = {
            r["region_id"]: r
            for r in rythme_par_region(rythme_clubs(Departement.objects.all(), 2024, aujourd_hui=aujourd_hui))
        }
    assert len(requetes) == 1
    assert len(regions) == 18
    bretagne = regions["53"]
    assert (
        bretagne["departements_count"],
        bretagne["conformes_count"],
        bretagne["en_cours_count"],
        bretagne["en_defaut_count"],
    ) == (4, 1, 1, 2)
    for code_region, r in regions.items():
        statuts = [d.statut for d in lignes if d.region_id == code_region]
        assert r["departements_count"] == len(statuts)
        assert r["conformes_count"] == statuts.count(StatutRythme.CONFORME)
        assert r["en_defaut_count"] == statuts.count(StatutRythme.EN_DEFAUT)
