"""Banc de performance des tableaux de bord (make bench) ; écrit ses chiffres dans bench/resultats.md.

Dans sa propre base (jamais la base normale) : BENCH_DATABASE_URL, par défaut sqlite:///var/bench.sqlite3
(une base PostgreSQL dédiée, ex. postgres://postgres@127.0.0.1:5432/pvd_banc, est recréée à chaque passage).

1. Taille réelle : référentiel, comptes de démonstration, situations de démonstration pour les ~1 645
   communes PVD (generer_suivi_demo).
2. 20 fois plus : toutes les ~34 900 communes réelles deviennent lauréates, avec leurs situations
   (generer_suivi_demo --toutes-communes, permis seulement dans une base dont le nom contient « bench »).
À chaque taille :
- dans ce processus (client de test Django) : temps serveur médian et nombre de requêtes SQL du tableau de
  bord national, de la liste des communes, d'une page région et d'une page département, cache chaud ; le
  même après un enregistrement dans un département (recalcul de ce seul département) et cache vide ;
- le temps des requêtes d'agrégat du tableau de bord national seules (SQL brut exécuté par le curseur) ;
- la recherche (page de résultats de l'en-tête, filtre de la liste des communes) : temps serveur médian et
  requêtes SQL ; objectif à ×20 : moins de 100 ms ;
- un vrai serveur gunicorn (1 processus) : temps de réponse HTTP médians et mémoire de pointe (VmHWM) du
  processus web après toutes les pages, y compris les exports.

`--import` (make bench-import) : le fichier national des situations (une ligne par commune PVD) simulé puis
importé, dans sa propre base (BENCH_IMPORT_DATABASE_URL, par défaut sqlite:///var/bench-import.sqlite3) qui ne
reçoit que le référentiel ; durées du contrôle, de l'écriture (verrou tenu) et totale ; objectif < 10 s.
"""

import argparse
import datetime
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
from tests.processus import port_libre  # noqa: E402

RESULTATS = RACINE / "bench" / "resultats.md"
MOT_DE_PASSE = "Demo-PVD-2026!"


def environnement(url_base):
    return {
        **os.environ,
        "DATABASE_URL": url_base,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "banc-seulement"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "HTTPS": "false",
        "DOUBLE_FACTEUR_ROLES": "",  # les agents mesurés se connectent par mot de passe seul
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env, *args):
    debut = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=RACINE, env=env, check=True)
    return time.perf_counter() - debut


def base_recreer(url_base):
    if url_base.startswith("sqlite"):
        chemin = Path(url_base.removeprefix("sqlite:///"))
        chemin = chemin if chemin.is_absolute() else RACINE / chemin
        for suffixe in ("", "-wal", "-shm"):
            Path(f"{chemin}{suffixe}").unlink(missing_ok=True)
        chemin.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    adresse = urllib.parse.urlparse(url_base)
    nom = adresse.path.lstrip("/")
    if "bench" not in nom and "banc" not in nom:
        sys.exit(f"Base du banc refusée : « {nom} » (son nom doit contenir « bench » ou « banc »).")
    admin = adresse._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connexion:
        connexion.execute(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)')
        connexion.execute(f'CREATE DATABASE "{nom}"')


# Mesures dans ce processus ------------------------------------------------------------------------------
# Recherche (accents et casse ignorés) : la page de résultats de l'en-tête et le filtre de la liste des
# communes, compte national (toutes les communes) ; « chatillon » et « saint » ont plusieurs réponses.
RECHERCHES = {
    "Recherche de l'en-tête « chatillon »": "/recherche/?q=chatillon",
    "Recherche de l'en-tête « SAINT »": "/recherche/?q=SAINT",
    "Liste des communes filtrée « chatillon »": "/communes/?nom=chatillon",
}
RECHERCHE_OBJECTIF_MS = 100


