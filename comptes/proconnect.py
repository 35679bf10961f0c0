"""Connexion par ProConnect (OpenID Connect des agents de l'État), avec mozilla-django-oidc.

Règle : une identité ProConnect ouvre la session du compte PVD Suivi **existant et actif** dont
l'adresse électronique est la même (sans tenir compte de la casse). ProConnect ne crée jamais de compte
et ne change ni le rôle ni le territoire d'un compte : c'est l'administrateur qui les attribue.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

logger = logging.getLogger(__name__)


class ProConnectBackend(OIDCAuthenticationBackend):
    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email = (claims.get("email") or "").strip()
        if not email:
            return self._refuser(
                claims,
                "ProConnect n’a pas transmis d’adresse électronique : la connexion est impossible. "
                "Connectez-vous avec votre identifiant PVD Suivi.",
            )
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if not users:
            return self._refuser(
                claims,
                f"Aucun compte PVD Suivi n’est ouvert à l’adresse {email}. Demandez à l’administrateur "
                "de PVD Suivi de votre ministère de créer votre compte avec cette adresse, "
                "puis reconnectez-vous.",
            )
        if len(users) > 1:
            return self._refuser(
                claims,
                f"Plusieurs comptes PVD Suivi portent l’adresse {email} : la connexion par ProConnect est "
                "impossible tant que l’administrateur de PVD Suivi ne les a pas distingués.",
            )
        user = users[0]
        if not self.user_can_authenticate(user):
            return self._refuser(
                claims,
                f"Le compte PVD Suivi de l’adresse {email} est désactivé. "
                "Contactez l’administrateur de PVD Suivi.",
            )
        logger.info("Connexion ProConnect : %s (%s)", user.get_username(), email)
        return user

    def create_user(self, claims):
        raise PermissionDenied("PVD Suivi ne crée jamais de compte à partir d’une identité ProConnect.")

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _refuser(self, claims, message):
        logger.warning(
            "Connexion ProConnect refusée pour %s : %s", claims.get("email") or "(sans e-mail)", message
        )
        self.request.proconnect_refus = message
        return None


def proconnect_logout_url(request, id_token):
    """Adresse de fin de session ProConnect, qui ramène ensuite à la page de connexion."""
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?" + urlencode(
        {
            "id_token_hint": id_token,
            "state": get_random_string(32),
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
