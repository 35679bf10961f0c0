"""Test de charge : gunicorn (2 workers) sur PostgreSQL, un worker Celery sur Redis, des agents connectés
pendant 60 s (locust) : listes, tableaux de bord, fiches, recherche, modifications de communes (chaque agent la
sienne), exports, contrôles d'import (job du worker), PDF des notes.

Usage : python bench/lancer_charge.py [--utilisateurs 50[,100,200]] [--duree 60] [--strict]
Un palier par nombre d'agents (même base, serveur et worker relancés, cache vidé) : bench/charge.md donne la
courbe de saturation (req/s, p50/p95/p99, erreurs, CPU par processus) puis le détail de chaque palier. Code de
sortie non nul si une requête échoue ; avec --strict, aussi si le p95 d'une page dépasse sa cible (300 ms à
100 agents, 500 ms sinon ; les PDF et la vérification du mot de passe, coûteuse à dessein, sont à part)."""

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
HORS_CIBLE = ("pdf", "import : état")
CIBLE_P95_MS = 500
CIBLES_P95_MS = {100: 300}
DEPARTEMENTS = [
    "35",
    "22",
    "29",
    "56",
    "14",
    "50",
    "27",
    "63",
    "72",
    "44",
    "01",
    "24",
    "33",
    "59",
    "62",
    "67",
    "71",
    "76",
    "80",
    "88",
]


def arrivees_par_seconde(utilisateurs):
    """Agents qui se connectent chaque seconde : 2 jusqu'à 50 agents, 4 au-delà (la connexion vérifie un mot
    de passe Argon2, 0,3 s de CPU : 4 par seconde occupent déjà plus d'un cœur)."""
    return 2 if utilisateurs <= 50 else 4


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


def preparer(env, utilisateurs, affectations):
    nom = BASE.rsplit("/", 1)[1]
    hote = BASE.split("@", 1)[1].split("/", 1)[0].split(":")[0]
    subprocess.run(["dropdb", "-h", hote, "-U", "postgres", "--if-exists", "--force", nom], check=True)
    subprocess.run(["createdb", "-h", hote, "-U", "postgres", nom], check=True)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("charger_referentiel", env=env)
    # Chaque agent départemental reçoit sa commune, distincte de celle de tout autre agent.
    script = f"""
import json
from comptes.models import User
from territoires.models import Commune
departements = {DEPARTEMENTS!r}
libres = {{d: list(Commune.objects.pvd().filter(departement_id=d).order_by("code_insee").values_list("code_insee", flat=True)) for d in departements}}
affectations = {{}}
for i in range({utilisateurs}):
    if i % 5 == 3:
        valeurs = dict(role="regional", region_id="53")
    elif i % 5 == 4:
        valeurs = dict(role="national")
    else:
        departement = departements[i % len(departements)]
        valeurs = dict(role="departemental", departement_id=departement)
        affectations[f"charge-{{i:02d}}"] = libres[departement].pop(0)
    u, _ = User.objects.update_or_create(username=f"charge-{{i:02d}}", defaults=valeurs)
    u.set_password("Charge-PVD-2026!")
    u.save()
open({str(affectations)!r}, "w").write(json.dumps(affectations))
"""
    manage("shell", "-c", script, env=env)
    manage("creer_demo", env=env)
    manage("generer_suivi_demo", env=env)
    manage("creer_campagne_demo", env=env)
    # Statistiques du planificateur à jour, comme le fait l'autovacuum de PostgreSQL peu après un chargement en
    # masse : sans elles, certaines requêtes suivent un plan fait pour des tables vides (jusqu'à 4 fois plus lent).
    subprocess.run(["vacuumdb", "-h", hote, "-U", "postgres", "--analyze-only", "--quiet", nom], check=True)


def arreter(processus):
    processus.terminate()
    try:
        processus.wait(20)
    except subprocess.TimeoutExpired:
        processus.kill()
        processus.wait()


def palier(env, *, utilisateurs, duree, fils, affectations):
    """Un palier : worker et gunicorn neufs, cache et broker vidés, `utilisateurs` agents pendant `duree` s."""
    for url in (BROKER, CACHE):
        subprocess.run(["redis-cli", "-u", url, "flushdb"], check=True, capture_output=True)
    # Comme dans le Procfile : le rendu des PDF et les imports passent après les pages (nice 10).
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pvd", "worker", "--concurrency", "1", "--loglevel", "WARNING",
         "--hostname", f"charge-{os.getpid()}-{utilisateurs}@%h"],
        cwd=RACINE,
        env=env,
        preexec_fn=lambda: os.nice(10),
    )  # fmt: skip
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
            str(fils),
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
        prefixe = RACINE / "var" / "charge" / f"locust-{utilisateurs}"
        connexions = RACINE / "var" / "charge" / f"connexions-{utilisateurs}.json"
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
                str(utilisateurs),
                # Les agents arrivent à raison de quelques-uns par seconde : une heure de pointe, pas tous les
                # clics dans la même milliseconde.
                "-r",
                str(arrivees_par_seconde(utilisateurs)),
                # Filet de sécurité : le scénario arrête le test CHARGE_DUREE s après la connexion du dernier agent.
                "-t",
                f"{duree + 60 + utilisateurs // arrivees_par_seconde(utilisateurs) * 3}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefixe),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=RACINE,
            env={
                **env,
                "CHARGE_DUREE": str(duree),
                "CHARGE_CONNEXIONS": str(connexions),
                "CHARGE_AFFECTATIONS": str(affectations),
            },
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
        arreter(serveur)
        arreter(worker)
    return mesure(prefixe, connexions, utilisateurs, charge_debut, cpu)


