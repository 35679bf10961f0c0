"""Second facteur (issue #20, point 4) : exigé des comptes administrateur et national, proposé aux autres,
codes de secours à usage unique, connexion ProConnect dispensée, tentatives au journal de sécurité."""

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from comptes.double_facteur import NOMBRE_CODES_SECOURS
from comptes.models import EvenementSecurite, TypeEvenement, User

pytestmark = pytest.mark.django_db

EXIGE = ["administrateur", "national"]


@pytest.fixture
def exige(settings):
    settings.DOUBLE_FACTEUR_ROLES = EXIGE
    # Sans le délai que django-otp impose après un code faux (testé à part) : le parcours enchaîne les essais.
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code(appareil, decalage=0):
    return f"{totp(appareil.bin_key, appareil.step, appareil.t0, appareil.digits, decalage):06d}"


def connecter(username, password):
    client = Client()
    reponse = client.post(
        reverse("login"), {"username": username, "password": password, "next": "/communes/"}
    )
    assert reponse.status_code == 302, "mot de passe refusé"
    return client, client.get(reponse.url)


def activer(client):
    """Ouvre la page d'activation, lit la clé affichée, saisit le code : renvoie (réponse, codes de secours)."""
    page = client.get(reverse("double_facteur"))
    html = page.content.decode()
    assert "<svg" in html and "QR code" in html  # dessiné par le serveur
    cle = re.search(r'<code id="cle-totp">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    appareil = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    assert base64.b32decode(cle + "=" * (-len(cle) % 8)) == appareil.bin_key
    reponse = client.post(reverse("double_facteur"), {"code": code(appareil), "next": "/communes/"})
    codes = re.findall(r"<li><code>(\d{8})</code></li>", reponse.content.decode())
    return reponse, codes


def test_un_administrateur_doit_activer_le_second_facteur_puis_le_donner(exige, demo_password):
    client, reponse = connecter("demo-admin", demo_password)
    assert reponse.status_code == 302 and reponse.url.startswith(reverse("double_facteur"))
    page = client.get(reponse.url)
    assert "Étape obligatoire pour votre compte" in page.content.decode()
    # Un code faux est refusé, avec un message, et tracé.
    refus = client.post(reverse("double_facteur"), {"code": "000000"})
    assert "Code incorrect" in refus.content.decode()
    assert (
        EvenementSecurite.objects.filter(
            type=TypeEvenement.DOUBLE_FACTEUR_ECHEC, username="demo-admin"
        ).count()
        == 1
    )
    reponse, codes = activer(client)
    assert len(codes) == NOMBRE_CODES_SECOURS == len(set(codes))
    assert "ne seront plus affichés" in reponse.content.decode()
    assert User.objects.get(username="demo-admin").double_facteur_actif
    assert client.get("/communes/").status_code == 200  # session vérifiée
    assert (
        EvenementSecurite.objects.filter(
            type=TypeEvenement.DOUBLE_FACTEUR_ACTIVE, username="demo-admin"
        ).count()
        == 1
    )

    # Connexion suivante : le mot de passe ne suffit plus ; le code de l'application ouvre la session.
    appareil = TOTPDevice.objects.get(user__username="demo-admin", confirmed=True)
    autre, reponse = connecter("demo-admin", demo_password)
    assert reponse.url.startswith(reverse("verification")) and "next=%2Fcommunes%2F" in reponse.url
    assert autre.get("/admin/").url.startswith(reverse("verification"))
    refus = autre.post(reverse("verification"), {"code": "123456", "next": "/communes/"})
    assert "Code incorrect ou expiré" in refus.content.decode()
    ok = autre.post(reverse("verification"), {"code": code(appareil, 1), "next": "/communes/"})
    assert ok.status_code == 302 and ok.url == "/communes/"
    assert autre.get("/admin/").status_code == 200

    # Un code de secours sert une fois, une seule.
    troisieme, _ = connecter("demo-admin", demo_password)
    ok = troisieme.post(reverse("verification"), {"code": codes[0], "next": "/communes/"})
    assert ok.status_code == 302 and ok.url == "/communes/"
    quatrieme, _ = connecter("demo-admin", demo_password)
    refus = quatrieme.post(reverse("verification"), {"code": codes[0]})
    assert "Code incorrect" in refus.content.decode()
    utilise = EvenementSecurite.objects.get(type=TypeEvenement.CODE_SECOURS_UTILISE)
    assert utilise.detail == f"{NOMBRE_CODES_SECOURS - 1} codes de secours restants"


def test_la_page_suivante_est_toujours_du_site(exige, demo_password):
    client, _ = connecter("demo-national", demo_password)
    activer(client)
    autre, _ = connecter("demo-national", demo_password)
    appareil = TOTPDevice.objects.get(user__username="demo-national", confirmed=True)
    reponse = autre.post(
        reverse("verification"), {"code": code(appareil, 1), "next": "https://ailleurs.example/"}
    )
    assert reponse.url == reverse("accueil")


def test_un_agent_departemental_n_y_est_pas_oblige_mais_peut_l_activer(exige, demo_password):
    client, reponse = connecter("demo-departement", demo_password)
    assert reponse.status_code == 200  # pas de second facteur exigé
    page = client.get(reverse("double_facteur")).content.decode()
    assert "Étape obligatoire" not in page and "Protégez votre compte" in page
    activer(client)
    # Activé : désormais demandé à chaque connexion.
    _autre, reponse = connecter("demo-departement", demo_password)
    assert reponse.url.startswith(reverse("verification"))


def test_une_connexion_proconnect_en_est_dispensee(exige, settings, user_national):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "comptes.proconnect.ProConnectBackend",
    ]
    client = Client()
    client.force_login(user_national, backend="comptes.proconnect.ProConnectBackend")
    assert client.get(reverse("communes:liste")).status_code == 200
    par_mot_de_passe = Client()
    par_mot_de_passe.force_login(user_national, backend="django.contrib.auth.backends.ModelBackend")
    assert par_mot_de_passe.get(reverse("communes:liste")).status_code == 302


def test_regenerer_les_codes_de_secours(exige, demo_password):
    client, _ = connecter("demo-national", demo_password)
    _, anciens = activer(client)
    reponse = client.post(reverse("double_facteur"))
    nouveaux = re.findall(r"<li><code>(\d{8})</code></li>", reponse.content.decode())
    assert len(nouveaux) == NOMBRE_CODES_SECOURS and not set(nouveaux) & set(anciens)
    autre, _ = connecter("demo-national", demo_password)
    assert "Code incorrect" in autre.post(reverse("verification"), {"code": anciens[1]}).content.decode()
    assert autre.post(reverse("verification"), {"code": nouveaux[1]}).status_code == 302


def test_apres_un_code_faux_les_essais_sont_freines(settings, demo_password):
    """django-otp : après un échec, même le bon code est refusé pendant un délai qui double à chaque échec."""
    settings.DOUBLE_FACTEUR_ROLES = EXIGE
    client, _ = connecter("demo-admin", demo_password)
    client.get(reverse("double_facteur"))
    appareil = TOTPDevice.objects.get(user__username="demo-admin", confirmed=False)
    client.post(reverse("double_facteur"), {"code": "000000"})
    refus = client.post(reverse("double_facteur"), {"code": code(appareil)})
    assert "Code incorrect" in refus.content.decode()
    appareil.refresh_from_db()
    # L'essai pendant le délai n'est même pas compté : il est refusé d'office.
    assert (
        appareil.throttling_failure_count == 1
        and not User.objects.get(username="demo-admin").double_facteur_actif
    )
