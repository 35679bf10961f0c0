"""Journaux structurés : identifiant de requête, utilisateur, tâche Celery ; texte ou JSON (LOG_FORMAT).

Chaque ligne porte `request_id` (repris de l'en-tête X-Request-ID posé par le proxy, sinon tiré au
hasard, et renvoyé dans la réponse), `user` (identifiant, « anonyme » ou « - » hors requête) et, dans
un worker, `task_id` / `task_name`. Les erreurs 500 ajoutent la méthode, l'URL et la trace.
"""

import contextvars
import logging
import re
import time
import uuid

from django.utils.functional import empty

_requete = contextvars.ContextVar("pvd_requete", default=None)
REQUEST_ID_VALIDE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
logger = logging.getLogger("pvd.requetes")


def _utilisateur(requete):
    """Identifiant de l'utilisateur si la requête l'a déjà chargé (jamais de requête SQL ici)."""
    user = getattr(requete, "user", None)
    if user is None:
        return "-"
    user = getattr(user, "_wrapped", user)  # SimpleLazyObject pas encore évalué : on ne l'évalue pas
    if user is empty:
        return "-"
    return user.get_username() if user.is_authenticated else "anonyme"


class ContexteFilter(logging.Filter):
    """Ajoute à chaque enregistrement le contexte de la requête ou de la tâche en cours."""

    def filter(self, record):
        requete = _requete.get() or getattr(record, "request", None)
        record.request_id = getattr(requete, "request_id", None) or "-"
        record.user = _utilisateur(requete) if requete is not None else "-"
        erreur = getattr(record, "request", None)
        if erreur is not None and not hasattr(record, "url"):
            record.method = getattr(erreur, "method", None)
            try:
                record.url = erreur.build_absolute_uri()
            except Exception:  # un hôte refusé (DisallowedHost) ne doit pas empêcher de journaliser
                record.url = erreur.get_full_path()
        if not hasattr(record, "task_id"):
            from celery import current_task

            if current_task and current_task.request.id:
                record.task_id = current_task.request.id
                record.task_name = current_task.name
        return True


class RequeteMiddleware:
    """Identifiant de requête (en-tête X-Request-ID) et une ligne de journal par requête."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        entrant = request.headers.get("X-Request-ID", "")
        request.request_id = entrant if REQUEST_ID_VALIDE.match(entrant) else uuid.uuid4().hex
        jeton = _requete.set(request)
        debut = time.monotonic()
        try:
            response = self.get_response(request)
            duree_ms = round((time.monotonic() - debut) * 1000, 1)
            response["X-Request-ID"] = request.request_id
            niveau = logging.DEBUG if request.path.startswith("/sante/") else logging.INFO
            logger.log(
                niveau,
                "%s %s %s (%s ms)",
                request.method,
                request.get_full_path(),
                response.status_code,
                duree_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duree_ms": duree_ms,
                },
            )
            return response
        finally:
            _requete.reset(jeton)


# Attributs qui ne vont pas tels quels dans une ligne JSON (objets Django non sérialisables).
_NON_JOURNALISES = ["request", "server_time"]


def logging_config(*, format="texte", level="INFO"):
    """Configuration `LOGGING` de Django : une sortie console, en texte lisible ou en JSON (une ligne
    par événement, pour un agrégateur de journaux)."""
    from pythonjsonlogger.core import RESERVED_ATTRS

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"contexte": {"()": "pvd.journaux.ContexteFilter"}},
        "formatters": {
            "texte": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "timestamp": "time",  # ISO 8601, UTC, à la milliseconde
                "rename_fields": {"levelname": "level", "name": "logger"},
                "reserved_attrs": [*RESERVED_ATTRS, *_NON_JOURNALISES],
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if format == "json" else "texte",
                "filters": ["contexte"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django envoie déjà ses erreurs à la racine : pas de second affichage en DEBUG.
            "django": {"handlers": [], "level": level, "propagate": True},
        },
    }
