"""Nombre de requêtes constant sur les pages des clubs, quel que soit le nombre de lignes."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from territoires.models import Commune, Departement
from tests.clubs.factories import ReunionClubFactory

pytestmark = pytest.mark.django_db


def _requetes(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        reponse = client.get(url, params or {})
    assert reponse.status_code == 200
    return len(ctx), reponse


@pytest.fixture
def reunions_partout():
    """Des réunions dans des départements de plusieurs régions, avec communes et pièces jointes."""
    annee = timezone.localdate().year
    for i, dep in enumerate(Departement.objects.order_by("code")[:40]):
        communes = list(Commune.objects.pvd().filter(departement=dep)[:3])
        ReunionClubFactory(departement_id=dep.code, date=date(annee, 1 + i % 6, 10), communes=communes)
        if i % 2:
            ReunionClubFactory(departement_id=dep.code, date=date(annee, 1 + i % 6, 20))


def test_table_du_rythme_meme_nombre_de_requetes_pour_1_12_et_101_departements(
    client, user_national, reunions_partout
):
    client.force_login(user_national)
    url = reverse("clubs:rythme")
    guadeloupe, r1 = _requetes(client, url, {"region": "01"})
    aura, r12 = _requetes(client, url, {"region": "84"})
    national, r101 = _requetes(client, url)
    assert (
        len(r1.context["table"].rows),
        len(r12.context["table"].rows),
        len(r101.context["table"].rows),
    ) == (1, 12, 101)
    assert guadeloupe == aura
    # Sans filtre : la synthèse par région reste une seule requête agrégée ; seule la lecture de la région
    # filtrée (validation du filtre) disparaît.
    assert national == aura - 1
    assert national <= 7  # dont la cloche des notifications et le bandeau des données de démonstration


def test_table_regionale_du_regional(client, user_regional, reunions_partout):
    client.force_login(user_regional)
    n, reponse = _requetes(client, reverse("clubs:rythme"))
    assert [d.code for d in reponse.context["table"].data] == ["22", "29", "35", "56"]
    assert reponse.context["table_regions"] is None
    assert n <= 8


def test_export_csv_meme_nombre_de_requetes(client, user_national, reunions_partout):
    client.force_login(user_national)
    url = reverse("clubs:rythme_csv")
    petit, _ = _requetes(client, url, {"region": "01"})
    grand, reponse = _requetes(client, url, {"region": "84"})
    assert petit == grand
    lignes = reponse.content.decode("utf-8-sig").splitlines()
    assert len(lignes) == 13 and lignes[0].startswith("annee;code_departement;departement")
    national, reponse = _requetes(client, url)
    assert len(reponse.content.decode("utf-8-sig").splitlines()) == 102
    assert national == grand - 1


def test_liste_des_reunions_meme_nombre_de_requetes_pour_1_et_50_lignes(
    client, user_national, reunions_partout
):
    client.force_login(user_national)
    url = reverse("clubs:reunions")
    for jour in range(1, 51):
        ReunionClubFactory(
            departement_id="35",
            date=date(2025, 1 + jour % 12, 1 + jour % 28),
            communes=list(Commune.objects.pvd().filter(departement="35")[: jour % 5]),
        )
    une, r1 = _requetes(client, url, {"departement": "01"})
    cinquante, r50 = _requetes(client, url, {"departement": "35"})
    assert (len(r1.context["table"].page.object_list), len(r50.context["table"].page.object_list)) == (1, 50)
    assert une == cinquante


def test_calendrier_meme_nombre_de_requetes(client, user_national):
    client.force_login(user_national)
    demain = timezone.localdate() + timedelta(days=1)
    ReunionClubFactory(departement_id="35", date=demain, participants_count=None)
    une, r1 = _requetes(client, reverse("clubs:calendrier"))
    for dep in Departement.objects.order_by("code")[:30]:
        ReunionClubFactory(departement_id=dep.code, date=demain + timedelta(days=3), participants_count=None)
    trente, r30 = _requetes(client, reverse("clubs:calendrier"))
    assert (len(r1.context["table"].page.object_list), len(r30.context["table"].page.object_list)) == (1, 31)
    assert une == trente


def test_flux_ics_meme_nombre_de_requetes(client, user_departemental):
    client.force_login(user_departemental)
    ReunionClubFactory(departement_id="35", date=date(2026, 2, 1))
    une, _ = _requetes(client, reverse("clubs:ics", args=["35"]))
    for jour in range(2, 30):
        ReunionClubFactory(departement_id="35", date=date(2026, 3, jour))
    trente, _ = _requetes(client, reverse("clubs:ics", args=["35"]))
    assert une == trente


def test_bloc_club_de_la_page_departement_sans_n_plus_1(client, user_national, reunions_partout):
    client.force_login(user_national)
    # Le bloc « depuis votre dernière visite » a son propre cache : rempli d'abord, il n'est pas compté.
    from echanges.quoi_de_neuf import resume

    resume(user_national)
    petit, _ = _requetes(client, reverse("tableau:departement", args=["976"]))
    grand, _ = _requetes(client, reverse("tableau:departement", args=["01"]))
    assert petit == grand
