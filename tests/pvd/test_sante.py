"""/sante/ : base, broker et worker, vérifiés pour de vrai (worker Celery lancé en sous-processus)."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.urls import reverse

from pvd import sante
from pvd.celery import app
from tests.processus import BASE_DIR, broker_vider, process_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(tmp_path):
    """Un vrai worker Celery (journaux JSON) sur le broker et la base de test ; attend qu'il réponde."""
    nom = f"sante-{os.getpid()}@localhost"
    broker_vider()
    log = tmp_path / "worker.log"
    with log.open("w") as sortie:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pvd", "worker", "--pool=solo", "-n", nom,
             "--without-mingle", "--without-gossip"],
            cwd=BASE_DIR, env=process_env(LOG_FORMAT="json", LOG_LEVEL="INFO"),
            stdout=sortie, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        limite = time.monotonic() + 60
        while not app.control.ping(destination=[nom], timeout=1):
            if process.poll() is not None or time.monotonic() > limite:
                pytest.fail(f"le worker ne répond pas :\n{log.read_text()}")
        yield log
    finally:
        process.terminate()
        process.wait(20)


def test_tout_va_bien_avec_un_vrai_worker_sans_connexion(client, worker):
    reponse = client.get(reverse("sante"))
    assert reponse.status_code == 200, reponse.content
    assert reponse["Content-Type"] == "application/json"
    assert "no-cache" in reponse["Cache-Control"]
    corps = reponse.json()
    assert corps["statut"] == "ok"
    assert set(corps["composants"]) == {"base", "broker", "worker"}
    assert {c["statut"] for c in corps["composants"].values()} == {"ok"}
    assert corps["composants"]["worker"]["workers"] >= 1
    # Le worker journalise en JSON (LOG_FORMAT=json), comme le web.
    lignes = [json.loads(ligne) for ligne in worker.read_text().splitlines() if ligne.startswith("{")]
    assert any("ready" in ligne["message"] for ligne in lignes), worker.read_text()
    assert {"time", "level", "logger", "message"} <= set(lignes[0])


def test_worker_absent_503(client, settings):
    settings.SANTE_TIMEOUT = 0.5
    reponse = client.get(reverse("sante"))
    assert reponse.status_code == 503
    composants = reponse.json()["composants"]
    assert composants["base"]["statut"] == "ok"
    assert composants["broker"]["statut"] == "ok"
    assert composants["worker"] == {
        "statut": "erreur",
        "erreur": "aucun worker n'a répondu en 0.5 s",
        "duree_ms": composants["worker"]["duree_ms"],
    }


def test_broker_injoignable_503_et_worker_non_verifie(client, settings, monkeypatch):
    settings.SANTE_TIMEOUT = 0.5
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")  # port fermé
    reponse = client.get(reverse("sante"))
    assert reponse.status_code == 503
    composants = reponse.json()["composants"]
    assert composants["base"]["statut"] == "ok"
    assert composants["broker"]["statut"] == "erreur"
    assert composants["broker"]["erreur"] == "OperationalError"
    assert composants["worker"]["erreur"] == "broker injoignable"


def test_base_en_erreur_503_sans_detail_public(client, monkeypatch, caplog):
    def panne():
        raise ConnectionError("mot de passe refusé pour l'hôte db-interne")

    monkeypatch.setitem(sante.VERIFICATIONS, "base", panne)
    reponse = client.get(reverse("sante"), {"composants": "base"})
    assert reponse.status_code == 503
    assert reponse.json()["composants"]["base"]["erreur"] == "ConnectionError"
    assert "db-interne" not in reponse.content.decode()
    # Le détail, lui, est dans les journaux, avec la trace.
    erreur = next(r for r in caplog.records if r.name == "pvd.sante")
    assert erreur.levelname == "ERROR" and erreur.exc_info


def test_composants_choisis_pour_la_sonde_du_conteneur_web(client):
    reponse = client.get(reverse("sante"), {"composants": "base,broker"})
    assert reponse.status_code == 200
    assert set(reponse.json()["composants"]) == {"base", "broker"}


def test_composant_inconnu_400(client):
    reponse = client.get(reverse("sante"), {"composants": "base,cache"})
    assert reponse.status_code == 400
    assert reponse.json()["erreur"] == "composants inconnus : cache"
