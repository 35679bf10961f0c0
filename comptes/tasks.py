from celery import shared_task

from comptes.securite import evenements_securite_purger
from comptes.services import mot_de_passe_lien_envoyer


@shared_task(name="comptes.evenements_securite_purger_task", ignore_result=True)
def evenements_securite_purger_task():
    """Chaque jour (beat) : le journal de sécurité ne garde que SECURITE_CONSERVATION_JOURS jours."""
    return evenements_securite_purger()


@shared_task(name="comptes.mot_de_passe_lien_envoyer_task", ignore_result=True)
def mot_de_passe_lien_envoyer_task(user_id):
    """Lien de réinitialisation du mot de passe, envoyé hors de la requête."""

    return mot_de_passe_lien_envoyer(user_id=user_id)
