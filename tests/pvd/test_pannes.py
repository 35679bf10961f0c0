"""Exercices de panne (issue #7) : pour de vrai, avec des processus séparés.

1. Le worker Celery tué (SIGKILL de tout son groupe de processus) au milieu d'un PDF : le job est repris et
   finit « terminé », avec une seule version et un fichier PDF complet, sans fichier temporaire laissé.
2. Le broker arrêté quand l'utilisateur demande un PDF : pas d'erreur 500, un message clair, la demande
   gardée en base ; elle part et s'exécute au retour du broker.
3. La base redémarrée pendant l'utilisation (PostgreSQL) : la requête suivante fonctionne.

Chaque exercice a son propre broker (un redis-server lancé par le test sur un port libre, ou un dossier
filesystem:// temporaire) : les deux variantes tournent quel que soit le broker configuré, sans toucher au
Redis partagé. Pas de fixture `db` : les workers et serveurs lancés lisent la base de test, les données
sont donc validées pour de bon (django_db_blocker) et supprimées à la fin."""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from comptes.models import User
from pvd.celery import app
from syntheses.constants import MESSAGE_BROKER_INDISPONIBLE, EtatGeneration
from syntheses.generation import PREFIXE_TEMPORAIRE, generation_demander
from syntheses.models import Campagne, Generation, Lot, Synthese, VersionPdf
from tests.processus import BASE_DIR, arreter, port_libre, process_env
from tests.syntheses_outils import campagne, pdftotext

pytestmark = pytest.mark.pannes

REGION = "06"  # Mayotte : la plus petite note, rendu rapide
# Un job interrompu reprend au plus tard 15 s après le redémarrage du worker (démarrage du worker compris).
REPRISE_MAX_S = 15


def _oublier_connexions():
    """Les connexions au broker se recréent avec les options courantes."""
    app._pool = None
    app.amqp._producer_pool = None


class Redis:
    """Un redis-server à nous, sur un port libre, qu'on arrête et redémarre (jamais le Redis partagé)."""

    def __init__(self, dossier):
        self.port = port_libre()
        self.dossier = dossier
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.processus = None

    def demarrer(self):
        journal = (self.dossier / "redis.log").open("a")
        self.processus = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dossier), "--daemonize", "no"],
            stdout=journal, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server ne répond pas")

    def arreter(self):
        if self.processus is not None:
            arreter(self.processus)
            self.processus = None


@pytest.fixture(params=["filesystem", "redis"])
def broker(request, monkeypatch):
    """Un broker neuf, partagé par ce processus (qui envoie les tâches) et les workers lancés."""
    dossier = Path(tempfile.mkdtemp(prefix="pannes-"))
    anciens = (app.conf.broker_url, app.conf.broker_transport_options)
    env = {"VAR_DIR": str(dossier), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "CONN_MAX_AGE": "0"}
    redis = None
    if request.param == "filesystem":
        # Le worker lit VAR_DIR/celery-tests (pvd/settings_test.py) ; ce processus-ci écrit au même endroit.
        file = dossier / "celery-tests"
        for sous_dossier in ("queue", "processed", "control"):
            (file / sous_dossier).mkdir(parents=True)
        env["CELERY_BROKER_URL"] = "filesystem://"
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {
            "data_folder_in": str(file / "queue"),
            "data_folder_out": str(file / "queue"),
            "processed_folder": str(file / "processed"),
            "store_processed": False,
            "control_folder": str(file / "control"),
        }
    else:
        redis = Redis(dossier)
        redis.demarrer()
        env["CELERY_BROKER_URL"] = app.conf.broker_url = redis.url
        app.conf.broker_transport_options = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
    # Celery préfère la variable d'environnement CELERY_BROKER_URL (passe PostgreSQL + Redis de la CI) à
    # app.conf.broker_url.
    monkeypatch.setenv("CELERY_BROKER_URL", env["CELERY_BROKER_URL"])
    _oublier_connexions()
    try:
        yield {"nom": request.param, "dossier": dossier, "env": process_env(**env), "redis": redis}
    finally:
        if redis is not None:
            redis.arreter()
        app.conf.broker_url, app.conf.broker_transport_options = anciens
        _oublier_connexions()
        if not os.environ.get("PANNES_GARDER"):
            shutil.rmtree(dossier, ignore_errors=True)


