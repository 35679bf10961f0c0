"""Parcours dans un vrai navigateur (chromium de Debian) contre un vrai serveur gunicorn."""

import re

import pytest

from tests.donnees import pvd_par_departement

pytestmark = pytest.mark.browser


def se_connecter(page, serveur, username, password):
    page.goto(f"{serveur}/")
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_le_departemental_se_connecte_et_voit_ses_communes(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Communes PVD"
    lignes = page.locator("table tbody tr")
    attendu = pvd_par_departement()["35"]
    assert lignes.count() == attendu
    assert page.get_by_text(f"{attendu} résultats").is_visible()
    page.get_by_role("link", name="Bain-de-Bretagne").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bain-de-Bretagne"
    assert page.get_by_text("CC Bretagne Porte de Loire Communauté").is_visible()
    # Une commune d'un autre département n'existe pas pour lui.
    reponse = page.goto(f"{serveur}/communes/01034/")
    assert reponse.status == 404


def test_mauvais_mot_de_passe_au_clavier(page, serveur):
    page.goto(f"{serveur}/connexion/")
    page.keyboard.press("Tab")  # lien d'évitement
    page.get_by_role("textbox", name="Identifiant").fill("demo-departement")
    page.get_by_role("textbox", name="Mot de passe").fill("pas-le-bon")
    page.get_by_role("textbox", name="Mot de passe").press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("Identifiant ou mot de passe incorrect")