def mesures_recherche(client, repetitions):
    """Temps serveur médian et requêtes SQL de chaque recherche de RECHERCHES (client connecté)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    resultats = {}
    for nom, url in RECHERCHES.items():
        mesures = []
        for _ in range(repetitions + 1):  # la première chauffe
            with CaptureQueriesContext(connection) as ctx:
                debut = time.perf_counter()
                reponse = client.get(url)
                duree = (time.perf_counter() - debut) * 1000
            assert reponse.status_code == 200, (url, reponse.status_code)
            mesures.append((duree, len(ctx)))
        resultats[nom] = {
            "mediane": statistics.median(t for t, _ in mesures[1:]),
            "requetes": mesures[-1][1],
        }
    return resultats


def mesures_internes(repetitions):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from communes.models import Action
    from comptes.models import User
    from tableau.indicateurs import requetes_agregats
    from territoires.models import Commune, Departement

    client = Client()
    client.force_login(User.objects.get(username="demo-national"))
    pages = {
        "Tableau de bord national": "/regions/",
        "Liste des communes": "/communes/",
        "Page région (Bretagne)": "/regions/53/",
        "Page département (Ille-et-Vilaine)": "/departements/35/",
    }

    def une(url):
        with CaptureQueriesContext(connection) as ctx:
            debut = time.perf_counter()
            reponse = client.get(url)
            duree = time.perf_counter() - debut
        assert reponse.status_code == 200, (url, reponse.status_code)
        return duree * 1000, len(ctx)

    resultats = {}
    for nom, url in pages.items():
        une(url)  # chauffe
        mesures = [une(url) for _ in range(repetitions)]
        requetes = {n for _, n in mesures}
        resultats[nom] = {
            "mediane": statistics.median(t for t, _ in mesures),
            "requetes": requetes.pop() if len(requetes) == 1 else f"{min(requetes)}–{max(requetes)}",
        }

    # Après un enregistrement dans un département : seul ce département est recalculé.
    action = Action.objects.filter(territoire__departement_id="35").first()
    apres_enregistrement = []
    for _ in range(max(3, repetitions // 3)):
        action.save()
        apres_enregistrement.append(une("/regions/"))
    resultats["Tableau de bord national"]["apres_enregistrement"] = statistics.median(
        t for t, _ in apres_enregistrement
    )
    resultats["Tableau de bord national"]["requetes_apres_enregistrement"] = apres_enregistrement[-1][1]
    # Cache vide (premier passage du jour, redémarrage) : les 101 départements sont recalculés.
    froids = []
    for _ in range(3):
        cache.clear()
        froids.append(une("/regions/"))
    resultats["Tableau de bord national"]["froid"] = statistics.median(t for t, _ in froids)
    resultats["Tableau de bord national"]["requetes_froid"] = froids[-1][1]

    # Les requêtes d'agrégat du tableau de bord national seules, en SQL brut.
    codes = list(Departement.objects.values_list("code", flat=True))
    requetes = [
        r.query.sql_with_params() for r in requetes_agregats(codes, today=timezone.localdate()).values()
    ]
    durees = []
    with connection.cursor() as curseur:
        for _ in range(max(3, repetitions // 3)):
            debut = time.perf_counter()
            for sql, params in requetes:
                curseur.execute(sql, params)
                curseur.fetchall()
            durees.append((time.perf_counter() - debut) * 1000)
    resultats["sql_brut"] = statistics.median(durees)
    resultats["recherche"] = mesures_recherche(client, repetitions)
    resultats["communes"] = Commune.objects.pvd().count()
    resultats["actions"] = Action.objects.count()
    return resultats


# Vrai serveur gunicorn : temps HTTP et mémoire de pointe du processus web ---------------------------------
def _enfants(pid):
    enfants = []
    for entree in Path("/proc").iterdir():
        if entree.name.isdigit():
            try:
                stat = (entree / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                enfants.append(int(entree.name))
    return enfants


def _vmhwm(pid):
    texte = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", texte).group(1)) / 1024


def mesures_serveur(env, repetitions):
    # Un cache propre au processus gunicorn : son premier affichage mesure le calcul à froid (le cache partagé
    # par défaut, en fichiers, porterait les chiffres déjà calculés par les mesures en processus).
    env = {**env, "CACHE_URL": env.get("CACHE_URL") or "locmemcache://"}
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
            "1",
            "--timeout",
            "120",
        ],  # fmt: skip
        cwd=RACINE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/connexion/", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        jar = http.cookiejar.CookieJar()
        ouvreur = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = ouvreur.open(f"{base}/connexion/").read().decode()
        jeton = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        donnees = urllib.parse.urlencode(
            # next : une page légère, pour que le premier affichage du tableau de bord soit mesuré à part.
            {
                "csrfmiddlewaretoken": jeton,
                "username": "demo-national",
                "password": MOT_DE_PASSE,
                "next": "/communes/?nom=aucune-commune",
            }  # fmt: skip
        ).encode()
        ouvreur.open(urllib.request.Request(f"{base}/connexion/", data=donnees, headers={"Referer": base}))

        def duree(url):
            debut = time.perf_counter()
            with ouvreur.open(f"{base}{url}", timeout=300) as reponse:
                reponse.read()
                assert reponse.status == 200
            return (time.perf_counter() - debut) * 1000

        premier = duree("/regions/")  # cache vide
        resultats = {"national_premier": premier}
        for cle, url in (("national", "/regions/"), ("communes", "/communes/"), ("region", "/regions/53/")):
            duree(url)
            resultats[cle] = statistics.median(duree(url) for _ in range(repetitions))
        for url in (
            "/regions/?maille=departement&indicateur=fonds_vert",
            "/departements/35/",
            "/tableau/carte.json",
            "/regions/?export=xlsx&tableau=tout",
            "/communes/?export=csv",
            "/communes/?export=xlsx",
        ):
            duree(url)
        travailleurs = _enfants(serveur.pid)
        resultats["memoire"] = max(_vmhwm(pid) for pid in travailleurs)
        return resultats
    finally:
        serveur.send_signal(signal.SIGTERM)
        serveur.wait(30)


# Rapport ---------------------------------------------------------------------------------------------------
def rapport(moteur, url_base, tailles, durees_generation):
    reel, grand = tailles["reel"], tailles["x20"]

    def ms(v):
        return f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"

    lignes = [
        f"<!-- banc:{moteur}:debut -->",
        f"## {moteur} — {datetime.date.today():%d/%m/%Y}",
        "",
        f"Base : `{re.sub(r'//[^@/]*@', '//', url_base)}` ; machine : {os.cpu_count()} cœurs (partagés). "
        f"Médiane de {REPETITIONS} requêtes, cache chaud sauf mention.",
        "",
        f"| mesure | taille réelle ({reel['interne']['communes']:,} communes) | ×20 ({grand['interne']['communes']:,} communes) |".replace(
            ",", " "
        ),
        "|---|---|---|",
    ]
    for nom in (
        "Tableau de bord national",
        "Liste des communes",
        "Page région (Bretagne)",
        "Page département (Ille-et-Vilaine)",
    ):
        a, b = reel["interne"][nom], grand["interne"][nom]
        lignes.append(f"| {nom} : temps serveur | {ms(a['mediane'])} | {ms(b['mediane'])} |")
        lignes.append(f"| {nom} : requêtes SQL | {a['requetes']} | {b['requetes']} |")
    a, b = reel["interne"]["Tableau de bord national"], grand["interne"]["Tableau de bord national"]
    lignes += [
        f"| Tableau de bord national après un enregistrement (1 département recalculé) | {ms(a['apres_enregistrement'])} ({a['requetes_apres_enregistrement']} requêtes) | {ms(b['apres_enregistrement'])} ({b['requetes_apres_enregistrement']} requêtes) |",
        f"| Tableau de bord national, cache vide (101 départements recalculés) | {ms(a['froid'])} ({a['requetes_froid']} requêtes) | {ms(b['froid'])} ({b['requetes_froid']} requêtes) |",
        f"| Requêtes d'agrégat du tableau de bord national seules (SQL brut) | {ms(reel['interne']['sql_brut'])} | {ms(grand['interne']['sql_brut'])} |",
        f"| HTTP gunicorn : tableau de bord national | {ms(reel['serveur']['national'])} | {ms(grand['serveur']['national'])} |",
        f"| HTTP gunicorn : liste des communes | {ms(reel['serveur']['communes'])} | {ms(grand['serveur']['communes'])} |",
        f"| HTTP gunicorn : page région | {ms(reel['serveur']['region'])} | {ms(grand['serveur']['region'])} |",
        f"| HTTP gunicorn : premier affichage national (cache vide) | {ms(reel['serveur']['national_premier'])} | {ms(grand['serveur']['national_premier'])} |",
        f"| Mémoire de pointe du processus web (VmHWM, après toutes les pages et les exports ; la connexion en compte 100 Mo : Argon2 les réserve le temps de vérifier le mot de passe) | {reel['serveur']['memoire']:.0f} Mo | {grand['serveur']['memoire']:.0f} Mo |",
        f"| Actions en base | {reel['interne']['actions']:,} | {grand['interne']['actions']:,} |".replace(
            ",", " "
        ),
        *(
            f"| {nom} : temps serveur (requêtes SQL) | {ms(reel['interne']['recherche'][nom]['mediane'])} "
            f"({reel['interne']['recherche'][nom]['requetes']}) | {ms(grand['interne']['recherche'][nom]['mediane'])} "
            f"({grand['interne']['recherche'][nom]['requetes']}) |"
            for nom in RECHERCHES
        ),
        f"| Génération des données | {durees_generation['reel']:.0f} s | +{durees_generation['x20']:.0f} s |",
        "",
        "Objectifs :",
        "",
    ]
    requetes_identiques = all(
        reel["interne"][nom]["requetes"] == grand["interne"][nom]["requetes"]
        for nom in ("Tableau de bord national", "Liste des communes", "Page région (Bretagne)")
    )
    t1, t20 = (
        reel["interne"]["Tableau de bord national"]["mediane"],
        grand["interne"]["Tableau de bord national"]["mediane"],
    )
    sql = grand["interne"]["sql_brut"]
    memoire = grand["serveur"]["memoire"]
    recherche = max(grand["interne"]["recherche"][nom]["mediane"] for nom in RECHERCHES)
    objectifs = [
        ("même nombre de requêtes aux deux tailles (national, communes, région)", requetes_identiques),
        (f"tableau de bord ×20 < 2 × taille réelle : {ms(t20)} < {ms(2 * t1)}", t20 < 2 * t1),
        (f"tableau de bord ×20 < 3 × SQL brut + 50 ms : {ms(t20)} < {ms(3 * sql + 50)}", t20 < 3 * sql + 50),
        (f"mémoire de pointe du processus web ×20 < 300 Mo : {memoire:.0f} Mo", memoire < 300),
        (
            f"recherche ×20 < {RECHERCHE_OBJECTIF_MS} ms (la plus lente) : {ms(recherche)}",
            recherche < RECHERCHE_OBJECTIF_MS,
        ),
    ]
    lignes += [f"- {'✅' if ok else '❌'} {texte}" for texte, ok in objectifs]
    lignes += ["", f"<!-- banc:{moteur}:fin -->"]
    return "\n".join(lignes) + "\n", all(ok for _, ok in objectifs)


def rapport_ecrire(moteur, section):
    entete = (
        "# Banc de performance des tableaux de bord\n\n"
        "Produit par `make bench` (bench/banc.py) ; `make bench BENCH_DATABASE_URL=postgres://…/pvd_bench` "
        "pour PostgreSQL. Chaque moteur a sa section, remplacée à chaque passage.\n\n"
    )
    texte = RESULTATS.read_text(encoding="utf-8") if RESULTATS.exists() else entete
    motif = re.compile(rf"<!-- banc:{moteur}:debut -->.*?<!-- banc:{moteur}:fin -->\n", re.S)
    texte = (
        motif.sub(lambda _: section, texte) if motif.search(texte) else texte.rstrip("\n") + "\n\n" + section
    )
    RESULTATS.write_text(texte, encoding="utf-8")


REPETITIONS = 15


# Import des situations (make bench-import) ----------------------------------------------------------------
IMPORT_OBJECTIF_S = 10


def mesures_import():
    """Le fichier national : une ligne par commune PVD de la liste chargée (adhésion et statut du chef de
    projet), simulé puis importé par le service du worker (import_executer, dans ce processus) ; durées du
    contrôle, de l'écriture (verrou d'écriture tenu) et totale."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from communes.imports import import_confirmer, import_demander, import_executer
    from comptes.models import User
    from territoires.models import Commune

    codes = sorted(
        Commune.objects.pvd().filter(territoire__isnull=False).values_list("code_insee", flat=True)
    )
    texte = "code_insee;date_adhesion;statut_chef_projet\n" + "".join(
        f"{code};2021-05-03;a_recruter\n" for code in codes
    )
    admin = User.objects.get(username="demo-admin")
    resultats = {"lignes": len(codes), "octets": len(texte.encode())}
    simulation = None
    for mode in ("simulation", "enregistrement"):
        debut = time.perf_counter()
        with transaction.atomic():
            if mode == "simulation":
                job = import_demander(
                    fichier=SimpleUploadedFile("national.csv", texte.encode()), user=admin, appliquer=False
                )
            else:
                job = import_confirmer(simulation=simulation, user=admin)
        job = import_executer(import_id=job.pk)
        assert job.etat == "done" and not job.erreurs, (job.erreur, job.erreurs[:3])
        resultats[mode] = {
            "total": time.perf_counter() - debut,
            "controle": job.rapport["duree_controle_s"],
            "ecriture": job.rapport.get("duree_ecriture_s"),
            "objets": job.rapport.get("objets_enregistres"),
        }
        simulation = job
    return resultats


