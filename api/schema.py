"""Description de l'authentification par jeton dans le schéma OpenAPI (extension drf-spectacular)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JetonApiScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.JetonApiAuthentication"
    name = "jetonApi"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton d’API remis par un administrateur de PVD Suivi, "
            "envoyé dans l’en-tête `Authorization: Bearer <jeton>`.",
        }


class SessionAgentScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "sessionAgent"
    priority = 1  # remplace la description par défaut de drf-spectacular (« cookieAuth »)

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Session d’un agent connecté à PVD Suivi (lecture limitée à son territoire).",
        }


def parametres_listes_non_vides(result, generator, request, public):
    """Crochet de post-traitement : un paramètre liste (le tri « a,-b ») compte au moins un élément ; un
    paramètre présent mais vide est refusé par l'API (api.filters.FiltresApi)."""
    for chemin in result.get("paths", {}).values():
        for operation in chemin.values():
            for parametre in operation.get("parameters", []):
                if parametre.get("schema", {}).get("type") == "array":
                    parametre["schema"]["minItems"] = 1
    return result
