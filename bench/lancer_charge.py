"""Test de charge : gunicorn (2 workers) sur PostgreSQL, un worker Celery sur Redis, 50 agents connectés
pendant 60 s (locust) : listes, tableaux de bord, fiches, modifications de communes, PDF des notes.

Usage : python bench/lancer_charge.py [--utilisateurs 50] [--duree 60] [--strict]
Écrit bench/charge.md (requêtes/s, p50/p95/p99, erreurs). Code de sortie non nul si une requête échoue ;
avec --strict, aussi si le p95 d'une page dépasse 500 ms (les PDF et la vérification du mot de passe, coûteuse
à dessein, sont comptés à part)."""

import argparse
import csv
import json
import os
import resource
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil  # installé avec locust

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
from tests.processus import port_libre  # noqa: E402

BASE = os.environ.get("CHARGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pvd_charge")
BROKER = os.environ.get("CHARGE_BROKER_URL", "redis://127.0.0.1:6379/14")
# Comme en production (docker-compose.yml) : un cache Redis partagé par les processus gunicorn.
CACHE = os.environ.get("CHARGE_CACHE_URL", "redis://127.0.0.1:6379/13")
HORS_CIBLE = ("pdf",)
CIBLE_P95_MS = 500
ARRIVEES_PAR_SECONDE = 2


def cpu_secondes(racines):
    """Temps CPU (utilisateur + système) des processus donnés et de leurs descendants encore vivants."""
    total = 0.0
    for racine in racines:
        try:
            for processus in [racine, *racine.children(recursive=True)]:
                temps = processus.cpu_times()
                total += temps.user + temps.system
        except psutil.NoSuchProcess:
            pass
    return total


def processus_postgresql():
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=RACINE, env=env, check=True)


def preparer(env, utilisateurs):
    nom = BASE.rsplit("/", 1)[1]
    hote = BASE.split("@", 1)[1].split("/", 1)[0].split(":")[0]
    subprocess.run(["dropdb", "-h", hote, "-U", "postgres", "--if-exists", "--force", nom], check=True)
    subprocess.run(["createdb", "-h", hote, "-U", "postgres", nom], check=True)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("charger_referentiel", env=env)
    script = f"""
from comptes.models import User
departements = ["35", "22", "29", "56", "14", "50", "27", "63", "72", "44"]
for i in range({utilisateurs}):
    if i % 5 == 3:
        valeurs = dict(role="regional", region_id="53")
    elif i % 5 == 4:
        valeurs = dict(role="national")
    else:
        valeurs = dict(role="departemental", departement_id=departements[i % len(departements)])
    u, _ = User.objects.update_or_create(username=f"charge-{{i:02d}}", defaults=valeurs)
    u.set_password("Charge-PVD-2026!")
    u.save()
"""
    manage("shell", "-c", script, env=env)
    manage("creer_demo", env=env)
    manage("generer_suivi_demo", env=env)
    manage("creer_campagne_demo", env=env)
    # Statistiques du planificateur à jour, comme le fait l'autovacuum de PostgreSQL peu après un chargement en
    # masse : sans elles, certaines requêtes suivent un plan fait pour des tables vides (jusqu'à 4 fois plus lent).
    subprocess.run(["vacuumdb", "-h", hote, "-U", "postgres", "--analyze-only", "--quiet", nom], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--utilisateurs", type=int, default=50)
    parser.add_argument("--duree", type=int, default=60)
    parser.add_argument(
        "--fils", type=int, default=1, help="fils par processus gunicorn (1, comme en production)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="échoue aussi si le p95 d'une page dépasse 500 ms"
    )
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "DATABASE_URL": BASE,
        "CELERY_BROKER_URL": BROKER,
        "CACHE_URL": CACHE,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "HTTPS": "false",
        "AXES_ENABLED": "false",
        "DOUBLE_FACTEUR_ROLES": "",  # les agents mesurés se connectent par mot de passe seul
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(RACINE / "var" / "charge"),
    }
    preparer(env, args.utilisateurs)
    # Les pages demandées n'utilisent ni l'administration, ni la documentation de l'API, ni les composants
    # du DSFR un à un : la collecte les laisse de côté (deux fois plus rapide).
    ignores = [
        "admin",
        "rest_framework",
        "drf_spectacular_sidecar",
        "component",
        "analytics",
        "*.map",
        "*.md",
    ]
    manage(
        "collectstatic",
        "--noinput",
        "-v0",
        *(f"--ignore={motif}" for motif in ignores),
        env={**env, "STATIC_ROOT": str(RACINE / "var" / "charge" / "static")},
    )
    for url in (BROKER, CACHE):
        subprocess.run(["redis-cli", "-u", url, "flushdb"], check=True, capture_output=True)
    # Comme dans le Procfile : le rendu des PDF passe après les pages (nice 10).
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pvd",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"charge-{os.getpid()}@%h",
        ],
        cwd=RACINE,
        env=env,
        preexec_fn=lambda: os.nice(10),
    )
    port = port_libre()
    serveur = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pvd.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            str(args.fils),
            # Avec --fils > 1 (worker gthread), les agents gardent leur connexion et attendent jusqu'à 5 s : avec
            # les 2 s par défaut, gunicorn la fermerait au moment où l'agent la réutilise (« Connection reset by
            # peer »). Le worker sync (1 fil) ferme après chaque réponse ; en production, nginx tient les
            # connexions des navigateurs.
            "--keep-alive",
            "10",
            "--log-level",
            "warning",
        ],
        cwd=RACINE,
        env={**env, "STATIC_ROOT": str(RACINE / "var" / "charge" / "static")},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        prefixe = RACINE / "var" / "charge" / "locust"
        connexions = RACINE / "var" / "charge" / "connexions.json"
        connexions.unlink(missing_ok=True)
        charge_debut = os.getloadavg()
        web, celery = psutil.Process(serveur.pid), psutil.Process(worker.pid)
        avant = {
            "web": cpu_secondes([web]),
            "worker": cpu_secondes([celery]),
            "postgresql": cpu_secondes(processus_postgresql()),
            "locust": resource.getrusage(resource.RUSAGE_CHILDREN),
        }
        debut = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(RACINE / "bench" / "charge.py"),
                "--headless",
                "-u",
                str(args.utilisateurs),
                # Les agents arrivent à raison de 2 par seconde : une heure de pointe, pas 50 clics dans la même
                # milliseconde.
                "-r",
                str(ARRIVEES_PAR_SECONDE),
                # Filet de sécurité : le scénario arrête le test CHARGE_DUREE s après la connexion du dernier agent.
                "-t",
                f"{args.duree + 240}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefixe),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=RACINE,
            env={**env, "CHARGE_DUREE": str(args.duree), "CHARGE_CONNEXIONS": str(connexions)},
            check=False,
        )
        enfants = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {
            "web": cpu_secondes([web]) - avant["web"],
            "worker": cpu_secondes([celery]) - avant["worker"],
            "postgresql": cpu_secondes(processus_postgresql()) - avant["postgresql"],
            "locust": enfants.ru_utime
            + enfants.ru_stime
            - avant["locust"].ru_utime
            - avant["locust"].ru_stime,
            "duree": time.monotonic() - debut,
        }
    finally:
        for processus in (serveur, worker):
            processus.terminate()
            try:
                processus.wait(20)
            except subprocess.TimeoutExpired:
                processus.kill()
                processus.wait()
    return rapport(prefixe, connexions, args, charge_debut, cpu)


