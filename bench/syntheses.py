"""Banc des notes de synthèse (make bench-syntheses) ; écrit ses chiffres dans bench/syntheses.md.

Dans sa propre base, recréée à chaque passage (jamais la base normale) : BENCH_SYNTHESES_DATABASE_URL, par
défaut sqlite:///var/bench-syntheses/banc.sqlite3 (ou une base PostgreSQL dédiée dont le nom contient
« bench », ex. postgres://postgres@127.0.0.1:5432/pvd_syntheses_bench). Broker : filesystem:// dans
var/bench-syntheses, ou CELERY_BROKER_URL s'il est défini.

Deux jeux de données, mesurés l'un après l'autre :
- « données de démonstration » : référentiel réel, comptes et campagne 2023 de démonstration (comme make run),
  situations de suivi des ~1 645 communes PVD (generer_suivi_demo si la commande existe, sinon un tirage
  déterministe propre au banc) ;
- « note complète » : en plus, chaque section de chaque région rédigée (trois paragraphes par rubrique),
  communes en difficulté confirmées avec justification, vue d'ensemble régionale : la note la plus lourde.

Mesures (temps mural et temps CPU, la machine pouvant être partagée) :
1. dans ce processus, la note de la plus grande région (la plus de communes PVD) : génération complète
   (service synthese_generer : chiffres, HTML, PDF, version), médiane ; premier rendu d'un processus neuf ;
2. un vrai worker Celery à 2 processus : la même note (demande → PDF), et les lots « toutes les régions »
   (groupe Celery de 18 tâches), de la demande à la dernière note produite ;
3. la mémoire de pointe (VmHWM) de chaque processus du worker.
"""

import datetime
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
RESULTATS = RACINE / "bench" / "syntheses.md"
VAR = RACINE / "var" / "bench-syntheses"
URL_BASE = os.environ.get("BENCH_SYNTHESES_DATABASE_URL", f"sqlite:///{VAR / 'banc.sqlite3'}")
# Cibles : la note la plus lourde (note complète) en moins de 3 s, les 18 régions en moins de 30 s avec un worker
# à 2 processus ; mémoire d'un processus du worker.
CIBLES = {"region": 3.0, "toutes": 30.0, "memoire": 500.0}


def environnement():
    return {
        **os.environ,
        "DATABASE_URL": URL_BASE,
        "VAR_DIR": str(VAR),
        "MEDIA_ROOT": str(VAR / "media"),
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "banc-seulement"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "CONN_MAX_AGE": "0",
    }


def base_recreer():
    if URL_BASE.startswith("sqlite"):
        shutil.rmtree(VAR, ignore_errors=True)
        VAR.mkdir(parents=True)
        return
    nom = URL_BASE.rsplit("/", 1)[1]
    if "bench" not in nom:
        sys.exit(f"Base de banc refusée : {nom!r} (le nom doit contenir « bench »).")
    serveur = URL_BASE.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)', f'CREATE DATABASE "{nom}"'):
        subprocess.run(["psql", serveur, "-q", "-c", sql], check=True)
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=RACINE, env=environnement(), check=True)


# --- Données du banc --------------------------------------------------------------------------------


PARAGRAPHE = (
    "Dans le département, {n} communes sont engagées dans le programme. Les conventions-cadres se "
    "signent à un rythme régulier depuis l’automne, la plupart valant opération de revitalisation de "
    "territoire ; l’inscription au contrat pour la réussite de la transition écologique suit avec quelques "
    "mois de décalage. Les chefs de projet, appuyés par les services de l’État et les partenaires du "
    "programme, structurent les plans d’actions autour de l’habitat, du commerce et des mobilités."
)


