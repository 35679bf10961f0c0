"""Tâches des notifications : l'e-mail immédiat d'une notification (envoyé après la validation de la
transaction qui l'a créée) et le résumé quotidien (beat). Idempotentes : la trace d'envoi est unique par
notification et par canal."""

from celery import shared_task

from echanges.services import notification_envoyer, resume_quotidien_envoyer, valeurs_a_confirmer_notifier


@shared_task(name="echanges.notification_envoyer_task", ignore_result=True)
def notification_envoyer_task(notification_id):
    return notification_envoyer(notification_id=notification_id)


@shared_task(name="echanges.resume_quotidien_envoyer_task", ignore_result=True)
def resume_quotidien_envoyer_task():
    return resume_quotidien_envoyer()


@shared_task(name="echanges.valeurs_a_confirmer_notifier_task", ignore_result=True)
def valeurs_a_confirmer_notifier_task():

    return len(valeurs_a_confirmer_notifier())
