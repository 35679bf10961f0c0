"""Durcissement : réglages de production, Content-Security-Policy, blocage après échecs de connexion."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES_DEPARTEMENTALES = [
    reverse("login"),
    reverse("communes:liste"),
    reverse("communes:detail", args=["35012"]),
    reverse("communes:convention_cadre", args=["35012"]),
    reverse("communes:risque", args=["35012"]),
    reverse("communes:action_nouvelle", args=["35012"]),
    reverse("tableau:departement", args=["35"]),
    reverse("tableau:region", args=["53"]),
]


def test_check_deploy_sans_avertissement_en_production():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "pvd.example.gouv.fr",
    }
    env.pop("SECURE_COOKIES", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # posé par les tests navigateur ; jamais en production
    resultat = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "no issues" in resultat.stdout


@pytest.mark.parametrize("url", PAGES_DEPARTEMENTALES)
def test_csp_stricte_et_aucun_script_ni_style_en_ligne(client, user_departemental, url):
    if url != reverse("login"):
        client.force_login(user_departemental)
    reponse = client.get(url)
    assert reponse.status_code == 200
    csp = reponse["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = reponse.content.decode()
    assert not re.search(r"\sstyle\s*=", html), "attribut style= en ligne"
    for balise in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in balise, f"script en ligne : {balise}"
    assert not re.search(r"\son[a-z]+\s*=\s*\"", html), "gestionnaire d'événement en ligne"


def test_blocage_apres_echecs_repetes(client, demo_password):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        reponse = client.post(url, {"username": "demo-region", "password": "mauvais"})
        assert reponse.status_code == 200
    reponse = client.post(url, {"username": "demo-region", "password": "mauvais"})
    assert reponse.status_code == 429
    # Même le bon mot de passe est refusé pendant le blocage, avec un message clair.
    reponse = client.post(url, {"username": "demo-region", "password": demo_password})
    assert reponse.status_code == 429
    texte = reponse.content.decode()
    assert "Connexion temporairement bloquée" in texte and "15 minutes" in texte
    # Un autre compte n'est pas touché.
    assert client.post(url, {"username": "demo-national", "password": demo_password}).status_code == 302


def test_blocage_d_un_compte_attaque_depuis_plusieurs_adresses(client, demo_password):
    """Des échecs répartis sur autant d'adresses que d'essais bloquent quand même le compte ; la même
    adresse reste libre pour un autre compte (pas de blocage par adresse seule)."""
    url = reverse("login")
    for numero in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url, {"username": "demo-region", "password": "mauvais"}, REMOTE_ADDR=f"203.0.113.{numero}"
        )
    reponse = client.post(
        url, {"username": "demo-region", "password": demo_password}, REMOTE_ADDR="198.51.100.7"
    )
    assert reponse.status_code == 429
    autre = client.post(
        url, {"username": "demo-national", "password": demo_password}, REMOTE_ADDR="203.0.113.0"
    )
    assert autre.status_code == 302


def test_cookies_et_session(settings):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