def suivi_tirer(graine=2023):
    """Situations de suivi déterministes pour les territoires PVD vierges (si generer_suivi_demo manque)."""
    from decimal import Decimal

    from communes.constants import MESURES_PAR_AXE, StatutAction, StatutChefDeProjet, TypeConvention
    from communes.models import Action, ChefDeProjet, Convention, Crte, Financement, Territoire

    rng = random.Random(graine)
    aujourd_hui = datetime.date.today()
    crtes = {}
    for code, departement in Crte.objects.values_list("code", "departement_id"):
        crtes.setdefault(departement, code)
    conventions, chefs, actions = [], [], []
    territoires = list(Territoire.objects.filter(actions__isnull=True).order_by("pk"))
    statuts = [
        (StatutAction.LIVREE, 20),
        (StatutAction.ENGAGEE, 36),
        (StatutAction.ETUDE_PREALABLE, 17),
        (StatutAction.NON_DEMARREE, 19),
        (StatutAction.EN_MATURATION, 6),
        (StatutAction.ABANDONNEE, 2),
    ]
    for territoire in territoires:
        if rng.random() < 0.7:
            signee = aujourd_hui - datetime.timedelta(days=rng.randint(60, 900))
            conventions.append(
                Convention(
                    territoire=territoire,
                    type=TypeConvention.CADRE,
                    date_signature=signee,
                    vaut_ort=rng.random() < 0.8,
                )
            )
            if rng.random() < 0.7 and territoire.departement_id in crtes:
                territoire.crte_id = crtes[territoire.departement_id]
                territoire.date_inscription_crte = signee + datetime.timedelta(days=30)
        statut = rng.choices(
            [StatutChefDeProjet.EN_POSTE, StatutChefDeProjet.VACANT, StatutChefDeProjet.A_RECRUTER],
            [75, 10, 15],
        )[0]
        chefs.append(
            ChefDeProjet(
                territoire=territoire,
                statut=statut,
                date_prise_poste=aujourd_hui - datetime.timedelta(days=rng.randint(100, 1000))
                if statut == StatutChefDeProjet.EN_POSTE
                else None,
            )
        )
        for i in range(rng.randint(0, 8)):
            statut_action = rng.choices([s for s, _ in statuts], [p for _, p in statuts])[0]
            actions.append(
                Action(
                    territoire=territoire,
                    titre=f"Action {i + 1}",
                    theme=rng.choice(["habitat", "commerce", "mobilite", "cadre_de_vie"]),
                    maitre_ouvrage="Commune",
                    cout=Decimal(rng.randint(20, 2000) * 1000),
                    statut=statut_action,
                    date_engagement=aujourd_hui - datetime.timedelta(days=rng.randint(10, 400))
                    if statut_action in (StatutAction.ENGAGEE, StatutAction.LIVREE)
                    else None,
                )
            )
    Territoire.objects.bulk_update(territoires, ["crte", "date_inscription_crte"], batch_size=500)
    Convention.objects.bulk_create(conventions, batch_size=500)
    ChefDeProjet.objects.bulk_create(chefs, batch_size=500)
    actions = Action.objects.bulk_create(actions, batch_size=500)
    financements = []
    dispositifs = ["detr", "dsil", "fnadt", "anah", "banque_des_territoires", "region", "departement", "drac"]
    for action in actions:
        for _ in range(rng.randint(1, 3)):
            demande = Decimal(rng.randint(5, 500) * 1000)
            if rng.random() < 0.3:
                axe = rng.choice(list(MESURES_PAR_AXE))
                financements.append(
                    Financement(
                        action=action,
                        dispositif="fonds_vert",
                        axe_fonds_vert=axe,
                        mesure_fonds_vert=rng.choice(MESURES_PAR_AXE[axe]),
                        montant_demande=demande,
                        montant_accorde=demande * Decimal("0.8"),
                        annee=2023,
                    )
                )
            else:
                financements.append(
                    Financement(
                        action=action,
                        dispositif=rng.choice(dispositifs),
                        montant_demande=demande,
                        montant_accorde=demande / 2,
                        annee=rng.choice([2022, 2023]),
                    )
                )
    Financement.objects.bulk_create(financements, batch_size=1000)
    return {"territoires": len(territoires), "actions": len(actions), "financements": len(financements)}


