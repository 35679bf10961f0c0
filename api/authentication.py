"""Authentification de l'API : jeton de partenaire (en-tête « Authorization: Bearer <jeton> ») ou session
d'un agent connecté. Les messages d'erreur sont en français."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from api.models import JetonApi
from api.services import jeton_api_noter_usage
from comptes.models import TypeEvenement
from comptes.securite import evenement_securite_enregistrer

MESSAGE_NON_AUTHENTIFIE = (
    "Authentification requise : fournissez un jeton d’API dans l’en-tête « Authorization: Bearer <jeton> », "
    "ou connectez-vous à PVD Suivi."
)
MESSAGE_JETON_INVALIDE = "Jeton d’API invalide ou révoqué."
MESSAGE_EN_TETE_INVALIDE = "En-tête Authorization mal formé : attendu « Bearer <jeton> »."


class Partenaire:
    """Le lecteur authentifié par un jeton : il voit les indicateurs publics de toute la France
    (sees_everything), comme un compte national, et rien d'autre que l'API."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    sees_everything = True
    pk = None

    def __init__(self, jeton):
        self.jeton = jeton

    def __str__(self):
        return self.jeton.partenaire

    def get_username(self):
        """Nom porté dans les journaux (identifiant de l'utilisateur pour un agent)."""
        return f"partenaire:{self.jeton.partenaire}"


class JetonApiAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        en_tete = request.META.get("HTTP_AUTHORIZATION", "")
        if not en_tete:
            return None
        morceaux = en_tete.split()
        if morceaux[0].lower() != self.keyword.lower():
            return None
        if len(morceaux) != 2:
            raise exceptions.AuthenticationFailed(MESSAGE_EN_TETE_INVALIDE)
        jeton = JetonApi.objects.par_jeton(morceaux[1])
        if jeton is None:
            raise exceptions.AuthenticationFailed(MESSAGE_JETON_INVALIDE)
        if jeton_api_noter_usage(jeton=jeton):  # au plus une trace par minute et par jeton
            evenement_securite_enregistrer(
                type=TypeEvenement.JETON_API_UTILISE,
                request=request,
                username=f"partenaire:{jeton.partenaire}",
                detail=f"jeton {jeton.prefixe}… : {request.method} {request.path}",
            )
        return Partenaire(jeton), jeton

    def authenticate_header(self, request):
        # Présent dans les réponses 401 (sans lui, DRF répondrait 403).
        return f'{self.keyword} realm="api"'
