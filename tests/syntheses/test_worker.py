"""Intégration : un vrai worker Celery (processus séparé, broker Redis si CELERY_BROKER_URL est défini,
sinon filesystem:// dans un dossier temporaire) produit le PDF d'une note demandée comme le fait la page.

Pas de fixture `db` : le worker écrit dans la base de test (fichier SQLite partagé ou PostgreSQL) ; les
données sont créées validées (django_db_blocker) et supprimées à la fin."""

import hashlib
import re
import subprocess
import time

import pytest
from django.conf import settings

from comptes.models import User
from pvd.celery import app
from syntheses.constants import EtatGeneration
from syntheses.generation import generation_demander, lot_demander
from syntheses.models import Campagne, Generation, Lot, Synthese, VersionPdf
from tests.processus import BASE_DIR, commande_worker, gunicorn, process_env
from tests.syntheses_outils import campagne, pdftotext


def _oublier_connexions():
    """Les connexions au broker se recréent avec les options courantes."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """Lance `celery -A pvd worker` (2 processus) sur la base de test ; partage le broker et MEDIA_ROOT."""
    dossier = tmp_path_factory.mktemp("worker")
    # Même MEDIA_ROOT que ce processus et que le serveur des tests navigateur (var/media par défaut).
    env = process_env(VAR_DIR=str(dossier), MEDIA_ROOT=str(settings.MEDIA_ROOT), CONN_MAX_AGE="0")
    anciennes_options = app.conf.broker_transport_options
    if app.conf.broker_url.startswith("filesystem://"):
        # Le worker lit VAR_DIR/celery-tests (voir pvd/settings_test.py) ; ce processus-ci écrit au même endroit.
        file = dossier / "celery-tests"
        for sous_dossier in ("queue", "processed", "control"):
            (file / sous_dossier).mkdir(parents=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(file / "queue"),
            "data_folder_out": str(file / "queue"),
            "processed_folder": str(file / "processed"),
            "store_processed": False,
            "control_folder": str(file / "control"),
        }
        _oublier_connexions()
    journal = dossier / "worker.log"
    with journal.open("w") as sortie:
        processus = subprocess.Popen(
            commande_worker(nom=f"test-{dossier.name}", concurrency=2),
            cwd=BASE_DIR,
            env=env,
            stdout=sortie,
            stderr=subprocess.STDOUT,
        )
    try:
        yield {"processus": processus, "journal": journal, "env": env, "dossier": dossier}
    finally:
        processus.terminate()
        try:
            processus.wait(20)
        except subprocess.TimeoutExpired:
            processus.kill()
            processus.wait(5)
        app.conf.broker_transport_options = anciennes_options
        _oublier_connexions()


def attendre(generation_ids, worker, delai=180):
    """Attend la fin des jobs en relevant les états successifs de chacun."""
    vus = {pk: [] for pk in generation_ids}
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        etats = dict(Generation.objects.filter(pk__in=generation_ids).values_list("pk", "etat"))
        for pk, etat in etats.items():
            if not vus[pk] or vus[pk][-1] != etat:
                vus[pk].append(etat)
        if all(e in (EtatGeneration.DONE, EtatGeneration.FAILED) for e in etats.values()):
            return vus
        if worker["processus"].poll() is not None:
            pytest.fail(f"le worker s'est arrêté :\n{worker['journal'].read_text()}")
        time.sleep(0.05)
    pytest.fail(f"jobs non terminés ({vus}) :\n{worker['journal'].read_text()[-5000:]}")


@pytest.fixture
def campagne_validee(django_db_blocker):
    with django_db_blocker.unblock():
        nationale = User.objects.get(username="demo-national")
        c = campagne(nom="Campagne du worker", user=nationale)
    yield c
    with django_db_blocker.unblock():
        for version in VersionPdf.objects.filter(synthese__campagne=c):
            version.fichier.delete(save=False)
        Lot.objects.filter(campagne=c).delete()
        Campagne.objects.filter(pk=c.pk).delete()


def test_un_vrai_worker_produit_le_pdf_de_la_note(worker, campagne_validee, django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        regionale = User.objects.get(username="demo-region")
        note = Synthese.objects.get(campagne=campagne_validee, region="53")
        generation = generation_demander(synthese=note, user=regionale)  # envoi au commit, comme la vue
        assert generation.etat == EtatGeneration.QUEUED
        vus = attendre([generation.pk], worker)[generation.pk]
        generation.refresh_from_db()
        assert generation.etat == EtatGeneration.DONE, generation.erreur
        assert vus[-1] == EtatGeneration.DONE and set(vus) <= {"queued", "running", "done"}
        assert "running" in vus  # l'avancement est visible pendant le calcul
        version = generation.version
        contenu = version.fichier.read()
        assert hashlib.sha256(contenu).hexdigest() == version.sha256
        texte = pdftotext(contenu, tmp_path)
        assert "Note de synthèse régionale" in texte and "Ille-et-Vilaine (35)" in texte
        assert f"Page {version.pages_count} / {version.pages_count}" in texte

        # Même demande, données inchangées : le worker retrouve la même somme, aucune nouvelle version.
        deuxieme = generation_demander(synthese=note, user=regionale)
        attendre([deuxieme.pk], worker)
        deuxieme.refresh_from_db()
        assert (
            deuxieme.etat == "done" and deuxieme.version_id == version.pk and not deuxieme.is_nouvelle_version
        )
        assert VersionPdf.objects.filter(synthese=note).count() == 1


def test_un_vrai_worker_produit_un_lot_en_groupe(worker, campagne_validee, django_db_blocker):
    with django_db_blocker.unblock():
        Synthese.objects.filter(campagne=campagne_validee).exclude(region__in=["01", "02", "06"]).delete()
        lot = lot_demander(campagne=campagne_validee, user=User.objects.get(username="demo-national"))
        ids = list(lot.generations.values_list("pk", flat=True))
        assert len(ids) == 3
        attendre(ids, worker)
        assert set(Generation.objects.filter(pk__in=ids).values_list("etat", flat=True)) == {"done"}
        assert VersionPdf.objects.filter(synthese__campagne=campagne_validee).count() == 3


@pytest.fixture(scope="module")
def serveur_worker(worker):
    """Un vrai gunicorn qui envoie ses tâches au même broker que le worker (le serveur commun des tests
    navigateur écrit dans le broker par défaut)."""
    with gunicorn(worker["env"], worker["dossier"]) as url:
        yield url


def _se_connecter(page, serveur, username, password):
    page.goto(f"{serveur}/connexion/")
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["avec-js", "sans-js"])
def test_generer_et_telecharger_le_pdf_dans_le_navigateur(
    navigateur, serveur_worker, worker, campagne_validee, django_db_blocker, demo_password, javascript
):
    """La région clique « Générer le PDF », suit l'avancement (JavaScript qui interroge l'état, ou
    rechargement automatique sans JavaScript) et télécharge le PDF quand il est prêt."""
    with django_db_blocker.unblock():
        note = Synthese.objects.get(campagne=campagne_validee, region="53")
    contexte = navigateur.new_context(locale="fr-FR", java_script_enabled=javascript, accept_downloads=True)
    page = contexte.new_page()
    try:
        _se_connecter(page, serveur_worker, "demo-region", demo_password)
        page.goto(f"{serveur_worker}/syntheses/notes/{note.pk}/")
        page.get_by_role("button", name="Générer le PDF").click()
        etat = page.locator("[data-generation-champ=etat_label]")
        assert etat.inner_text() in ("En file d’attente", "En cours", "Terminée")
        lien = page.get_by_role("link", name=re.compile(r"^Télécharger le PDF"))
        lien.wait_for(timeout=120_000)  # la page se recharge d'elle-même à la fin
        assert page.locator("#pdf").get_by_text("Terminée").is_visible()
        with page.expect_download() as telechargement:
            lien.click()
        chemin = telechargement.value.path()
        assert open(chemin, "rb").read(5) == b"%PDF-"
        assert telechargement.value.suggested_filename.startswith("note-synthese-53-v")
    finally:
        contexte.close()
