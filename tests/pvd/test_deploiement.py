"""Déploiement : docker-compose.yml valide (docker-compose config, sans moteur Docker), image avec les
bibliothèques de WeasyPrint, `make serve` (Procfile) qui lance vraiment web + worker + beat, sonde des
conteneurs."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.processus import BASE_DIR, broker_vider, gunicorn, port_libre, process_env

LIBS_WEASYPRINT = {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"}


def docker_compose_config(dossier, *args):
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "paquet Debian docker-compose manquant (make setup l'installe)"
    return subprocess.run(
        [docker_compose, "config", *args], cwd=dossier, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "PVD_", "CELERY_"))},
    )  # fmt: skip


@pytest.fixture
def dossier_compose(tmp_path):
    """Le docker-compose.yml du dépôt, ses fichiers montés et un .env tiré de .env.example."""
    shutil.copy(BASE_DIR / "docker-compose.yml", tmp_path)
    shutil.copytree(BASE_DIR / "deploy", tmp_path / "deploy")
    shutil.copy(BASE_DIR / ".env.example", tmp_path / ".env")
    return tmp_path


def test_docker_compose_config_valide_avec_le_env_d_exemple(dossier_compose):
    with (dossier_compose / ".env").open("a") as env:
        env.write("POSTGRES_PASSWORD=mot-de-passe-de-test\n")
    resultat = docker_compose_config(dossier_compose)
    assert resultat.returncode == 0, resultat.stderr
    config = yaml.safe_load(resultat.stdout)
    services = config["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat", "front"}
    # Une seule image applicative pour le web, le worker, beat et les migrations.
    assert {services[s]["image"] for s in ("migrate", "web", "worker", "beat")} == {"pvd-suivi:latest"}
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "pvd", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "pvd", "beat"]
    for nom in ("db", "redis", "web", "worker", "front"):
        assert services[nom]["healthcheck"]["test"], nom
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/sonde.py", "base,broker"]
    # Le web attend les migrations ; le frontal attend un web en bonne santé.
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["front"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["environment"]["DATABASE_URL"] == "postgres://pvd:mot-de-passe-de-test@db:5432/pvd"
    assert services["worker"]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert set(config["volumes"]) == {"pgdata", "redisdata", "media", "static"}
    assert [p["published"] for p in services["front"]["ports"]] == [80]


def test_docker_compose_refuse_un_env_sans_mot_de_passe_postgresql(dossier_compose):
    resultat = docker_compose_config(dossier_compose, "--quiet")
    assert resultat.returncode != 0
    assert "POSTGRES_PASSWORD manquant dans .env" in resultat.stderr


def test_le_nombre_de_workers_se_regle_par_le_env(dossier_compose):
    with (dossier_compose / ".env").open("a") as env:
        env.write("POSTGRES_PASSWORD=x\nCELERY_CONCURRENCY=6\nPVD_HTTP_PORT=8080\n")
    resultat = docker_compose_config(dossier_compose)
    assert resultat.returncode == 0, resultat.stderr
    services = yaml.safe_load(resultat.stdout)["services"]
    assert "--concurrency=6" in services["worker"]["command"]
    assert [p["published"] for p in services["front"]["ports"]] == [8080]


def test_l_image_installe_les_bibliotheques_de_weasyprint():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    paquets = set(
        re.search(r"apt-get install -y --no-install-recommends ([^\n&]+)", dockerfile).group(1).split()
    )
    assert LIBS_WEASYPRINT <= paquets
    makefile = (BASE_DIR / "Makefile").read_text()
    assert LIBS_WEASYPRINT <= set(re.search(r"^APT_RUN := (.+)$", makefile, re.M).group(1).split())
    assert re.search(r"^USER pvd$", dockerfile, re.M), "les processus ne tournent pas en root"


def _sante(url):
    try:
        with urllib.request.urlopen(f"{url}/sante/", timeout=10) as reponse:
            return reponse.status, json.load(reponse)
    except urllib.error.HTTPError as erreur:
        return erreur.code, json.load(erreur)


@pytest.mark.django_db  # la pile lancée lit la base de test (SELECT 1) : elle doit exister
def test_make_serve_lance_web_worker_et_beat_du_procfile(tmp_path):
    """Le Procfile de `make serve`, lancé par honcho comme le fait make : /sante/ voit la base, le
    broker et le worker ; beat démarre."""
    port = port_libre()
    env_vide = tmp_path / "env"
    env_vide.write_text("")
    env = process_env(
        VAR_DIR=str(tmp_path), HOST="127.0.0.1", CONN_MAX_AGE="0",
        PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
    )  # fmt: skip
    log = tmp_path / "honcho.log"
    broker_vider()  # le worker de la pile ne doit rien exécuter de ce que d'autres tests ont laissé
    with log.open("w") as sortie:
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "start", "-f", "Procfile", "-e", str(env_vide), "-p", str(port)],
            cwd=BASE_DIR, env=env, stdout=sortie, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        limite = time.monotonic() + 90
        while True:
            try:
                statut, corps = _sante(url)
                if statut == 200:
                    break
            except OSError:
                pass
            if honcho.poll() is not None or time.monotonic() > limite:
                pytest.fail(f"la pile du Procfile ne répond pas :\n{log.read_text()}")
            time.sleep(0.5)
        assert corps["composants"]["worker"]["workers"] == 1
        while "beat: Starting..." not in log.read_text():
            assert time.monotonic() < limite, log.read_text()
            time.sleep(0.2)
        assert (tmp_path / "celerybeat-schedule").exists() or list(tmp_path.glob("celerybeat-schedule*"))
    finally:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(30)
        finally:
            try:
                os.killpg(honcho.pid, signal.SIGKILL)  # ce qui resterait du groupe lancé ici
            except ProcessLookupError:
                pass
    sortie = log.read_text()
    for processus in ("web.1", "worker.1", "beat.1"):
        assert re.search(rf"{re.escape(processus)} +\| ", sortie), sortie


@pytest.mark.django_db
def test_la_sonde_du_conteneur_web(serveur):
    env = {**os.environ, "SONDE_URL": serveur, "ALLOWED_HOSTS": "localhost,.example.gouv.fr"}
    sonde = [sys.executable, str(BASE_DIR / "deploy" / "sonde.py")]
    assert subprocess.run(sonde, env=env, capture_output=True, timeout=30).returncode == 0
    # Le serveur de test n'accepte pas l'hôte example.gouv.fr : la sonde échoue (400), en le disant.
    env["ALLOWED_HOSTS"] = ".example.gouv.fr"
    resultat = subprocess.run(sonde, env=env, capture_output=True, text=True, timeout=30)
    assert resultat.returncode == 1
    assert "/sante/ : 400" in resultat.stderr


def test_les_styles_du_dsfr_s_appliquent_avec_les_statiques_de_production(django_db_setup, page, tmp_path):
    """Réglages de production (collectstatic avec le manifeste de WhiteNoise, qui réécrit les url() des CSS) :
    le navigateur accepte les feuilles de style du DSFR — aucune erreur d'intégrité — et la police est Marianne."""
    env = process_env(
        DJANGO_SETTINGS_MODULE="pvd.settings",
        STATIC_ROOT=str(tmp_path / "statiques"),
        DEBUG="false",
        HTTPS="false",
        CONN_MAX_AGE="0",
    )
    # Sans les fichiers que la page de connexion ne charge pas (administration, API, composants un à un) : moitié
    # moins de temps, le même traitement des feuilles du DSFR.
    ignores = [
        "admin",
        "rest_framework",
        "drf_spectacular_sidecar",
        "component",
        "analytics",
        "*.map",
        "*.md",
    ]
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0",
                    *(f"--ignore={motif}" for motif in ignores)],
                   cwd=BASE_DIR, env=env, check=True, timeout=300)  # fmt: skip
    assert (tmp_path / "statiques" / "staticfiles.json").exists()
    with gunicorn(env, tmp_path) as url:
        page.goto(f"{url}/connexion/")
        page.wait_for_load_state("networkidle")
        assert "Marianne" in page.evaluate("getComputedStyle(document.body).fontFamily")
        bouton = page.get_by_role("button", name="Se connecter")
        assert (
            page.evaluate("b => getComputedStyle(b).backgroundColor", bouton.element_handle())
            == "rgb(0, 0, 145)"
        )