def rapport(prefixe, fichier_connexions, args, charge_debut, cpu):
    with open(f"{prefixe}_stats.csv", encoding="utf-8") as f:
        lignes = list(csv.DictReader(f))
    connexions = json.loads(fichier_connexions.read_text(encoding="utf-8"))
    total = next(ligne for ligne in lignes if ligne["Name"] == "Aggregated")
    pages = [
        ligne
        for ligne in lignes
        if ligne["Name"] != "Aggregated"
        and int(ligne["Request Count"])
        and not ligne["Name"].startswith(HORS_CIBLE)
    ]
    p95_pages = max(float(ligne["95%"]) for ligne in pages)
    erreurs = int(total["Failure Count"]) + sum(c["erreurs"] for c in connexions.values())
    requetes_pages = sum(int(ligne["Request Count"]) for ligne in pages)
    texte = [
        "# Test de charge",
        "",
        f"Mesuré le {time.strftime('%d/%m/%Y à %H:%M')} par `make charge` (bench/lancer_charge.py) : gunicorn 2 workers × "
        f"{args.fils} threads, PostgreSQL, un worker Celery (1 processus, nice 10 comme dans le Procfile) sur Redis, "
        f"{args.utilisateurs} agents (3 départementaux, 1 régional, 1 national sur 5) qui attendent 1 à 5 s entre "
        f"deux actions, suivi de démonstration sur toutes les régions. Les {args.utilisateurs} agents se connectent "
        f"à raison de {ARRIVEES_PAR_SECONDE} par seconde ; la mesure commence quand le dernier est connecté et dure {args.duree} s. Machine de "
        f"{os.cpu_count()} cœurs partagée avec PostgreSQL, Redis et le générateur de charge locust ; charge "
        f"moyenne (1/5/15 min) au départ {charge_debut[0]:.1f} / {charge_debut[1]:.1f} / {charge_debut[2]:.1f}.",
        "",
        "| requête | nombre | erreurs | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for ligne in (ligne for ligne in lignes if int(ligne["Request Count"])):
        texte.append(
            f"| {ligne['Name']} | {ligne['Request Count']} | {ligne['Failure Count']} | "
            f"{float(ligne['Requests/s']):.1f} | {ligne['50%']} | {ligne['95%']} | {ligne['99%']} |"
        )
    texte += [
        "",
        f"Pages (hors PDF) : {requetes_pages} requêtes, p95 le plus haut {p95_pages:.0f} ms (cible < "
        f"{CIBLE_P95_MS} ms) ; erreurs, toutes requêtes et connexions comprises : {erreurs} (cible 0). "
        "Les PDF (rendus par le worker, suivis par l'état JSON) sont hors de la cible des pages.",
        "",
        f"Connexion des {args.utilisateurs} agents ({ARRIVEES_PAR_SECONDE} par seconde), avant la mesure :",
        "",
        "| requête | nombre | erreurs | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {nom} | {c['nombre']} | {c['erreurs']} | {c['p50']:.0f} | {c['p95']:.0f} | {c['p99']:.0f} |"
            for nom, c in connexions.items()
        ),
        "",
        f"Temps CPU consommé pendant les {cpu['duree']:.0f} s du test, connexions comprises (sur "
        f"{os.cpu_count() * cpu['duree']:.0f} s "
        f"disponibles) : gunicorn {cpu['web']:.0f} s, worker Celery (PDF) {cpu['worker']:.0f} s, PostgreSQL "
        f"{cpu['postgresql']:.0f} s (connexions encore ouvertes à la fin), générateur locust {cpu['locust']:.0f} s.",
    ]
    (RACINE / "bench" / "charge.md").write_text("\n".join(texte) + "\n", encoding="utf-8")
    print("\n".join(texte))
    if erreurs:
        return 1
    return 1 if args.strict and p95_pages >= CIBLE_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
