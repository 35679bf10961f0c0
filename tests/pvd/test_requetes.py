"""Nombre de requêtes SQL constant quelle que soit la taille de la page (pas de N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _requetes(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        reponse = client.get(url, params)
    assert reponse.status_code == 200
    table = reponse.context["table"]
    return len(ctx), len(table.page.object_list if hasattr(table, "page") else table.rows)


def test_liste_des_communes_meme_nombre_de_requetes_pour_1_et_50_lignes(client, user_national):
    client.force_login(user_national)
    url = reverse("communes:liste")
    une, lignes_une = _requetes(client, url, {"nom": "Belley"})
    cinquante, lignes_cinquante = _requetes(client, url, {})
    assert (lignes_une, lignes_cinquante) == (1, 50)
    assert une == cinquante


def test_pages_territoires_meme_nombre_de_requetes(client, user_national):
    # Tableaux de bord : voir aussi tests/tableau/test_tableau.py (cache froid et chaud, 1 à 50 communes).
    client.force_login(user_national)
    # Le bloc « depuis votre dernière visite » a son propre cache : rempli d'abord, il n'est pas compté.
    from echanges.quoi_de_neuf import resume

    resume(user_national)
    petite, lignes_petite = _requetes(client, reverse("tableau:departement", args=["976"]), {})
    grande, lignes_grande = _requetes(client, reverse("tableau:departement", args=["35"]), {})
    assert (lignes_petite, lignes_grande) == (3, 40)
    assert petite == grande
