"""Tableau de bord dans un vrai navigateur : descente par la carte, choix de l'indicateur."""

import re

import pytest

from tests.donnees import departements_officiels
from tests.pvd.test_navigateur import se_connecter

pytestmark = pytest.mark.browser


def test_le_national_descend_par_la_carte(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-national", demo_password)
    page.wait_for_url(re.compile(r"/regions/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Avancement national"
    # Carte des régions : chaque région est un lien portant son nom et sa valeur.
    bretagne = page.locator("svg.pvd-carte__svg a[aria-label^='Bretagne :']")
    assert bretagne.count() == 1
    bretagne.click()
    page.wait_for_url(re.compile(r"/regions/53/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Bretagne"
    fil = page.get_by_role("navigation", name="vous êtes ici :")
    assert fil.get_by_role("link", name="France entière").count() == 1
    # Puis un département de la région, sur la carte.
    page.locator("svg.pvd-carte__svg a[aria-label^='Finistère :']").click()
    page.wait_for_url(re.compile(r"/departements/29/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Finistère (29)"


def test_choisir_l_indicateur_redessine_la_carte(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-national", demo_password)
    page.wait_for_url(re.compile(r"/regions/$"))
    # Le petit script envoie le formulaire dès qu'on change de choix (sans lui : bouton « Afficher »).
    page.locator("label[for=maille-departement]").click()
    page.wait_for_url(re.compile(r"maille=departement"))
    assert page.locator("svg.pvd-carte__svg a.pvd-carte__lien").count() == len(departements_officiels())
    page.get_by_role("combobox", name="Indicateur").select_option(label="Communes PVD")
    page.wait_for_url(re.compile(r"indicateur=communes"))
    assert page.locator("#titre-carte").inner_text() == "Carte : communes pvd"
    ille = page.locator("svg.pvd-carte__svg a[aria-label^='Ille-et-Vilaine :']")
    assert ille.get_attribute("aria-label") == "Ille-et-Vilaine : 40"
    assert page.get_by_role("button", name="Imprimer").is_visible()
