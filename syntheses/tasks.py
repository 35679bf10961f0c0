import logging
from datetime import datetime

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.utils import timezone

from syntheses.generation import generations_reprendre, synthese_generer
from syntheses.pdf import prechauffer

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="syntheses.synthese_generer_task", ignore_result=True)
def synthese_generer_task(self, *, generation_id):
    """Produit le PDF d'une note (job Generation) ; l'identifiant seul circule (JSON). L'identifiant du
    message et le nom du worker permettent de reprendre le job si ce worker meurt en cours de route."""
    generation = synthese_generer(
        generation_id=generation_id, task_id=self.request.id or "", worker=self.request.hostname or ""
    )
    return generation.etat if generation is not None else None


@shared_task(name="syntheses.generations_reprendre_task", ignore_result=True)
def generations_reprendre_task(*, worker="", demarre=None):
    """Reprise sur panne des jobs de génération (voir generations_reprendre) : périodique (beat) et au
    démarrage de chaque worker."""
    demarre = datetime.fromisoformat(demarre) if demarre else None
    return generations_reprendre(worker=worker, demarre=demarre)


@worker_init.connect
def prechauffer_pdf(**kwargs):
    """Dans le processus principal du worker, avant la création des processus enfants : ils héritent de
    WeasyPrint, des feuilles de style et des polices déjà chargés."""

    try:
        prechauffer()
    except Exception:  # le préchauffage ne doit jamais empêcher le worker de démarrer
        logger.warning("Préchauffage du rendu PDF impossible", exc_info=True)


@worker_ready.connect
def reprendre_generations(sender=None, **kwargs):
    """Un worker (re)démarre : les jobs qu'un worker du même nom laissait « en cours » sont morts avec lui,
    et les demandes restées en attente d'envoi peuvent partir (le broker répond : le worker est prêt).

    La reprise s'exécute ici même, dans le processus principal du worker, dès qu'il est prêt : envoyée
    comme tâche, elle attendrait derrière les messages déjà en file, et le job interrompu resterait affiché
    « en cours » jusque-là."""
    hostname = getattr(sender, "hostname", "") or ""
    try:
        generations_reprendre(worker=hostname, demarre=timezone.now())
    except Exception:  # la reprise ne doit jamais empêcher le worker de tourner ; beat la refera
        logger.warning("Reprise des générations impossible au démarrage du worker", exc_info=True)
    finally:
        from django.db import connections

        connections.close_all()  # les processus du pool ne doivent pas hériter de cette connexion
