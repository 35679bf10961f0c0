from celery import shared_task

from comptes.securite import evenements_securite_purger


@shared_task(name="comptes.evenements_securite_purger_task", ignore_result=True)
def evenements_securite_purger_task():
    """Chaque jour (beat) : le journal de sécurité ne garde que SECURITE_CONSERVATION_JOURS jours."""
    return evenements_securite_purger()