class Worker:
    """`celery -A tests.pannes_worker worker` (le vrai worker, rendu éventuellement ralenti), dans son
    propre groupe de processus : on peut le tuer d'un coup, processus principal et pool."""

    def __init__(self, broker, nom, pause=0, **env):
        self.journal = broker["dossier"] / f"worker-{nom}-{time.monotonic_ns()}.log"
        with self.journal.open("w") as sortie:
            self.processus = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tests.pannes_worker", "worker", "--concurrency=2",
                 "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"{nom}@pannes"],
                cwd=BASE_DIR, env={**broker["env"], "PANNES_PAUSE_RENDU": str(pause), **env},
                stdout=sortie, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def tuer(self):
        os.killpg(self.processus.pid, signal.SIGKILL)
        self.processus.wait(10)

    def arreter(self):
        if self.processus.poll() is None:
            os.killpg(self.processus.pid, signal.SIGTERM)
            try:
                self.processus.wait(20)
            except subprocess.TimeoutExpired:
                self.tuer()

    def verifier_vivant(self):
        if self.processus.poll() is not None:
            pytest.fail(f"le worker s'est arrêté :\n{self.journal.read_text()[-5000:]}")


def attendre(condition, worker, delai, message):
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        valeur = condition()
        if valeur:
            return valeur
        if worker is not None:
            worker.verifier_vivant()
        time.sleep(0.1)
    journal = worker.journal.read_text()[-5000:] if worker is not None else ""
    pytest.fail(f"{message} après {delai} s\n{journal}")


@pytest.fixture
def note(django_db_setup, django_db_blocker):
    """Une note neuve (aucune version), données validées pour les processus lancés."""
    with django_db_blocker.unblock():
        # Nom court : un long nom de campagne déborde du pied de page et coupe « Page N / M » dans pdftotext.
        c = campagne(
            nom=f"Pannes {time.monotonic_ns() % 10**6}", user=User.objects.get(username="demo-national")
        )
        note = Synthese.objects.select_related("campagne").get(campagne=c, region=REGION)
    yield note
    with django_db_blocker.unblock():
        for version in VersionPdf.objects.filter(synthese__campagne=c):
            version.fichier.delete(save=False)
        Lot.objects.filter(campagne=c).delete()
        Campagne.objects.filter(pk=c.pk).delete()


def dossier_pdf(note):
    return Path(settings.MEDIA_ROOT) / "syntheses" / str(note.campagne_id) / note.region_id


def verifier_une_version_complete(note, tmp_path):
    """Une seule version ; son fichier est un PDF entier (en-tête, fin de fichier, lisible par pdftotext),
    et c'est le seul fichier du dossier de la note (aucun fichier temporaire ni PDF tronqué)."""
    versions = list(VersionPdf.objects.filter(synthese=note))
    assert len(versions) == 1
    version = versions[0]
    contenu = version.fichier.read()
    version.fichier.close()
    assert contenu.startswith(b"%PDF-") and contenu.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(contenu).hexdigest() == version.sha256 and len(contenu) == version.taille
    texte = pdftotext(contenu, tmp_path)
    assert (
        "Note de synthèse régionale" in texte
        and f"Page {version.pages_count} / {version.pages_count}" in texte
    )
    fichiers = sorted(p.name for p in dossier_pdf(note).iterdir())
    assert fichiers == [Path(version.fichier.name).name]
    assert not any(nom.startswith(PREFIXE_TEMPORAIRE) for nom in fichiers)
    return version


