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
    assert page.get_by_text("CC Bretagne Porte de Loire Communauté — Communauté de communes").is_visible()
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


@pytest.fixture
def commune_a_remettre(django_db_blocker):
    """Le parcours écrit dans la base par le serveur : on remet la commune dans son état initial après."""
    code = "35037"  # Bréal-sous-Montfort
    yield code
    from communes.models import Action, Convention, Territoire

    with django_db_blocker.unblock():
        territoire = Territoire.objects.get(communes__code_insee=code)
        Convention.objects.filter(territoire=territoire, type="cadre").delete()
        Action.objects.filter(territoire=territoire).delete()
        Territoire.objects.filter(pk=territoire.pk).update(crte=None, date_inscription_crte=None)


def test_le_departemental_mene_une_commune_en_phase_operationnelle(
    page, serveur, demo_password, commune_a_remettre
):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    page.get_by_role("link", name="Bréal-sous-Montfort").click()
    assert page.locator("#phase h2").inner_text().startswith("Adhésion signée")

    page.get_by_role("link", name="Enregistrer la convention-cadre").click()
    page.get_by_label("Date de signature").fill("2023-03-15")
    page.locator("label[for=id_vaut_ort]").click()
    assert page.get_by_label("Vaut ORT").is_checked()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Convention-cadre : modification enregistrée.").is_visible()

    page.get_by_role("link", name="Enregistrer l’inscription au CRTE").click()
    page.get_by_role("combobox", name="CRTE").select_option(label="CRTE de Brocéliande")
    page.get_by_label("Inscription de la convention-cadre au CRTE").fill("2023-05-02")
    page.get_by_role("button", name="Enregistrer").click()

    page.get_by_role("link", name="Nouvelle action").click()
    page.get_by_label("Titre").fill("Réhabilitation des halles")
    page.get_by_role("combobox", name="Thème").select_option(label="Commerce, développement économique")
    page.get_by_label("Maître d’ouvrage").fill("Commune")
    page.get_by_label("Statut").select_option(label="Engagée")
    page.get_by_label("Date d’engagement").fill("2023-09-01")
    page.get_by_role("button", name="Enregistrer").click()

    assert page.locator("#phase h2").inner_text().startswith("Phase opérationnelle")
    historique = page.locator("#historique").inner_text()
    assert "Claire Morvan · Création : Convention-cadre" in historique
    assert "Vaut ORT : — → Oui" in historique
    assert "CRTE : — → CRTE de Brocéliande" in historique
    assert "Claire Morvan · Création : Action « Réhabilitation des halles »" in historique
    page.goto(f"{serveur}/communes/?phase=5_operationnelle")
    assert page.get_by_role("link", name="Bréal-sous-Montfort").is_visible()
