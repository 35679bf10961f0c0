"""Worker des exercices de panne (tests/pvd/test_pannes.py) : le vrai worker de PVD Suivi (pvd.celery), lancé
par `celery -A tests.pannes_worker worker`, dont le rendu PDF peut être ralenti pour qu'un test le tue à
coup sûr pendant la mise en page.

PANNES_PAUSE_RENDU (secondes, 0 par défaut) : pause au début de chaque rendu, dans chaque processus du
pool (signal worker_process_init : le préchauffage du processus principal n'est pas ralenti). Rien de
ceci n'est chargé par l'application : le code de production n'a aucun crochet de test."""

import os
import time

from celery.signals import worker_process_init

from pvd.celery import app  # noqa: F401  (l'application que `celery -A` trouve ici)


@worker_process_init.connect
def ralentir_le_rendu(**kwargs):
    pause = float(os.environ.get("PANNES_PAUSE_RENDU", "0"))
    if not pause:
        return
    import syntheses.pdf

    rendre = syntheses.pdf.pdf_rendre

    def pdf_rendre_lent(html, **options):
        time.sleep(pause)
        return rendre(html, **options)

    syntheses.pdf.pdf_rendre = pdf_rendre_lent