def notes_rediger():
    """Toutes les sections rédigées et soumises, communes en difficulté confirmées (avec justification),
    vue d'ensemble de chaque région : la note la plus complète."""
    from django.utils import timezone

    from communes.models import CommunePvd
    from syntheses.chiffres import raisons_suggestion
    from syntheses.constants import EtatSection
    from syntheses.models import CommuneRisque, SectionDepartementale, Synthese

    maintenant = timezone.now()
    sections = list(SectionDepartementale.objects.filter(dispensee=False).select_related("departement"))
    communes = {}
    for commune in CommunePvd.objects.pvd().with_suivi().filter(is_risque=True).order_by("nom"):
        communes.setdefault(commune.departement_id, []).append(commune)
    risques = []
    for section in sections:
        n = len(communes.get(section.departement_id, []))
        texte = "\n\n".join([PARAGRAPHE.format(n=n)] * 3)
        section.dynamique = section.leviers = section.difficultes = texte
        section.texte_libre = PARAGRAPHE.format(n=n)
        section.etat, section.soumise_le, section.risques_confirmes_le = (
            EtatSection.SOUMISE,
            maintenant,
            maintenant,
        )
        for commune in communes.get(section.departement_id, []):
            risques.append(
                CommuneRisque(
                    section=section,
                    commune=commune,
                    is_suggere=commune.is_risque_suggere,
                    justification="Situation examinée avec la commune et l’EPCI : "
                    + " ; ".join(raisons_suggestion(commune))
                    + ". Un point d’étape est prévu avec le sous-préfet.",
                )
            )
    SectionDepartementale.objects.bulk_update(
        sections,
        ["dynamique", "leviers", "difficultes", "texte_libre", "etat", "soumise_le", "risques_confirmes_le"],
    )
    CommuneRisque.objects.filter(section__in=sections).delete()
    CommuneRisque.objects.bulk_create(risques, batch_size=1000)
    Synthese.objects.update(vue_ensemble="\n\n".join([PARAGRAPHE.format(n="les")] * 4))
    return len(risques)


# --- Mesures ----------------------------------------------------------------------------------------


def enfants(pid):
    chemin = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in chemin.read_text().split()] if chemin.exists() else []


def vmhwm_mo(pid):
    for ligne in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ligne.startswith("VmHWM:"):
            return int(ligne.split()[1]) / 1024
    return 0.0


def attendre(ids, delai=600):
    from syntheses.models import Generation

    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        etats = set(Generation.objects.filter(pk__in=ids).values_list("etat", flat=True))
        if etats <= {"done", "failed"}:
            echecs = list(
                Generation.objects.filter(pk__in=ids, etat="failed").values_list("erreur", flat=True)
            )
            if echecs:
                sys.exit(f"Génération en échec : {echecs[0]}")
            return
        time.sleep(0.05)
    sys.exit("Délai dépassé en attendant le worker.")


def cpu_s(pid):
    """Temps CPU (utilisateur + système) consommé par un processus, en secondes."""
    champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


def cpu_worker(pid):
    return sum(cpu_s(enfant) for enfant in enfants(pid))


def charge():
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def lancer_worker():
    journal = VAR / "worker.log"
    with journal.open("w") as sortie:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pvd",
                "worker",
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                "banc-syntheses@%h",
            ],
            cwd=RACINE,
            env=environnement(),
            stdout=sortie,
            stderr=subprocess.STDOUT,
        )


