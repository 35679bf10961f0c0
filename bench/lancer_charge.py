"""Test de charge : gunicorn (2 workers) sur PostgreSQL, 50 agents connectés pendant 60 s (locust).

Usage : python bench/lancer_charge.py [--utilisateurs 50] [--duree 60]
Écrit bench/charge.md (requêtes/s, p50/p95/p99, erreurs). Code de sortie non nul si des requêtes échouent
ou si le p95 des pages dépasse 500 ms."""

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
    generateur = RACINE / "communes" / "management" / "commands" / "generer_suivi_demo.py"
    if generateur.exists():
        manage("generer_suivi_demo", env=env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--utilisateurs", type=int, default=50)
    parser.add_argument("--duree", type=int, default=60)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "DATABASE_URL": BASE,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "HTTPS": "false",
        "AXES_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(RACINE / "var" / "charge"),
    }
    preparer(env, args.utilisateurs)
    manage("collectstatic", "--noinput", "-v0", env={**env, "STATIC_ROOT": str(RACINE / "var" / "charge" / "static")})
    port = port_libre()
    serveur = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pvd.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        cwd=RACINE, env={**env, "STATIC_ROOT": str(RACINE / "var" / "charge" / "static")},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        prefixe = RACINE / "var" / "charge" / "locust"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(RACINE / "bench" / "charge.py"), "--headless",
             "-u", str(args.utilisateurs), "-r", "10", "-t", f"{args.duree}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(prefixe), "--only-summary", "--loglevel", "WARNING"],
            cwd=RACINE, env=env, check=False,
        )
    finally:
        serveur.terminate()
        try:
            serveur.wait(20)
        except subprocess.TimeoutExpired:
            serveur.kill()
            serveur.wait()
    return rapport(prefixe, args)


def rapport(prefixe, args):
    with open(f"{prefixe}_stats.csv", encoding="utf-8") as f:
        lignes = list(csv.DictReader(f))
    total = next(ligne for ligne in lignes if ligne["Name"] == "Aggregated")
    pages = [ligne for ligne in lignes if ligne["Name"] not in ("Aggregated",) and not ligne["Name"].startswith("pdf")]
    p95_pages = max(float(ligne["95%"]) for ligne in pages)
    erreurs = int(total["Failure Count"])
    texte = [
        "# Test de charge",
        "",
        f"gunicorn 2 workers × 4 threads, PostgreSQL, {args.utilisateurs} agents connectés, {args.duree} s, "
        f"machine de 2 cœurs (le générateur de charge tourne sur la même machine).",
        "",
        "| requête | nombre | erreurs | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for ligne in lignes:
        texte.append(
            f"| {ligne['Name']} | {ligne['Request Count']} | {ligne['Failure Count']} | "
            f"{float(ligne['Requests/s']):.1f} | {ligne['50%']} | {ligne['95%']} | {ligne['99%']} |"
        )
    texte += ["", f"p95 le plus haut parmi les pages : {p95_pages:.0f} ms (cible < {CIBLE_P95_MS} ms) ; "
              f"erreurs : {erreurs} (cible 0)."]
    (RACINE / "bench" / "charge.md").write_text("\n".join(texte) + "\n", encoding="utf-8")
    print("\n".join(texte))
    return 0 if erreurs == 0 and p95_pages < CIBLE_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
