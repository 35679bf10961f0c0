"""Les processus que lancent les tests, les bancs et l'essai de `make run` : port libre, serveur gunicorn,
worker Celery, arrêt propre. Un seul endroit pour eux ; seulement la bibliothèque standard en tête (l'essai de
`make run` s'exécute avant l'installation des dépendances)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def arreter(processus, delai=20):
    """Arrête un processus lancé par un test : SIGTERM, puis SIGKILL s'il ne s'est pas arrêté à temps."""
    if processus.poll() is None:
        processus.terminate()
        try:
            processus.wait(delai)
        except subprocess.TimeoutExpired:
            processus.kill()
            processus.wait(5)


def broker_vider():
    """Vide la file du broker avant de lancer un worker qui n'a rien à y traiter : les tâches qu'ont laissées
    d'autres tests (envoyées à la validation d'une transaction, sans worker pour les prendre) ne doivent pas
    s'exécuter dans la base de test pendant le test suivant (notifications, rappels en trop)."""
    from pvd.celery import app

    try:
        app.control.purge()
    except Exception:  # noqa: BLE001 - broker injoignable : rien à vider, le test le dira
        pass


def database_url():
    """URL de la base de test, pour les processus (serveur web, worker) lancés par les tests."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(**extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings_test",
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def worker_lancer(journal, *, nom, env):
    """Un vrai worker Celery du projet (un processus, journal dans `journal`) pour suivre une tâche de bout en
    bout ; à arrêter par arreter()."""
    commande = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "pvd",
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{nom}@%h",
    ]
    with journal.open("w") as sortie:
        return subprocess.Popen(commande, cwd=BASE_DIR, env=env, stdout=sortie, stderr=subprocess.STDOUT)


def port_libre():
    """Un port TCP libre sur 127.0.0.1 (le système le choisit)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env, dossier_log):
    """Démarre gunicorn (un processus, 4 fils) avec cet environnement ; donne son URL, l'arrête à la sortie."""
    port = port_libre()
    log = dossier_log / "gunicorn.log"
    with log.open("w") as sortie:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pvd.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=sortie,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/connexion/", timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn s'est arrêté :\n{log.read_text()}")
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn ne répond pas :\n{log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(10)