def mesurer(*, nom, note, campagne, nationale, worker, ici, par_worker, lots):
    """Générations de la note dans ce processus, par le worker, puis lots de toutes les régions."""
    from syntheses.generation import generation_demander, lot_demander, synthese_generer
    from syntheses.models import Generation, Synthese, VersionPdf

    base_vue = note.vue_ensemble
    passage = iter(range(1, 1000))

    def changer(qs):
        """Une phrase de plus dans la vue d'ensemble : chaque génération refait vraiment le rendu (des données
        inchangées reprendraient la version existante sans rendu)."""
        qs.update(vue_ensemble=f"{base_vue}\n\nPassage {next(passage)} du banc.".strip())

    resultat = {"nom": nom, "ici": [], "cpu_ici": [], "worker": [], "lots": [], "cpu_lots": []}
    for _ in range(ici):
        changer(Synthese.objects.filter(pk=note.pk))
        generation = Generation.objects.create(synthese=note, requested_by=nationale)
        debut, debut_cpu = time.perf_counter(), time.process_time()
        fait = synthese_generer(generation_id=generation.pk)
        resultat["ici"].append(time.perf_counter() - debut)
        resultat["cpu_ici"].append(time.process_time() - debut_cpu)
        assert fait.etat == "done", fait.erreur
        resultat["pages"] = fait.version.pages_count
    for _ in range(par_worker):
        changer(Synthese.objects.filter(pk=note.pk))
        debut = time.perf_counter()
        attendre([generation_demander(synthese=note, user=nationale).pk])
        resultat["worker"].append(time.perf_counter() - debut)
    for _ in range(lots):
        changer(Synthese.objects.filter(campagne=campagne))
        debut, debut_cpu = time.perf_counter(), cpu_worker(worker.pid)
        lot = lot_demander(campagne=campagne, user=nationale)
        attendre(list(lot.generations.values_list("pk", flat=True)))
        resultat["lots"].append(time.perf_counter() - debut)
        resultat["cpu_lots"].append(cpu_worker(worker.pid) - debut_cpu)
        resultat["pages_total"] = sum(
            g.version.pages_count for g in lot.generations.select_related("version")
        )
    # Relance sans aucun changement : versions reprises, sans rendu ni nouvelle version.
    versions_avant = VersionPdf.objects.filter(synthese__campagne=campagne).count()
    debut = time.perf_counter()
    lot = lot_demander(campagne=campagne, user=nationale)
    attendre(list(lot.generations.values_list("pk", flat=True)))
    resultat["relance"] = time.perf_counter() - debut
    resultat["nouvelles_versions_relance"] = (
        VersionPdf.objects.filter(synthese__campagne=campagne).count() - versions_avant
    )
    print(
        f"{nom} : note {statistics.median(resultat['ici']):.2f} s ({statistics.median(resultat['cpu_ici']):.2f} s "
        f"de CPU, {resultat['pages']} pages) ; toutes les régions {statistics.median(resultat['lots']):.1f} s "
        f"({statistics.median(resultat['cpu_lots']):.1f} s de CPU)",
        flush=True,
    )
    return resultat


