"""Mot de passe oublié avec un vrai worker Celery : la demande, validée en base, confie l'envoi au broker ; le
worker écrit l'e-mail (backend fichier) ; son lien permet de choisir un nouveau mot de passe. (Hors transaction
de test : le worker lit la base.)"""

import re

import pytest
from django.urls import reverse

from comptes.models import EvenementSecurite, User

NOUVEAU = "Un-nouveau-mot-de-passe-2026"


def test_un_vrai_worker_envoie_le_lien(django_db_setup, django_db_blocker, tmp_path):
    import time

    from django.test import Client

    from tests.processus import arreter, broker_vider, process_env, worker_lancer
    from tests.rappels.test_rappels import _emails_deposes

    boite = tmp_path / "emails"
    boite.mkdir()
    adresse = "agent.worker@morbihan.gouv.fr"
    with django_db_blocker.unblock():
        user = User.objects.create_user(
            username="agent-mdp-worker",
            email=adresse,
            password="Ancien-mot-de-passe-2026",
            role="departemental",
            departement_id="56",
        )
    broker_vider()
    env = process_env(EMAIL_URL="filemail://", EMAIL_FILE_PATH=str(boite), CONN_MAX_AGE="0")
    journal = tmp_path / "worker.log"
    worker = worker_lancer(journal, nom=f"mdp-{tmp_path.name}", env=env)
    try:
        with django_db_blocker.unblock():
            client = Client()
            reponse = client.post(reverse("password_reset"), {"email": adresse})  # hors transaction de test
            assert reponse.status_code == 302
            limite = time.monotonic() + 90
            while not (messages := [m for m in _emails_deposes(boite) if adresse in str(m["To"])]):
                if worker.poll() is not None:
                    pytest.fail("le worker s'est arrêté :\n" + journal.read_text()[-4000:])
                if time.monotonic() > limite:
                    pytest.fail("e-mail non envoyé :\n" + journal.read_text()[-4000:])
                time.sleep(0.5)
            assert len(messages) == 1
            corps = messages[0].get_body(preferencelist=("plain",)).get_content()
            lien = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+/", corps).group(0)
            formulaire = client.get("/" + lien.split("/", 3)[3]).url
            reponse = client.post(formulaire, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
            assert reponse.status_code == 302
            user.refresh_from_db()
            assert user.check_password(NOUVEAU)
    finally:
        arreter(worker)
        with django_db_blocker.unblock():
            EvenementSecurite.objects.filter(username="agent-mdp-worker").delete()
            User.objects.filter(username="agent-mdp-worker").delete()
