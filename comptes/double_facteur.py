"""Second facteur des comptes locaux (django-otp) : code TOTP d'une application d'authentification, codes de
secours à usage unique. Exigé des rôles de DOUBLE_FACTEUR_ROLES (administrateur et national par défaut),
proposé aux autres ; une connexion par ProConnect en est dispensée (le fournisseur d'identité s'en charge).

Un compte qui a activé son second facteur le donne à chaque connexion, quel que soit son rôle."""

import secrets
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from comptes.models import TypeEvenement, User
from comptes.securite import evenement_securite_enregistrer
from pvd.formats import compte

NOMBRE_CODES_SECOURS = 10
BACKEND_PROCONNECT = "comptes.proconnect.ProConnectBackend"


def est_exige(user):
    return user.role in settings.DOUBLE_FACTEUR_ROLES


def est_active(user):
    return user.double_facteur_actif


def est_dispense(request):
    """Session ouverte par ProConnect : le fournisseur d'identité a authentifié l'agent."""
    return request.session.get(BACKEND_SESSION_KEY) == BACKEND_PROCONNECT


def appareil_a_confirmer(user):
    """L'appareil TOTP en cours d'enrôlement du compte (créé au besoin, jamais confirmé tant qu'un code
    valide n'a pas été saisi)."""
    appareil = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return appareil or TOTPDevice.objects.create(
        user=user, name="Application d’authentification", confirmed=False
    )


def qr_code_svg(appareil):
    """Le QR code de l'URL otpauth://, dessiné en SVG par le serveur (aucun script, aucun service externe)."""
    return segno.make(appareil.config_url, error="m").svg_inline(
        scale=5,
        dark="#000091",
        light="#ffffff",
        title="QR code à scanner avec l’application d’authentification",
    )


def cle_lisible(appareil):
    """La clé en base 32, par groupes de quatre, à saisir à la main si le QR code ne peut pas être scanné."""
    cle = b32encode(appareil.bin_key).decode().rstrip("=")
    return " ".join(cle[i : i + 4] for i in range(0, len(cle), 4))


def _nouveaux_codes_secours(user):
    appareil, _ = StaticDevice.objects.get_or_create(user=user, name="Codes de secours")
    appareil.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(NOMBRE_CODES_SECOURS)]
    StaticToken.objects.bulk_create([StaticToken(device=appareil, token=code) for code in codes])
    return codes


@transaction.atomic
def double_facteur_activer(*, request, code):
    """Confirme l'appareil en cours d'enrôlement si `code` est valide ; renvoie les codes de secours (à
    n'afficher qu'une fois), ou None si le code est refusé."""
    user = request.user
    appareil = appareil_a_confirmer(user)
    if not appareil.verify_token(_nettoyer(code)):
        evenement_securite_enregistrer(
            type=TypeEvenement.DOUBLE_FACTEUR_ECHEC, request=request, user=user, detail="enrôlement"
        )
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=appareil.pk).delete()
    appareil.confirmed = True
    appareil.save(update_fields=["confirmed"])
    User.objects.filter(pk=user.pk).update(double_facteur_actif=True)
    user.double_facteur_actif = True
    codes = _nouveaux_codes_secours(user)
    otp_login(request, appareil)
    evenement_securite_enregistrer(type=TypeEvenement.DOUBLE_FACTEUR_ACTIVE, request=request, user=user)
    return codes


def double_facteur_verifier(*, request, code):
    """Vérifie le code (TOTP, ou code de secours, consommé) et marque la session ; renvoie vrai si accepté."""
    user = request.user
    appareil = match_token(user, _nettoyer(code))
    if appareil is None:
        evenement_securite_enregistrer(
            type=TypeEvenement.DOUBLE_FACTEUR_ECHEC, request=request, user=user, detail="connexion"
        )
        return False
    otp_login(request, appareil)
    if isinstance(appareil, StaticDevice):
        restants = appareil.token_set.count()
        evenement_securite_enregistrer(
            type=TypeEvenement.CODE_SECOURS_UTILISE,
            request=request,
            user=user,
            detail=f"{compte(restants, 'code de secours restant', 'codes de secours restants')}",
        )
    return True


def codes_secours_regenerer(*, request):
    codes = _nouveaux_codes_secours(request.user)
    evenement_securite_enregistrer(
        type=TypeEvenement.DOUBLE_FACTEUR_ACTIVE,
        request=request,
        user=request.user,
        detail="nouveaux codes de secours",
    )
    return codes


def codes_secours_restants(user):
    return StaticToken.objects.filter(device__user=user).count()


def _nettoyer(code):
    return "".join((code or "").split())