def rapport_import(moteur, url_base, r):
    s, e = r["simulation"], r["enregistrement"]

    def entier(n):
        return f"{n:,}".replace(",", " ")

    lignes = [
        f"<!-- banc:import-{moteur}:debut -->",
        f"## Import des situations, {moteur} — {datetime.date.today():%d/%m/%Y}",
        "",
        f"Base : `{re.sub(r'//[^@/]*@', '//', url_base)}` (référentiel seul) ; machine : {os.cpu_count()} cœurs "
        f"(partagés). Fichier national : {entier(r['lignes'])} lignes ({r['octets'] / 1024:.0f} Ko), une par "
        "commune PVD (adhésion, statut du chef de projet) ; service du worker exécuté dans ce processus.",
        "",
        "| mesure | simulation | enregistrement |",
        "|---|---|---|",
        f"| contrôle des lignes (lectures seules, aucun verrou) | {s['controle']:.2f} s | {e['controle']:.2f} s |",
        f"| écriture en une transaction (verrou d'écriture tenu) | — | {e['ecriture']:.2f} s ({entier(e['objets'])} objets) |",
        f"| total (dépôt compris) | {s['total']:.2f} s | {e['total']:.2f} s |",
        "",
        "Objectifs :",
        "",
    ]
    objectifs = [
        (
            f"fichier national < {IMPORT_OBJECTIF_S} s : simulation {s['total']:.1f} s, enregistrement {e['total']:.1f} s",
            max(s["total"], e["total"]) < IMPORT_OBJECTIF_S,
        )
    ]
    lignes += [f"- {'✅' if ok else '❌'} {texte}" for texte, ok in objectifs]
    lignes += ["", f"<!-- banc:import-{moteur}:fin -->"]
    return "\n".join(lignes) + "\n", all(ok for _, ok in objectifs)


