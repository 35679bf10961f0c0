"""Erreurs de l'API en JSON et en français. DRF traduit ses propres messages, mais pas deux d'entre eux : le
refus CSRF d'une session (« CSRF Failed: … ») et l'objet introuvable de Django (« No Commune matches the
given query. »), qu'il reprend tels quels."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler

INTROUVABLE = "Objet introuvable (ou hors de votre territoire)."
CSRF_REFUSE = (
    "Requête refusée : contrôle CSRF manquant ou invalide. Une session ouverte dans le navigateur doit "
    "envoyer l’en-tête X-CSRFToken ; un système partenaire utilise un jeton d’API."
)


def gerer_exception(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(INTROUVABLE)
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        exc = exceptions.PermissionDenied(CSRF_REFUSE)
    return exception_handler(exc, context)
