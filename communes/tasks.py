from celery import shared_task

from communes.imports import import_executer, imports_abandonnes_clore


@shared_task(bind=True, name="communes.import_executer_task", ignore_result=True)
def import_executer_task(self, *, import_id):
    """Contrôle (et, en mode enregistrement, enregistre) un fichier de situations déposé (job Import) ;
    l'identifiant seul circule (JSON). L'identifiant du message permet de reprendre le job si le worker
    meurt en cours de route (acks_late : le même message est redistribué)."""
    job = import_executer(import_id=import_id, task_id=self.request.id or "")
    return job.etat if job is not None else None


@shared_task(name="communes.imports_abandonnes_clore_task", ignore_result=True)
def imports_abandonnes_clore_task():
    """Tâche périodique (beat) : les imports dont le message s'est perdu passent en échec."""
    return imports_abandonnes_clore()