def mesure(prefixe, fichier_connexions, utilisateurs, charge_debut, cpu):
    with open(f"{prefixe}_stats.csv", encoding="utf-8") as f:
        lignes = [ligne for ligne in csv.DictReader(f) if int(ligne["Request Count"])]
    connexions = json.loads(fichier_connexions.read_text(encoding="utf-8"))
    total = next(ligne for ligne in lignes if ligne["Name"] == "Aggregated")
    pages = [
        ligne
        for ligne in lignes
        if ligne["Name"] != "Aggregated" and not ligne["Name"].startswith(HORS_CIBLE)
    ]
    return {
        "utilisateurs": utilisateurs,
        "lignes": lignes,
        "total": total,
        "connexions": connexions,
        "p95_pages": max(float(ligne["95%"]) for ligne in pages),
        "page_la_plus_lente": max(pages, key=lambda ligne: float(ligne["95%"]))["Name"],
        "requetes_pages": sum(int(ligne["Request Count"]) for ligne in pages),
        "erreurs": int(total["Failure Count"]) + sum(c["erreurs"] for c in connexions.values()),
        "charge_debut": charge_debut,
        "cpu": cpu,
        "cible": CIBLES_P95_MS.get(utilisateurs, CIBLE_P95_MS),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--utilisateurs", default="50", help="agents, ou paliers séparés par des virgules")
    parser.add_argument("--duree", type=int, default=60)
    parser.add_argument(
        "--fils", type=int, default=1, help="fils par processus gunicorn (1, comme en production)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="échoue aussi si le p95 d'une page dépasse sa cible"
    )
    args = parser.parse_args()
    paliers = [int(n) for n in args.utilisateurs.split(",")]
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
    (RACINE / "var" / "charge").mkdir(parents=True, exist_ok=True)
    affectations = RACINE / "var" / "charge" / "affectations.json"
    preparer(env, max(paliers), affectations)
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
    mesures = [
        palier(env, utilisateurs=n, duree=args.duree, fils=args.fils, affectations=affectations)
        for n in paliers
    ]
    rapport(mesures, args)
    if any(m["erreurs"] for m in mesures):
        return 1
    return 1 if args.strict and any(m["p95_pages"] >= m["cible"] for m in mesures) else 0


def rapport(mesures, args):
    texte = [
        "# Test de charge",
        "",
        f"Mesuré le {time.strftime('%d/%m/%Y à %H:%M')} par `make charge` (bench/lancer_charge.py) : gunicorn 2 workers × "
        f"{args.fils} fil, PostgreSQL, un worker Celery (1 processus, nice 10 comme dans le Procfile) sur Redis, "
        f"agents (3 départementaux sur 20 départements, 1 régional, 1 national sur 5) qui attendent 1 à 5 s entre "
        "deux actions : listes, tableaux de bord, fiches, recherche, modification de sa commune (chacun la sienne, "
        "jamais celle d'un autre), export CSV de sa liste, contrôle d'un fichier d'import (job du worker), PDF de "
        "la note (régions). Suivi de démonstration sur toutes les régions. Les agents se connectent à raison de "
        "2 par seconde (4 au-delà de 50 agents) ; la mesure commence quand le dernier est connecté et dure "
        f"{args.duree} s. Machine de {os.cpu_count()} cœurs partagée avec PostgreSQL, Redis et le générateur de "
        "charge locust. Un palier par nombre d'agents, serveur et worker relancés, cache vidé.",
        "",
        "## Courbe de saturation",
        "",
        "| agents | req/s | p50 (ms) | p95 (ms) | p99 (ms) | p95 de la page la plus lente (cible) | erreurs | CPU gunicorn / worker / PostgreSQL / locust (s) | charge au départ (1/5/15 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in mesures:
        t, c, ch = m["total"], m["cpu"], m["charge_debut"]
        texte.append(
            f"| {m['utilisateurs']} | {float(t['Requests/s']):.1f} | {t['50%']} | {t['95%']} | {t['99%']} | "
            f"{m['p95_pages']:.0f} ms, {m['page_la_plus_lente']} (< {m['cible']} ms) | {m['erreurs']} | "
            f"{c['web']:.0f} / {c['worker']:.0f} / {c['postgresql']:.0f} / {c['locust']:.0f} sur "
            f"{os.cpu_count() * c['duree']:.0f} disponibles | {ch[0]:.1f} / {ch[1]:.1f} / {ch[2]:.1f} |"
        )
    for m in mesures:
        texte += [
            "",
            f"## {m['utilisateurs']} agents",
            "",
            "| requête | nombre | erreurs | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
            "|---|---|---|---|---|---|---|",
            *(
                f"| {ligne['Name']} | {ligne['Request Count']} | {ligne['Failure Count']} | "
                f"{float(ligne['Requests/s']):.1f} | {ligne['50%']} | {ligne['95%']} | {ligne['99%']} |"
                for ligne in m["lignes"]
            ),
            "",
            f"Pages (hors PDF et suivi des imports) : {m['requetes_pages']} requêtes, p95 le plus haut "
            f"{m['p95_pages']:.0f} ms (cible < {m['cible']} ms) ; erreurs, connexions comprises : {m['erreurs']} (cible 0).",
            "",
            "| connexion (avant la mesure) | nombre | erreurs | p50 (ms) | p95 (ms) | p99 (ms) |",
            "|---|---|---|---|---|---|",
            *(
                f"| {nom} | {c['nombre']} | {c['erreurs']} | {c['p50']:.0f} | {c['p95']:.0f} | {c['p99']:.0f} |"
                for nom, c in m["connexions"].items()
            ),
        ]
    (RACINE / "bench" / "charge.md").write_text("\n".join(texte) + "\n", encoding="utf-8")
    print("\n".join(texte))


if __name__ == "__main__":
    sys.exit(main())
