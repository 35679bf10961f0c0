import logging

from celery import shared_task
from celery.signals import worker_init

from syntheses.services import synthese_generer

logger = logging.getLogger(__name__)


@shared_task(name="syntheses.synthese_generer_task", ignore_result=True)
def synthese_generer_task(*, generation_id):
    """Produit le PDF d'une note (job Generation) ; l'identifiant seul circule (JSON)."""
    generation = synthese_generer(generation_id=generation_id)
    return generation.etat if generation is not None else None


@worker_init.connect
def prechauffer_pdf(**kwargs):
    """Dans le processus principal du worker, avant la création des processus enfants : ils héritent de
    WeasyPrint, des feuilles de style et des polices déjà chargés."""
    from syntheses.pdf import prechauffer

    try:
        prechauffer()
    except Exception:  # le préchauffage ne doit jamais empêcher le worker de démarrer
        logger.warning("Préchauffage du rendu PDF impossible", exc_info=True)
