"""Connexion ProConnect de bout en bout, contre un vrai fournisseur OpenID Connect lancé localement
(tests/oidc/fournisseur.mjs, paquet npm oidc-provider) et un vrai gunicorn configuré pour lui."""

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest
from django.db import connections
from django.urls import reverse

from comptes.constants import Role
from comptes.models import User
from tests.processus import BASE_DIR, port_libre, process_env

OIDC_DIR = BASE_DIR / "tests" / "oidc"
MOT_DE_PASSE_FOURNISSEUR = "Fournisseur-Test-2026"


@contextmanager
def processus(commande, *, env, url, log, cwd=BASE_DIR):
    """Lance un processus et attend que `url` réponde ; l'arrête à la sortie."""
    with log.open("w") as sortie:
        process = subprocess.Popen(commande, cwd=cwd, env=env, stdout=sortie, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"{commande[0]} s'est arrêté :\n{log.read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail(f"{url} ne répond pas :\n{log.read_text()}")
        yield process
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def base(django_db_blocker):
    """Accès direct à la base de test (écritures validées) pour un test navigateur sans la fixture db ;
    la connexion est refermée ensuite (sinon PostgreSQL refuse de supprimer la base en fin de session)."""

    @contextmanager
    def acces():
        with django_db_blocker.unblock():
            try:
                yield
            finally:
                connections.close_all()

    return acces


@pytest.fixture(scope="module")
def proconnect(django_db_setup, tmp_path_factory):
    """Le fournisseur OIDC local et un gunicorn dont ProConnect pointe sur lui ; renvoie leurs URL."""
    node = shutil.which("node")
    assert node, "Node.js est nécessaire (make setup l'installe)"
    assert (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(), (
        "lancer make setup (npm ci dans tests/oidc)"
    )
    dossier = tmp_path_factory.mktemp("proconnect")
    port_fournisseur, port_serveur = port_libre(), port_libre()
    fournisseur = f"http://127.0.0.1:{port_fournisseur}"
    serveur = f"http://127.0.0.1:{port_serveur}"
    client = {"CLIENT_ID": "pvd-suivi-test", "CLIENT_SECRET": "secret-de-test-" + "x" * 32}
    env_fournisseur = {
        **process_env(),
        **client,
        "PORT": str(port_fournisseur),
        "REDIRECT_URI": f"{serveur}/connexion/proconnect/retour/",
        "POST_LOGOUT_REDIRECT_URI": f"{serveur}/connexion/",
        "MOT_DE_PASSE": MOT_DE_PASSE_FOURNISSEUR,
    }
    env_serveur = process_env(
        CONN_MAX_AGE="0",  # aucune connexion PostgreSQL ouverte quand la base de test est supprimée
        PROCONNECT_URL=fournisseur,
        PROCONNECT_CLIENT_ID=client["CLIENT_ID"],
        PROCONNECT_CLIENT_SECRET=client["CLIENT_SECRET"],
    )
    gunicorn = [sys.executable, "-m", "gunicorn", "pvd.wsgi", "--bind", f"127.0.0.1:{port_serveur}",
                "--workers", "1", "--threads", "4", "--timeout", "60"]  # fmt: skip
    with (
        processus([node, "fournisseur.mjs"], env=env_fournisseur, cwd=OIDC_DIR,
                  log=dossier / "fournisseur.log", url=f"{fournisseur}/.well-known/openid-configuration"),
        processus(gunicorn, env=env_serveur, url=f"{serveur}/connexion/", log=dossier / "gunicorn.log"),
    ):  # fmt: skip
        yield {"fournisseur": fournisseur, "serveur": serveur, "journaux": dossier}


def s_identifier_chez_le_fournisseur(page, proconnect, email):
    page.get_by_role("link", name="S’identifier avec ProConnect").click()
    page.wait_for_url(f"{proconnect['fournisseur']}/interaction/**")
    page.get_by_role("textbox", name="Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE_FOURNISSEUR)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.browser
def test_connexion_proconnect_sur_le_compte_existant_puis_deconnexion(page, proconnect):
    serveur = proconnect["serveur"]
    page.goto(f"{serveur}/communes/")
    page.wait_for_url(re.compile(r"/connexion/\?next=/communes/$"))
    # Même adresse que demo-departement, casse différente : le compte est reconnu.
    s_identifier_chez_le_fournisseur(page, proconnect, "Demo-Departement@Example.gouv.fr")
    page.wait_for_url(f"{serveur}/communes/")
    assert page.get_by_role("heading", level=1).inner_text() == "Communes PVD"
    assert page.locator("#utilisateur-connecte").inner_text() == "Claire Morvan · Ille-et-Vilaine (35)"
    assert page.goto(f"{serveur}/communes/01034/").status == 404  # son territoire, pas un autre

    # Se déconnecter ferme aussi la session ProConnect (fin de session avec id_token_hint).
    page.goto(f"{serveur}/communes/")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{proconnect['fournisseur']}/session/end**")
    page.get_by_role("button", name="Oui, me déconnecter").click()
    page.wait_for_url(f"{serveur}/connexion/**")
    page.goto(f"{serveur}/communes/")
    page.wait_for_url(re.compile(r"/connexion/\?next=/communes/$"))
    page.get_by_role("link", name="S’identifier avec ProConnect").click()
    page.wait_for_url(f"{proconnect['fournisseur']}/interaction/**")  # le fournisseur redemande qui l'on est
    assert page.get_by_role("textbox", name="Adresse électronique").is_visible()


@pytest.mark.browser
def test_adresse_inconnue_message_clair_et_aucun_compte_cree(page, proconnect, base):
    with base():
        comptes_avant = User.objects.count()
    page.goto(f"{proconnect['serveur']}/connexion/")
    s_identifier_chez_le_fournisseur(page, proconnect, "agent.inconnu@example.gouv.fr")
    page.wait_for_url(f"{proconnect['serveur']}/connexion/")
    message = page.locator(".fr-alert--error").inner_text()
    assert message.startswith(
        "Aucun compte PVD Suivi n’est ouvert à l’adresse agent.inconnu@example.gouv.fr."
    )
    assert "administrateur" in message
    assert page.locator("#utilisateur-connecte").count() == 0
    with base():
        assert User.objects.count() == comptes_avant
        assert not User.objects.filter(email__iexact="agent.inconnu@example.gouv.fr").exists()


@pytest.mark.browser
def test_compte_desactive_refuse(page, proconnect, base):
    with base():
        User.objects.create_user(
            "agent-parti", email="agent.parti@example.gouv.fr", role=Role.NATIONAL, is_active=False
        )
    try:
        page.goto(f"{proconnect['serveur']}/connexion/")
        s_identifier_chez_le_fournisseur(page, proconnect, "agent.parti@example.gouv.fr")
        page.wait_for_url(f"{proconnect['serveur']}/connexion/")
        assert "est désactivé" in page.locator(".fr-alert--error").inner_text()
        assert page.locator("#utilisateur-connecte").count() == 0
    finally:
        with base():
            User.objects.filter(username="agent-parti").delete()


@pytest.mark.browser
def test_retour_rejoue_ou_annule_message_generique(page, proconnect):
    serveur = proconnect["serveur"]
    echec = "La connexion avec ProConnect n’a pas abouti."
    page.goto(f"{serveur}/connexion/proconnect/retour/?code=faux&state=inconnu")
    page.wait_for_url(f"{serveur}/connexion/")
    assert page.locator(".fr-alert--error").inner_text().startswith(echec)
    page.goto(f"{serveur}/connexion/proconnect/retour/?error=access_denied&state=x")
    assert page.locator(".fr-alert--error").inner_text().startswith(echec)


@pytest.mark.django_db
def test_sans_reglages_ni_bouton_ni_adresse(client, settings):
    assert settings.PROCONNECT_ENABLED is False
    html = client.get(reverse("login")).content.decode()
    assert "ProConnect" not in html
    assert client.get(reverse("proconnect")).status_code == 404
    assert client.get(reverse("proconnect-retour")).status_code == 404


@pytest.mark.django_db
def test_bouton_dsfr_proconnect_quand_configure(client, settings):
    settings.PROCONNECT_ENABLED = True
    html = client.get(reverse("login") + "?next=/communes/").content.decode()
    assert '<a class="fr-connect pvd-proconnect" href="/connexion/proconnect/?next=/communes/">' in html
    assert '<span class="fr-connect__login">S’identifier avec</span>' in html
    assert "Qu’est-ce que ProConnect ?" in html
    # La connexion par identifiant reste possible à côté.
    assert "Identifiant" in html and "Mot de passe" in html
