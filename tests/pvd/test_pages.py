"""Pages légales et d'aide, plan du site, pages d'erreur en français (issue #20, points 1 à 3)."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from pvd.pages import NON_CONFORMITES, pages_du_plan, version_axe_core

pytestmark = pytest.mark.django_db

PAGES_LEGALES = {
    "accessibilite": "Déclaration d’accessibilité",
    "mentions_legales": "Mentions légales",
    "donnees_personnelles": "Données personnelles",
    "cookies": "Gestion des cookies",
    "plan_du_site": "Plan du site",
    "aide": "Aide",
}


def titre(reponse):
    return re.search(r"<title>\s*(.*?)\s*</title>", reponse.content.decode(), re.S).group(1)


def liens_du_pied_de_page(reponse):
    html = reponse.content.decode()
    pied = html[html.index('<footer class="fr-footer"') :]
    return set(re.findall(r'class="fr-footer__bottom-link" href="([^"]+)"', pied))


@pytest.mark.parametrize("nom", PAGES_LEGALES)
def test_chaque_page_legale_est_publique_titree_et_liee_du_pied_de_page(client, user_departemental, nom):
    reponse = client.get(reverse(nom))
    assert reponse.status_code == 200
    assert titre(reponse) == f"{PAGES_LEGALES[nom]} — PVD Suivi"
    assert f"<h1>{PAGES_LEGALES[nom]}</h1>" in reponse.content.decode()
    # Lié du pied de page : sur la page de connexion (anonyme) comme sur une page d'un agent connecté.
    assert reverse(nom) in liens_du_pied_de_page(client.get(reverse("login")))
    client.force_login(user_departemental)
    assert reverse(nom) in liens_du_pied_de_page(client.get(reverse("communes:liste")))


def test_la_declaration_d_accessibilite_dit_l_etat_reel_et_les_non_conformites(client):
    html = client.get(reverse("accessibilite")).content.decode()
    assert "PVD Suivi est non conforme</strong>" in html and "RGAA" in html
    # La version d'axe-core citée est celle que les parcours installent (tests/navigateur).
    assert version_axe_core() and f"axe-core {version_axe_core()}" in html
    for _critere, texte in NON_CONFORMITES:
        assert texte.replace("’", "&#x27;")[:40] in html or texte[:40] in html


def test_les_pages_legales_prennent_les_reglages_de_l_instance(client, settings):
    settings.PAGES_LEGALES = {
        **settings.PAGES_LEGALES,
        "hebergeur": "Hébergeur de test SAS",
        "contact": "contact-test@example.gouv.fr",
        "conservation_journaux_mois": 7,
    }
    assert "Hébergeur de test SAS" in client.get(reverse("mentions_legales")).content.decode()
    donnees = client.get(reverse("donnees_personnelles")).content.decode()
    assert "contact-test@example.gouv.fr" in donnees and "<td>7 mois</td>" in donnees


def test_la_page_des_cookies_nomme_les_deux_seuls_cookies(client, settings):
    html = client.get(reverse("cookies")).content.decode()
    assert f"<code>{settings.SESSION_COOKIE_NAME}</code>" in html
    assert f"<code>{settings.CSRF_COOKIE_NAME}</code>" in html
    assert html.count("<tr><td><code>") == 2


@pytest.mark.parametrize(
    "utilisateur, present, absent",
    [
        (None, {"Aide", "Mentions légales"}, {"Communes PVD", "Mon compte"}),
        ("user_departemental", {"Communes PVD", "Nouvelle réunion de club", "Import des tableaux des départements"}, {"Ouvrir une campagne"}),
        ("user_regional", {"Communes PVD", "Notes de synthèse régionales"}, {"Nouvelle réunion de club", "Tableau de bord national", "Import des tableaux des départements"}),
        ("user_national", {"Tableau de bord national", "Ouvrir une campagne"}, {"Import des tableaux des départements"}),
        ("user_admin", {"Import des tableaux des départements", "Tableau de bord national"}, {"Nouvelle réunion de club"}),
    ],
)  # fmt: skip
def test_le_plan_du_site_liste_les_pages_que_l_utilisateur_peut_ouvrir(request, utilisateur, present, absent):
    client = Client()
    if utilisateur:
        client.force_login(request.getfixturevalue(utilisateur))
    reponse = client.get(reverse("plan_du_site"))
    html = reponse.content.decode()
    liens = dict(re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', html))
    titres = set(liens.values())
    assert present <= titres and not (absent & titres)
    # Chaque page du plan s'ouvre vraiment pour cet utilisateur.
    for adresse in liens:
        assert client.get(adresse).status_code == 200, adresse
    assert len(liens) == len(pages_du_plan(reponse.wsgi_request.user))


# --- Pages d'erreur ---


def verifier_page_erreur(reponse, statut, titre_attendu):
    assert reponse.status_code == statut
    assert titre(reponse) == f"{titre_attendu} — PVD Suivi"
    html = reponse.content.decode()
    assert f"<h1>{titre_attendu}</h1>" in html and f"Erreur {statut}" in html
    assert "dsfr.min.css" in html and 'lang="fr"' in html


def test_404_en_francais(client, user_departemental):
    client.force_login(user_departemental)
    verifier_page_erreur(client.get("/pas-une-page/"), 404, "Page introuvable")
    # Objet d'un autre territoire : la même page.
    verifier_page_erreur(client.get(reverse("communes:detail", args=["01034"])), 404, "Page introuvable")


def test_403_en_francais(client, user_regional):
    client.force_login(user_regional)
    reponse = client.get(reverse("communes:risque", args=["35012"]))
    verifier_page_erreur(reponse, 403, "Accès refusé")


def test_405_en_francais(client, user_departemental):
    client.force_login(user_departemental)
    reponse = client.get(reverse("logout"))
    verifier_page_erreur(reponse, 405, "Action non permise")
    assert reponse["Allow"] == "POST, OPTIONS"


def test_400_en_francais(client):
    reponse = Client(raise_request_exception=False).get("/connexion/", HTTP_HOST="hote-inconnu.example")
    verifier_page_erreur(reponse, 400, "Requête incorrecte")


def test_413_pour_un_envoi_trop_gros(client, user_departemental, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(user_departemental)
    reponse = client.post(reverse("communes:territoire", args=["35012"]), {"nom": "x" * 5000})
    verifier_page_erreur(reponse, 413, "Fichier trop volumineux")


def test_429_apres_trop_d_echecs_de_connexion(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "demo-national", "password": "faux"})
    reponse = client.post(reverse("login"), {"username": "demo-national", "password": "faux"})
    assert reponse.status_code == 429
    assert titre(reponse) == "Connexion bloquée — PVD Suivi"


@pytest.mark.urls("tests.urls_erreur")
def test_500_en_francais(user_departemental):
    client = Client(raise_request_exception=False)
    client.force_login(user_departemental)
    verifier_page_erreur(client.get("/panne/"), 500, "Erreur inattendue")


def test_csrf_refuse_en_francais(user_departemental):
    client = Client(enforce_csrf_checks=True)
    reponse = client.post(reverse("login"), {"username": "demo-departement", "password": "x"})
    verifier_page_erreur(reponse, 403, "Accès refusé")
    assert "contrôle de sécurité CSRF" in reponse.content.decode()


def test_pages_500_et_503_statiques_pour_le_frontal(tmp_path):
    call_command("pages_erreur", dossier=str(tmp_path))
    for statut, attendu in ((500, "Erreur inattendue"), (503, "Service momentanément indisponible")):
        html = (tmp_path / f"{statut}.html").read_text()
        assert f"<title>{attendu} — PVD Suivi</title>" in re.sub(r"\s+", " ", html).replace(
            "> ", ">"
        ).replace(" <", "<")
        assert f"Erreur {statut}" in html


def test_erreurs_de_l_api_en_json_francais(client, user_departemental):
    reponse = client.get("/api/v1/pas-une-ressource/")
    assert reponse.status_code == 404 and "Adresse inconnue" in reponse.json()["detail"]
    client.force_login(user_departemental)
    reponse = client.get(reverse("api:commune", args=["01034"]))  # autre territoire
    assert reponse.status_code == 404
    assert reponse.json() == {"detail": "Objet introuvable (ou hors de votre territoire)."}
    session = Client(enforce_csrf_checks=True)
    session.force_login(user_departemental)
    reponse = session.post(reverse("api:communes"), {}, content_type="application/json")
    assert reponse.status_code == 403 and "contrôle CSRF" in reponse.json()["detail"]
    anonyme = Client().get(reverse("api:communes"))
    assert anonyme.status_code in (401, 403) and "authentification" in anonyme.json()["detail"].lower()