def test_worker_tue_pendant_le_pdf(broker, note, django_db_blocker, tmp_path):
    """SIGKILL du worker (processus principal et pool) pendant la mise en page ; un worker redémarre.

    filesystem:// : le message pris par le worker tué disparaît avec lui ; le worker qui redémarre sous le
    même nom de nœud reprend, au démarrage (worker_ready), le job que ce nœud laissait « en cours ».
    Redis : le message non acquitté (acks_late) est redistribué après visibility_timeout (3 s ici) ; la
    tâche redistribuée (même identifiant de message) reprend le job « en cours ». Le second worker porte
    un autre nom : seule la redistribution par Redis peut reprendre le job."""
    debut = time.monotonic()
    premier = Worker(broker, "pannes-a", pause=120)
    try:
        with django_db_blocker.unblock():
            generation = generation_demander(synthese=note, user=User.objects.get(username="demo-national"))
            assert generation.etat == EtatGeneration.QUEUED

            def en_mise_en_page():
                g = Generation.objects.get(pk=generation.pk)
                return g.etat == EtatGeneration.RUNNING and g.etape == "Mise en page"

            attendre(en_mise_en_page, premier, 120, "le job n'est pas arrivé à la mise en page")
            premier.tuer()
            generation.refresh_from_db()
            assert generation.etat == EtatGeneration.RUNNING and generation.tentatives == 1
            assert not VersionPdf.objects.filter(synthese=note).exists()
    finally:
        premier.arreter()

    if broker["nom"] == "redis":
        # kombu cherche les messages à redistribuer au démarrage du worker, puis toutes les 100 s environ
        # (10 passages de 10 s) : on laisse passer le délai de visibilité avant de démarrer le second.
        time.sleep(3.5)
        second = Worker(broker, "pannes-b", CELERY_VISIBILITY_TIMEOUT="3")
    else:
        second = Worker(broker, "pannes-a")
    retour = time.monotonic()
    try:
        with django_db_blocker.unblock():

            def reprise():
                g = Generation.objects.get(pk=generation.pk)
                return g.tentatives == 2 or g.etat in (EtatGeneration.DONE, EtatGeneration.FAILED)

            # Repris dès que le worker est prêt (démarrage compris), pas derrière la file ni au passage de beat.
            attendre(reprise, second, REPRISE_MAX_S, "le job n'a pas été repris au retour du worker")
            delai_reprise = time.monotonic() - retour

            def terminee():
                g = Generation.objects.get(pk=generation.pk)
                return g if g.etat in (EtatGeneration.DONE, EtatGeneration.FAILED) else None

            fin = attendre(terminee, second, 120, "le job n'a pas été repris")
            assert fin.etat == EtatGeneration.DONE, fin.erreur
            assert fin.tentatives == 2 and fin.is_nouvelle_version
            version = verifier_une_version_complete(note, tmp_path)
            assert fin.version_id == version.pk
            assert Generation.objects.filter(synthese=note).count() == 1
    finally:
        second.arreter()
    print(
        f"\n[pannes] worker tué ({broker['nom']}) : {time.monotonic() - debut:.1f} s, "
        f"repris {delai_reprise:.1f} s après le redémarrage du worker"
    )


def test_broker_arrete_pendant_la_demande(broker, note, django_db_blocker, tmp_path):
    """Broker injoignable quand la région clique « Générer le PDF » : la page répond aussitôt (pas d'erreur
    500, pas d'attente), avec un message clair ; la demande est en base, « en attente d'envoi ». Au retour
    du broker, le worker qui démarre l'envoie (beat le fait aussi chaque minute) et le PDF est produit.

    filesystem:// : le dossier de la file devient inaccessible (volume démonté) ; Redis : le serveur est
    arrêté (connexion refusée)."""
    debut = time.monotonic()
    file = broker["dossier"] / "celery-tests" / "queue"
    if broker["nom"] == "redis":
        broker["redis"].arreter()
    else:
        file.rename(file.with_name("queue-demontee"))
    client = Client()
    with django_db_blocker.unblock():
        client.force_login(User.objects.get(username="demo-national"))
        avant = time.monotonic()
        reponse = client.post(f"/syntheses/notes/{note.pk}/pdf/generer/", follow=True)
        duree = time.monotonic() - avant
        assert reponse.status_code == 200 and reponse.redirect_chain[-1][1] == 302
        page = reponse.content.decode()
        assert MESSAGE_BROKER_INDISPONIBLE in page and "En attente d’envoi" in page
        assert duree < 5, f"la demande a attendu le broker {duree:.1f} s"
        generation = Generation.objects.get(synthese=note)
        assert generation.etat == EtatGeneration.UNSENT and generation.sent_at is None
        # Redemander pendant la panne ne crée pas de second job.
        reponse = client.post(f"/syntheses/notes/{note.pk}/pdf/generer/", follow=True)
        assert MESSAGE_BROKER_INDISPONIBLE in reponse.content.decode()
        assert Generation.objects.filter(synthese=note).count() == 1

    if broker["nom"] == "redis":
        broker["redis"].demarrer()
    else:
        file.with_name("queue-demontee").rename(file)
    worker = Worker(broker, "pannes-retour")
    try:
        with django_db_blocker.unblock():

            def terminee():
                g = Generation.objects.get(pk=generation.pk)
                return g if g.etat in (EtatGeneration.DONE, EtatGeneration.FAILED) else None

            fin = attendre(terminee, worker, 120, "la demande n'est pas partie au retour du broker")
            assert fin.etat == EtatGeneration.DONE, fin.erreur
            assert fin.sent_at is not None and fin.tentatives == 1
            verifier_une_version_complete(note, tmp_path)
            page = client.get(f"/syntheses/notes/{note.pk}/").content.decode()
            assert "Télécharger le PDF" in page and MESSAGE_BROKER_INDISPONIBLE not in page
    finally:
        worker.arreter()
    print(
        f"\n[pannes] broker arrêté ({broker['nom']}) : demande en {duree:.2f} s, total {time.monotonic() - debut:.1f} s"
    )


