"""Tâches périodiques des rappels (CELERY_BEAT_SCHEDULE) : chacune appelle un service, sans argument ;
elles sont idempotentes (un rappel enregistré ne repart pas)."""

from celery import shared_task

from rappels.services import rappels_campagne_envoyer, rappels_club_envoyer, rappels_convention_cadre_envoyer


@shared_task(name="rappels.rappels_campagne_envoyer_task", ignore_result=True)
def rappels_campagne_envoyer_task():
    return rappels_campagne_envoyer()


@shared_task(name="rappels.rappels_convention_cadre_envoyer_task", ignore_result=True)
def rappels_convention_cadre_envoyer_task():
    return rappels_convention_cadre_envoyer()


@shared_task(name="rappels.rappels_club_envoyer_task", ignore_result=True)
def rappels_club_envoyer_task():
    return rappels_club_envoyer()
