from celery import shared_task

from tableau.indicateurs import chiffres_prechauffer


@shared_task(name="tableau.chiffres_prechauffer_task", ignore_result=True)
def chiffres_prechauffer_task():
    return chiffres_prechauffer()