def test_base_redemarree_pendant_l_utilisation(django_db_setup, django_db_blocker):
    """PostgreSQL redémarre : toutes les connexions ouvertes par l'application sont coupées par le serveur.

    Redémarrer le cluster dérangerait les autres bases qu'il sert ; pg_terminate_backend sur les connexions
    du gunicorn de l'exercice (son application_name) produit, vu de l'application, exactement la même chose : la connexion
    persistante (CONN_MAX_AGE > 0) que garde gunicorn est fermée côté serveur, et la prochaine requête qui
    s'en servirait échouerait (« terminating connection due to administrator command » / « server closed
    the connection unexpectedly »). Avec CONN_HEALTH_CHECKS, Django vérifie la connexion au début de la
    requête et en ouvre une neuve. Un seul fil gunicorn : la seconde requête reprend bien la connexion de
    la première."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "exercice PostgreSQL : SQLite est un fichier ouvert par chaque processus, sans serveur à redémarrer"
        )
    debut = time.monotonic()
    application = f"pvd-pannes-{os.getpid()}"
    port = port_libre()
    dossier = Path(tempfile.mkdtemp(prefix="pannes-"))
    env = process_env(CONN_MAX_AGE="600")
    env["DATABASE_URL"] += f"?application_name={application}"
    with (dossier / "gunicorn.log").open("w") as sortie:
        processus = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "pvd.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "1", "--timeout", "60"],
            cwd=BASE_DIR, env=env, stdout=sortie, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        with django_db_blocker.unblock():
            client = Client()
            client.force_login(User.objects.get(username="demo-national"))
            cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

            def page():
                requete = urllib.request.Request(f"{url}/syntheses/", headers={"Cookie": cookie})
                with urllib.request.urlopen(requete, timeout=10) as reponse:
                    return reponse.status, reponse.read().decode()

            def connexions():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                        [application],
                    )
                    return {ligne[0] for ligne in cursor.fetchall()}

            for _ in range(150):
                try:
                    statut, contenu = page()
                    break
                except OSError:
                    if processus.poll() is not None:
                        pytest.fail(f"gunicorn s'est arrêté :\n{(dossier / 'gunicorn.log').read_text()}")
                    time.sleep(0.2)
            else:
                pytest.fail(f"gunicorn ne répond pas :\n{(dossier / 'gunicorn.log').read_text()[-5000:]}")
            assert statut == 200 and "Notes de synthèse" in contenu
            avant = connexions()
            assert len(avant) == 1, "gunicorn garde sa connexion ouverte entre deux requêtes (CONN_MAX_AGE)"

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = %s",
                    [application],
                )
            attendre(lambda: not connexions(), None, 10, "les connexions ne sont pas coupées")

            statut, contenu = page()
            assert statut == 200 and "Notes de synthèse" in contenu
            apres = connexions()
            assert len(apres) == 1 and apres != avant
            assert "Traceback" not in (dossier / "gunicorn.log").read_text()
    finally:
        arreter(processus)
        shutil.rmtree(dossier, ignore_errors=True)
    print(f"\n[pannes] base redémarrée : {time.monotonic() - debut:.1f} s")
