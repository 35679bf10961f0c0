"""Parcours navigateur : la barre de recherche de l'en-tête (avec et sans JavaScript) et le mot de passe
oublié, pages contrôlées par axe-core et photographiées (var/captures)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.accessibilite import verifier_accessibilite
from tests.pvd.test_navigateur import se_connecter

pytestmark = pytest.mark.browser

CAPTURES = Path(settings.VAR_DIR) / "captures"


def capturer(page, nom):
    CAPTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=CAPTURES / f"{nom}.png", full_page=True)


def test_recherche_de_l_en_tete_sans_accent_ouvre_la_commune(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    recherche = page.get_by_role("search").get_by_label(re.compile("^Rechercher une commune"))
    recherche.fill("chatillon")
    recherche.press("Enter")
    page.wait_for_url(re.compile(r"/communes/35072/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Châtillon-en-Vendelais")

    # Plusieurs réponses : la page de résultats, au clavier jusqu'au premier lien.
    recherche = page.get_by_role("search").get_by_label(re.compile("^Rechercher une commune"))
    recherche.fill("SAINT")
    page.get_by_role("search").get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"/recherche/\?q=SAINT$"))
    expect(page.locator("#recherche-bilan")).to_contain_text("pour « SAINT » dans votre territoire")
    expect(page.locator("#recherche-communes li").first).to_be_visible()
    verifier_accessibilite(page, "résultats de la recherche")
    capturer(page, "recherche-resultats")

    premier = page.locator("#recherche-communes a").first
    nom = premier.inner_text().rsplit(" (", 1)[0]
    premier.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(nom)


def test_recherche_sans_javascript(navigateur, serveur, demo_password):
    """Le formulaire de l'en-tête est un simple GET : il marche navigateur sans JavaScript."""
    contexte = navigateur.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = contexte.new_page()
    try:
        se_connecter(page, serveur, "demo-departement", demo_password)
        page.wait_for_url(re.compile(r"/communes/$"))
        champ = page.locator("#recherche-entete-champ")
        expect(champ).to_be_visible()
        champ.fill("35072")
        champ.press("Enter")
        page.wait_for_url(re.compile(r"/communes/35072/$"))
        capturer(page, "recherche-sans-javascript")
    finally:
        contexte.close()


def test_mot_de_passe_oublie_depuis_la_page_de_connexion(page, serveur):
    page.goto(f"{serveur}/")
    capturer(page, "connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    verifier_accessibilite(page, "mot de passe oublié")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_text("Saisissez l’adresse électronique de votre compte.")).to_be_visible()
    page.get_by_role("textbox", name=re.compile("Adresse électronique")).fill("personne@exemple.gouv.fr")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    verifier_accessibilite(page, "lien envoyé")
    capturer(page, "mot-de-passe-envoye")
    page.goto(f"{serveur}/mot-de-passe/nouveau/MQ/faux-jeton/")
    expect(page.get_by_text("Ce lien n’est plus valable")).to_be_visible()
    verifier_accessibilite(page, "lien plus valable")


def test_rythme_sans_objet_d_un_departement_sans_commune_pvd(page, serveur, demo_password, django_db_blocker):
    """Île-de-France : un département sans commune PVD est « sans objet », pas « en défaut »."""
    from django.db import connection

    from territoires.models import Commune, Departement

    with django_db_blocker.unblock():
        sans_pvd = sorted(
            set(Departement.objects.filter(region="11").values_list("code", flat=True))
            - set(Commune.objects.pvd().values_list("departement_id", flat=True))
        )
        connection.close()
    assert sans_pvd
    se_connecter(page, serveur, "demo-national", demo_password)
    page.wait_for_url(re.compile(r"/regions/$"))
    page.goto(f"{serveur}/clubs/rythme/?region=11")
    for code in sans_pvd:
        ligne = page.locator("tr", has_text=re.compile(rf"(^|\s){code} – "))
        expect(ligne.get_by_text("Sans objet", exact=True)).to_be_visible()
        expect(ligne.get_by_text("aucune commune PVD dans le département")).to_be_visible()
    expect(page.locator("#rythme-sans-objet")).to_be_visible()
    verifier_accessibilite(page, "rythme des clubs")
    capturer(page, "rythme-sans-objet")
