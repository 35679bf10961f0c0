"""Santé de l'instance : la base, le broker Celery et au moins un worker répondent-ils ?

Chaque vérification renvoie {"statut": "ok" | "erreur", "duree_ms": …} et, en cas d'erreur, le type
de l'exception (le détail complet va dans les journaux, pas dans la réponse publique).
"""

import logging
import time

from django.conf import settings
from django.db import connections

from pvd.celery import app

logger = logging.getLogger(__name__)

COMPOSANTS = ("base", "broker", "worker")


def _base():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _broker():
    with app.connection_for_write(connect_timeout=settings.SANTE_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=0)
    return {}


def _worker():
    reponses = app.control.ping(timeout=settings.SANTE_TIMEOUT)
    if not reponses:
        raise WorkerAbsent(f"aucun worker n'a répondu en {settings.SANTE_TIMEOUT} s")
    return {"workers": len(reponses)}


class WorkerAbsent(Exception):
    pass


VERIFICATIONS = {"base": _base, "broker": _broker, "worker": _worker}


def sante_verifier(*, composants=COMPOSANTS):
    """Vérifie les composants demandés ; renvoie (tout_va_bien, détail par composant)."""
    resultats = {}
    for nom in composants:
        if nom == "worker" and resultats.get("broker", {}).get("statut") == "erreur":
            resultats[nom] = {"statut": "erreur", "erreur": "broker injoignable", "duree_ms": 0}
            continue
        debut = time.monotonic()
        try:
            detail = VERIFICATIONS[nom]()
        except WorkerAbsent as exc:
            logger.error("Santé : worker en erreur : %s", exc)
            detail = {"statut": "erreur", "erreur": str(exc)}
        except Exception as exc:
            logger.exception("Santé : %s en erreur", nom)
            detail = {"statut": "erreur", "erreur": type(exc).__name__}
        else:
            detail = {"statut": "ok", **detail}
        detail["duree_ms"] = round((time.monotonic() - debut) * 1000, 1)
        resultats[nom] = detail
    return all(r["statut"] == "ok" for r in resultats.values()), resultats
