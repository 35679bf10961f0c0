"""Un vrai worker Celery envoie l'e-mail immédiat d'une notification, après la validation de la transaction
du renvoi, une seule fois même si la tâche est remise deux fois au broker."""

import time

import pytest
from django.db import transaction

from tests.processus import arreter, process_env, worker_lancer
from tests.rappels.test_rappels import _emails_deposes


@pytest.fixture
def section_soumise(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from comptes.models import User
        from echanges.models import Notification
        from syntheses.models import Campagne, SectionDepartementale
        from syntheses.services import section_enregistrer, section_risques_confirmer, section_soumettre
        from tests.syntheses_outils import campagne

        c = campagne(nom="Campagne du worker des échanges", user=User.objects.get(username="demo-national"))
        dept = User.objects.get(username="demo-departement")
        section = SectionDepartementale.objects.get(synthese__campagne=c, departement="35")
        section = section_enregistrer(
            section=section,
            user=dept,
            version=section.version,
            dynamique="D.",
            leviers="L.",
            difficultes="D.",
            texte_libre="",
        )
        section_risques_confirmer(section=section, user=dept, communes=[])
        section_soumettre(section=section, user=dept)
        debut = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield section
    with django_db_blocker.unblock():
        Notification.objects.filter(pk__gt=debut).delete()
        Campagne.objects.filter(pk=c.pk).delete()


def test_un_vrai_worker_envoie_l_e_mail_du_renvoi_une_seule_fois(
    section_soumise, django_db_blocker, tmp_path
):
    boite = tmp_path / "emails"
    boite.mkdir()
    env = process_env(EMAIL_URL="filemail://", EMAIL_FILE_PATH=str(boite), CONN_MAX_AGE="0")
    journal = tmp_path / "worker.log"
    worker = worker_lancer(journal, nom=f"echanges-{tmp_path.name}", env=env)
    try:
        with django_db_blocker.unblock():
            from comptes.models import User
            from echanges.models import Notification
            from echanges.tasks import notification_envoyer_task
            from syntheses.services import section_renvoyer

            with transaction.atomic():
                section_renvoyer(
                    section=section_soumise,
                    user=User.objects.get(username="demo-region"),
                    commentaire="À reprendre.",
                )
            notification = Notification.objects.get(
                destinataire__username="demo-departement",
                type="section_renvoyee",
                url__endswith=f"/{section_soumise.pk}/",
            )
            double = notification_envoyer_task.delay(notification.pk)  # remise en double : sans effet
        limite = time.monotonic() + 90
        while True:
            messages = [
                m for m in _emails_deposes(boite) if "Campagne du worker des échanges" in str(m["Subject"])
            ]
            texte = journal.read_text()
            executions = texte.count("echanges.notification_envoyer_task[")
            if messages and f"[{double.id}] succeeded" in texte:
                break
            if worker.poll() is not None:
                pytest.fail("le worker s'est arrêté :\n" + journal.read_text()[-4000:])
            if time.monotonic() > limite:
                pytest.fail(f"e-mail non envoyé ({executions} exécutions) :\n" + journal.read_text()[-4000:])
            time.sleep(0.5)
    finally:
        arreter(worker)
    # (Le worker peut aussi vider des messages laissés dans la file par d'autres tests : on ne compte que
    # ceux de cette campagne.)
    messages = [
        m
        for m in _emails_deposes(boite)
        if "demo-departement@" in str(m["To"])
        and "renvoyé la section Ille-et-Vilaine (Campagne du worker des échanges)" in str(m["Subject"])
    ]
    assert len(messages) == 1
    assert "La région a renvoyé la section Ille-et-Vilaine" in str(messages[0]["Subject"])
    assert "À reprendre." in messages[0].get_body(preferencelist=("plain",)).get_content()
