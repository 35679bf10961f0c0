"""Fixtures communes : la base de test reçoit une fois pour toutes le vrai référentiel (régions,
départements, EPCI, communes, liste PVD) et les comptes de démonstration."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from communes.services import referentiel_charger
from comptes.services import DEMO_PASSWORD, demo_users_creer

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """Crée toujours la base de test (même si seuls des tests navigateur, sans fixture db, sont lancés)
    et y charge le référentiel et les comptes de démonstration."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert "test" in str(connection.settings_dict["NAME"]), (
            "les tests n'écrivent que dans une base de test"
        )
        referentiel_charger()
        demo_users_creer()
    yield
    with django_db_blocker.unblock():
        # Une connexion neuve : celles du processus de test (une par contexte, Playwright en ouvre d'autres)
        # ont pu être coupées par un exercice de panne.
        connections.close_all()
        if connection.vendor == "postgresql":
            # Les serveurs et workers lancés par les tests sont arrêtés ; leurs connexions peuvent survivre
            # un instant et empêcheraient de supprimer la base de test.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        teardown_databases(config, verbosity=0)


@pytest.fixture(autouse=True)
def _cache_vide():
    """Chaque test part d'un cache vide (celui du processus de test : mémoire locale)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


def _demo(username):
    from comptes.models import User

    return User.objects.select_related("region", "departement").get(username=username)


@pytest.fixture
def user_departemental(db):
    return _demo("demo-departement")


@pytest.fixture
def user_regional(db):
    return _demo("demo-region")


@pytest.fixture
def user_national(db):
    return _demo("demo-national")


@pytest.fixture
def user_admin(db):
    return _demo("demo-admin")


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
    bout ; à arrêter par tests.test_rappels._arreter."""
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


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env, dossier_log):
    """Démarre gunicorn (un processus, 4 fils) avec cet environnement ; donne son URL, l'arrête à la sortie."""
    port = _free_port()
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
                    pytest.fail(f"gunicorn s'est arrêté :\n{log.read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn ne répond pas :\n{log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def serveur(django_db_setup, tmp_path_factory):
    """Un vrai serveur gunicorn sur la base de test ; renvoie son URL."""
    with gunicorn(process_env(CONN_MAX_AGE="0"), tmp_path_factory.mktemp("serveur")) as url:
        yield url


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def navigateur():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(navigateur):
    context = navigateur.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    erreurs = []
    # Une page demandée en erreur (404 voulue par un test) n'en est pas une ; une feuille, un script ou une image
    # refusée, si.
    page.on(
        "console",
        lambda m: (
            erreurs.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            erreurs.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.on("pageerror", lambda e: erreurs.append(str(e)))
    yield page
    context.close()
    assert not erreurs, (
        f"erreurs dans la console (Content-Security-Policy, intégrité, JavaScript…) : {erreurs}"
    )
