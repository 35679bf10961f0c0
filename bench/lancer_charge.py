"""Test de charge : gunicorn (2 workers) sur PostgreSQL, un worker Celery sur Redis, 50 agents connectés
pendant 60 s (locust) : listes, tableaux de bord, fiches, modifications de communes, PDF des notes.

Usage : python bench/lancer_charge.py [--utilisateurs 50] [--duree 60] [--strict]
Écrit bench/charge.md (requêtes/s, p50/p95/p99, erreurs). Code de sortie non nul si une requête échoue ;
avec --strict, aussi si le p95 d'une page dépasse 500 ms (les PDF et la vérification du mot de passe, coûteuse
à dessein, sont comptés à part)."""

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
BASE = os.environ.get("CHARGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pvd_charge")
BROKER = os.environ.get("CHARGE_BROKER_URL", "redis://127.0.0.1:6379/14")
HORS_CIBLE = ("pdf", "connexion : mot de passe")
CIBLE_P95_MS = 500


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=RACINE, env=env, check=True)


def port_libre():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--utilisateurs", type=int, default=50)
    parser.add_argument("--duree", type=int, default=60)
    parser.add_argument(
        "--strict", action="store_true", help="échoue aussi si le p95 d'une page dépasse 500 ms"
    )
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "DATABASE_URL": BASE,
        "CELERY_BROKER_URL": BROKER,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "HTTPS": "false",
        "AXES_ENABLED": "false",
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
    subprocess.run(["redis-cli", "-u", BROKER, "flushdb"], check=True, capture_output=True)
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
            "4",
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
        charge_debut = os.getloadavg()
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
                "-r",
                "10",
                "-t",
                f"{args.duree}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefixe),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=RACINE,
            env=env,
            check=False,
        )
    finally:
        for processus in (serveur, worker):
            processus.terminate()
            try:
                processus.wait(20)
            except subprocess.TimeoutExpired:
                processus.kill()
                processus.wait()
    return rapport(prefixe, args, charge_debut)


def rapport(prefixe, args, charge_debut):
    with open(f"{prefixe}_stats.csv", encoding="utf-8") as f:
        lignes = list(csv.DictReader(f))
    total = next(ligne for ligne in lignes if ligne["Name"] == "Aggregated")
    pages = [
        ligne
        for ligne in lignes
        if ligne["Name"] != "Aggregated" and not ligne["Name"].startswith(HORS_CIBLE)
    ]
    p95_pages = max(float(ligne["95%"]) for ligne in pages)
    erreurs = int(total["Failure Count"])
    requetes_pages = sum(int(ligne["Request Count"]) for ligne in pages)
    texte = [
        "# Test de charge",
        "",
        f"Mesuré le {time.strftime('%d/%m/%Y à %H:%M')} par `make charge` (bench/lancer_charge.py) : gunicorn 2 workers × "
        f"4 threads, PostgreSQL, un worker Celery (1 processus) sur Redis, {args.utilisateurs} agents connectés "
        f"(3 départementaux, 1 régional, 1 national sur 5), {args.duree} s, suivi de démonstration sur toutes les "
        f"régions. Machine de {os.cpu_count()} cœurs partagée avec le générateur de charge locust ; charge moyenne "
        f"(1/5/15 min) au départ {charge_debut[0]:.1f} / {charge_debut[1]:.1f} / {charge_debut[2]:.1f}.",
        "",
        "| requête | nombre | erreurs | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for ligne in lignes:
        texte.append(
            f"| {ligne['Name']} | {ligne['Request Count']} | {ligne['Failure Count']} | "
            f"{float(ligne['Requests/s']):.1f} | {ligne['50%']} | {ligne['95%']} | {ligne['99%']} |"
        )
    texte += [
        "",
        f"Pages (hors PDF et vérification du mot de passe) : {requetes_pages} requêtes, p95 le plus haut "
        f"{p95_pages:.0f} ms (cible < {CIBLE_P95_MS} ms) ; erreurs, toutes requêtes : {erreurs} (cible 0).",
        "La vérification du mot de passe (Argon2, une fois par agent au début) et les PDF (rendus par le worker, "
        "suivis par l'état JSON) sont hors de la cible des pages.",
    ]
    (RACINE / "bench" / "charge.md").write_text("\n".join(texte) + "\n", encoding="utf-8")
    print("\n".join(texte))
    if erreurs:
        return 1
    return 1 if args.strict and p95_pages >= CIBLE_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
