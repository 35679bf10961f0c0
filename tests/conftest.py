"""Fixtures communes : la base de test reçoit une fois pour toutes le vrai référentiel (régions,
départements, EPCI, communes, liste PVD) et les comptes de démonstration."""

import os

import pytest
from django.db import connection, connections

from communes.services import referentiel_charger
from comptes.services import DEMO_PASSWORD, demo_users_creer
from tests.processus import gunicorn, process_env


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