def main_import(url_base):
    """make bench-import : base du banc recréée avec le référentiel seul (ce que voit une préfecture au
    premier jour), puis le fichier national simulé et importé."""
    env = {**environnement(url_base), "MEDIA_ROOT": str(RACINE / "var" / "bench-media")}
    moteur = "PostgreSQL" if url_base.startswith("postgres") else "SQLite"
    print(f"Banc de l'import : base {moteur} recréée ({url_base.split('@')[-1]})")
    base_recreer(url_base)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "charger_referentiel", "-v0")
    manage(env, "creer_demo")
    os.environ.update(env)
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    section, ok = rapport_import(moteur, url_base, mesures_import())
    rapport_ecrire(f"import-{moteur}", section)
    print(section)
    return 0 if ok else 1


def main():
    global REPETITIONS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default=None)
    parser.add_argument("--repetitions", type=int, default=REPETITIONS)
    parser.add_argument(
        "--import",
        dest="import_seul",
        action="store_true",
        help="seulement le banc de l'import des situations",
    )
    options = parser.parse_args()
    REPETITIONS = options.repetitions
    # Le banc de l'import a sa propre base (par défaut) : il ne touche pas à celle des tableaux de bord.
    url_base = options.base or (
        os.environ.get("BENCH_IMPORT_DATABASE_URL" if options.import_seul else "BENCH_DATABASE_URL")
        or ("sqlite:///var/bench-import.sqlite3" if options.import_seul else "sqlite:///var/bench.sqlite3")
    )
    if url_base.startswith("sqlite:///") and not Path(url_base[10:]).is_absolute():
        url_base = f"sqlite:///{RACINE / url_base[10:]}"
    if options.import_seul:
        return main_import(url_base)
    env = environnement(url_base)
    moteur = "PostgreSQL" if url_base.startswith("postgres") else "SQLite"

    print(f"Banc : base {moteur} recréée ({url_base.split('@')[-1]})")
    base_recreer(url_base)
    durees = {}
    manage(env, "collectstatic", "--noinput", "-v0")  # comme en production (DEBUG=false)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "charger_referentiel", "-v0")
    manage(env, "creer_demo")
    durees["reel"] = manage(env, "generer_suivi_demo")

    os.environ.update(env)
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.db import connection

    tailles = {}
    for taille in ("reel", "x20"):
        if taille == "x20":
            connection.close()
            durees["x20"] = manage(env, "generer_suivi_demo", "--toutes-communes")
        with connection.cursor() as curseur:
            curseur.execute("ANALYZE")  # statistiques à jour après les créations en masse
        print(f"Mesures ({taille})…")
        tailles[taille] = {
            "interne": mesures_internes(REPETITIONS),
            "serveur": mesures_serveur(env, REPETITIONS),
        }
    section, ok = rapport(moteur, url_base, tailles, durees)
    rapport_ecrire(moteur, section)
    print(section)
    print(f"Résultats écrits dans {RESULTATS.relative_to(RACINE)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
