"""Journaux structurés : une ligne JSON par événement, avec l'identifiant de requête et l'utilisateur ;
les erreurs 500 avec l'URL, l'utilisateur et la trace."""

import io
import json
import logging
import logging.config
import time

import pytest
from django.test import Client
from django.urls import reverse

from pvd.celery import app
from pvd.journaux import logging_config

pytestmark = pytest.mark.django_db


def _configurer(config):
    """Applique une configuration LOGGING ; la sortie console va dans un tampon lu par le test."""
    logging.config.dictConfig(config)
    tampon = io.StringIO()
    logging.getLogger().handlers[0].setStream(tampon)
    return tampon


@pytest.fixture
def journal_json(settings):
    """Journaux configurés comme avec LOG_FORMAT=json ; renvoie une fonction qui lit les lignes émises."""
    tampon = _configurer(logging_config(format="json", level="INFO"))
    yield lambda: [json.loads(ligne) for ligne in tampon.getvalue().splitlines()]
    logging.config.dictConfig(settings.LOGGING)


def test_une_ligne_json_par_requete_avec_identifiant_et_utilisateur(client, user_departemental, journal_json):
    client.force_login(user_departemental)
    debut = time.monotonic()
    reponse = client.get(reverse("communes:liste"), headers={"X-Request-ID": "proxy-4f2a.1"})
    duree_ms = (time.monotonic() - debut) * 1000
    assert reponse.status_code == 200
    assert reponse["X-Request-ID"] == "proxy-4f2a.1"
    ligne = next(ligne for ligne in journal_json() if ligne["logger"] == "pvd.requetes")
    assert ligne["level"] == "INFO"
    assert ligne["request_id"] == "proxy-4f2a.1"
    assert ligne["user"] == "demo-departement"
    assert (ligne["method"], ligne["path"], ligne["status"]) == ("GET", "/communes/", 200)
    assert 0 <= ligne["duree_ms"] <= duree_ms + 1  # la durée de la requête, mesurée par le serveur
    assert ligne["time"].startswith("20") and "T" in ligne["time"]


def test_identifiant_de_requete_genere_si_absent_ou_douteux(client, journal_json):
    reponse = client.get(reverse("login"), headers={"X-Request-ID": "x\nfaux journal"})
    identifiant = reponse["X-Request-ID"]
    assert len(identifiant) == 32 and identifiant.isalnum()
    ligne = next(ligne for ligne in journal_json() if ligne["logger"] == "pvd.requetes")
    assert ligne["request_id"] == identifiant
    assert ligne["user"] == "anonyme"


@pytest.mark.urls("tests.urls_erreur")
def test_erreur_500_journalisee_avec_url_utilisateur_et_trace(user_departemental, journal_json):
    client = Client(raise_request_exception=False)
    client.force_login(user_departemental)
    reponse = client.get("/panne/?page=2")
    assert reponse.status_code == 500
    identifiant = reponse["X-Request-ID"]
    # La page d'erreur donne la référence à citer au support, au DSFR, sans détail technique.
    html = reponse.content.decode()
    assert f'Référence de l’erreur : <code id="reference-erreur">{identifiant}</code>' in html
    assert "RuntimeError" not in html and "dsfr.min.css" in html
    erreur = next(ligne for ligne in journal_json() if ligne["logger"] == "django.request")
    assert erreur["level"] == "ERROR"
    assert erreur["request_id"] == identifiant
    assert erreur["user"] == "demo-departement"
    assert erreur["method"] == "GET"
    assert erreur["url"] == "http://testserver/panne/?page=2"
    assert erreur["status_code"] == 500
    assert "RuntimeError: panne simulée pour le test" in erreur["exc_info"]
    assert 'tests/urls_erreur.py", line' in erreur["exc_info"]


def test_journal_d_une_tache_celery_porte_son_identifiant(journal_json):
    @app.task(name="tests.journal_de_tache")
    def journal_de_tache():
        logging.getLogger("pvd.tests").warning("dans la tâche")

    resultat = journal_de_tache.apply()
    ligne = next(ligne for ligne in journal_json() if ligne["logger"] == "pvd.tests")
    assert ligne["task_id"] == resultat.id
    assert ligne["task_name"] == "tests.journal_de_tache"


def test_format_texte_par_defaut_avec_contexte(client, settings):
    assert settings.LOG_FORMAT == "texte"
    tampon = _configurer(settings.LOGGING)
    try:
        client.get(reverse("login"), headers={"X-Request-ID": "abc123"})
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert " INFO pvd.requetes [abc123 anonyme] GET /connexion/ 200 (" in tampon.getvalue()