def main():
    debut_banc = time.perf_counter()
    print(f"Base du banc : {URL_BASE}")
    base_recreer()
    manage("migrate", "--noinput", "-v0")
    manage("charger_referentiel")
    manage("creer_demo")
    manage("creer_campagne_demo")

    os.environ.update(environnement())
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.db.models import Count

    from comptes.models import User
    from syntheses.generation import generation_demander
    from syntheses.models import Campagne, Synthese
    from territoires.models import Commune

    if "generer_suivi_demo" in get_commands():
        call_command("generer_suivi_demo")
        origine = "generer_suivi_demo"
    else:
        bilan = suivi_tirer()
        origine = f"tirage du banc ({bilan['actions']} actions, {bilan['financements']} financements)"
    print(f"Données : suivi par {origine}.")

    campagne = Campagne.objects.get(nom="Campagne 2023")
    nationale = User.objects.get(username="demo-national")
    plus_grande = (
        Commune.objects.pvd()
        .values("departement__region_id", "departement__region__nom")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    note = Synthese.objects.get(campagne=campagne, region_id=plus_grande["departement__region_id"])
    nom_region = f"{plus_grande['departement__region__nom']} ({plus_grande['n']} communes PVD)"

    charge_debut, uptime_debut = charge(), uptime()
    worker = lancer_worker()
    try:
        attendre([generation_demander(synthese=note, user=nationale).pk])  # mise en route, non mesurée
        demo = mesurer(
            nom="Données de démonstration",
            note=note,
            campagne=campagne,
            nationale=nationale,
            worker=worker,
            ici=6,
            par_worker=3,
            lots=3,
        )
        risques = notes_rediger()
        complete = mesurer(
            nom="Note complète",
            note=note,
            campagne=campagne,
            nationale=nationale,
            worker=worker,
            ici=3,
            par_worker=3,
            lots=3,
        )
        memoires = {pid: vmhwm_mo(pid) for pid in enfants(worker.pid)}
        memoire_principal = vmhwm_mo(worker.pid)
    finally:
        worker.terminate()
        worker.wait(30)
    charge_fin, uptime_fin = charge(), uptime()
    pointe = max(memoires.values()) if memoires else 0.0
    base = "SQLite" if URL_BASE.startswith("sqlite") else "PostgreSQL"
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://").split("://")[0]

    def verdict(valeur, cible):
        return "atteinte" if valeur < cible else "**manquée**"

    def lignes_scenario(r, chaud_a_partir_de):
        chauds, cpu = r["ici"][chaud_a_partir_de:], r["cpu_ici"][chaud_a_partir_de:]
        region, toutes = statistics.median(chauds), statistics.median(r["lots"])
        return [
            f"| {r['nom']} : plus grande région, {nom_region}, génération complète dans le processus, médiane de "
            f"{len(chauds)} | **{region:.2f} s** ({r['pages']} pages ; {statistics.median(cpu):.2f} s de CPU) | "
            f"< {CIBLES['region']:.0f} s, {verdict(region, CIBLES['region'])} |",
            f"| {r['nom']} : même note par le worker Celery (demande → PDF), médiane de {len(r['worker'])} | "
            f"{statistics.median(r['worker']):.2f} s | — |",
            f"| {r['nom']} : les 18 régions en un lot (groupe Celery), worker à 2 processus, médiane de "
            f"{len(r['lots'])} | **{toutes:.1f} s** ({r['pages_total']} pages ; "
            f"{statistics.median(r['cpu_lots']):.1f} s de CPU pour les 2 processus) | "
            f"< {CIBLES['toutes']:.0f} s, {verdict(toutes, CIBLES['toutes'])} |",
            f"| {r['nom']} : les 18 régions relancées sans aucun changement (versions reprises sans rendu) | "
            f"{r['relance']:.1f} s ({r['nouvelles_versions_relance']} nouvelle version) | — |",
        ]

    lignes = [
        "# Banc des notes de synthèse",
        "",
        f"Mesuré le {datetime.datetime.now():%d/%m/%Y à %H:%M} par `make bench-syntheses` (bench/syntheses.py) : "
        f"{os.cpu_count()} cœurs ({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"base {base}, broker {broker}. Charge moyenne de la machine (1/5/15 min) : {charge_debut} au début, "
        f"{charge_fin} à la fin (machine partagée avec d’autres travaux : les durées « murales » en dépendent, "
        "le temps CPU beaucoup moins).",
        "",
        f"- **Données de démonstration** : référentiel réel, campagne 2023 de démonstration (`make run`), suivi des "
        f"communes PVD par {origine} ; sections telles que la démonstration les laisse (deux rédigées en Bretagne).",
        f"- **Note complète** : en plus, toutes les sections rédigées (trois paragraphes par rubrique), {risques} "
        "communes en difficulté confirmées avec justification, vue d’ensemble de chaque région : le cas le plus lourd.",
        "",
        "| mesure | résultat | cible |",
        "|---|---|---|",
        *lignes_scenario(demo, 1),
        f"| premier rendu dans un processus neuf (données de démonstration) | {demo['ici'][0]:.2f} s "
        f"({demo['cpu_ici'][0]:.2f} s de CPU) | — |",
        *lignes_scenario(complete, 0),
        f"| Mémoire de pointe (VmHWM) d’un processus du worker | **{pointe:.0f} Mo** "
        f"({', '.join(f'{m:.0f}' for m in memoires.values())} ; processus principal {memoire_principal:.0f}) | "
        f"< {CIBLES['memoire']:.0f} Mo, {verdict(pointe, CIBLES['memoire'])} |",
        "",
        "Détail (s) : "
        + " ; ".join(
            f"{r['nom'].lower()} — dans le processus {', '.join(f'{d:.2f}' for d in r['ici'])}, par le worker "
            f"{', '.join(f'{d:.2f}' for d in r['worker'])}, lots {', '.join(f'{d:.1f}' for d in r['lots'])}"
            for r in (demo, complete)
        )
        + ".",
        f"Durée totale du banc : {time.perf_counter() - debut_banc:.0f} s.",
        "",
        f"`uptime` au début : `{uptime_debut}` ; à la fin : `{uptime_fin}`.",
        "",
    ]
    RESULTATS.write_text("\n".join(lignes), encoding="utf-8")
    print("\n".join(lignes))


if __name__ == "__main__":
    main()
