"""L'import des situations par un vrai worker Celery : le job déposé par la requête est pris par le worker
après la validation de la transaction ; pendant qu'il importe un fichier de 5 Mo (toutes les communes PVD),
les enregistrements d'un autre agent par le vrai serveur web (gunicorn) réussissent sans attendre."""

import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.processus import arreter, broker_vider, process_env, worker_lancer

DEPARTEMENT = "35012"
# Un enregistrement d'un autre agent pendant l'import : il doit répondre bien avant le délai d'attente du
# verrou de SQLite (20 s), et sans erreur.
ENREGISTREMENT_MAX_S = 5


@pytest.fixture
def base_propre(django_db_setup, django_db_blocker):
    """Ces tests écrivent pour de vrai (le worker et le serveur lisent la base) : à la fin, ce qu'ils ont créé
    est retiré et ce qu'ils ont modifié (dates d'adhésion de la liste PVD, chefs de projet…) est remis tel quel,
    pour que les tests suivants lisent la base des fichiers officiels."""
    with django_db_blocker.unblock():
        from communes.models import Action, ChefDeProjet, Convention, Import, Ort, Territoire
        from comptes.models import EvenementSecurite

        modeles = (Action, ChefDeProjet, Convention, Import, EvenementSecurite)
        avant = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in modeles}
        suivis = (Convention, ChefDeProjet, Ort, Territoire)
        lignes = {m: {v["id"]: v for v in m.objects.values()} for m in suivis}
        historiques = (Action.history.model, ChefDeProjet.history.model, Convention.history.model)
        avant_h = {
            h: h.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0
            for h in historiques
        }
    yield
    with django_db_blocker.unblock():
        for h, dernier in avant_h.items():
            h.objects.filter(history_id__gt=dernier).delete()
        for m, dernier in avant.items():
            m.objects.filter(pk__gt=dernier).delete()
        for m, valeurs in lignes.items():
            changees = [m(**v) for v in m.objects.values() if v["id"] in valeurs and v != valeurs[v["id"]]]
            for objet in changees:
                for champ, valeur in valeurs[objet.pk].items():
                    setattr(objet, champ, valeur)
            champs = [f.attname for f in m._meta.concrete_fields if not f.primary_key]
            m.objects.bulk_update(changees, champs, batch_size=500)


def _attendre(job_id, worker, journal, *, limite_s=120, pendant=None):
    from communes.models import Import

    limite = time.monotonic() + limite_s
    while True:
        job = Import.objects.get(pk=job_id)
        if not job.is_active:
            return job
        if pendant is not None:
            pendant(job)
            time.sleep(0.02)
        if worker.poll() is not None:
            pytest.fail("le worker s'est arrêté :\n" + journal.read_text()[-4000:])
        if time.monotonic() > limite:
            pytest.fail(f"import non terminé ({job.etat}) :\n" + journal.read_text()[-4000:])
        time.sleep(0.05 if pendant is None else 0)


def _deposer(user, contenu, nom, *, appliquer):
    from communes.imports import import_demander

    with transaction.atomic():  # la tâche part à la validation, comme depuis la vue
        return import_demander(fichier=SimpleUploadedFile(nom, contenu), user=user, appliquer=appliquer)


def fichier_national(*, taille=None):
    """Toutes les communes PVD (une ligne chacune, valide) ; complété jusqu'à `taille` octets par des lignes
    vides (ignorées) : le poids d'un export de tableur qui a gardé des milliers de lignes sans contenu."""
    from territoires.models import Commune

    codes = Commune.objects.pvd().filter(territoire__isnull=False).values_list("code_insee", flat=True)
    texte = "code_insee;date_adhesion;statut_chef_projet\n" + "".join(
        f"{code};2021-05-03;a_recruter\n" for code in sorted(codes)
    )
    contenu = texte.encode()
    if taille:
        vide = b";;\n"
        contenu += vide * ((taille - len(contenu)) // len(vide))
    return contenu, len(codes)


def test_un_vrai_worker_simule_puis_importe_le_fichier(base_propre, django_db_blocker, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    broker_vider()
    journal = tmp_path / "worker.log"
    worker = worker_lancer(
        journal,
        nom=f"import-{tmp_path.name}",
        env=process_env(CONN_MAX_AGE="0", MEDIA_ROOT=str(settings.MEDIA_ROOT)),
    )
    try:
        with django_db_blocker.unblock():
            from communes.imports import import_confirmer
            from communes.models import ChefDeProjet, Convention
            from comptes.models import User

            user = User.objects.get(username="demo-departement")
            # Une date d'adhésion différente de celle en base (d'autres tests ont pu la changer) : l'import
            # l'enregistre toujours.
            actuelle = Convention.objects.filter(
                territoire__communes__code_insee="35012", type="adhesion"
            ).first()
            date_adhesion = (
                "2021-05-04" if actuelle and str(actuelle.date_signature) == "2021-05-03" else "2021-05-03"
            )
            contenu = f"code_insee;statut_chef_projet;date_adhesion\n35012;vacant;{date_adhesion}\n35019;a_recruter;\n"
            simulation = _attendre(
                _deposer(user, contenu.encode("cp1252"), "situations.csv", appliquer=False).pk,
                worker,
                journal,
            )
            assert simulation.etat == "done" and simulation.erreurs == [] and not simulation.applique
            assert not ChefDeProjet.objects.filter(territoire__communes__code_insee="35012").exists()
            with transaction.atomic():
                job = import_confirmer(simulation=simulation, user=user)
            job = _attendre(job.pk, worker, journal)
            assert job.etat == "done" and job.applique, job.erreur
            assert ChefDeProjet.objects.get(territoire__communes__code_insee="35012").statut == "vacant"
            adhesion = Convention.objects.get(territoire__communes__code_insee="35012", type="adhesion")
            assert adhesion.history.first().history_change_reason == "Import du fichier situations.csv"
        assert f"communes.import_executer_task[{job.task_id}] succeeded" in journal.read_text()
    finally:
        arreter(worker)


class Agent:
    """Un agent départemental connecté au vrai serveur (cookies, jeton CSRF de chaque formulaire)."""

    def __init__(self, serveur, username, password):
        self.serveur = serveur
        self.ouvreur = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _SansRedirection()
        )
        reponse = self.envoyer("/connexion/", {"username": username, "password": password})
        assert reponse.status == 302, reponse.status

    def jeton(self, chemin):
        page = self.ouvreur.open(f"{self.serveur}{chemin}", timeout=30).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def envoyer(self, chemin, donnees):
        donnees = {"csrfmiddlewaretoken": self.jeton(chemin), **donnees}
        requete = urllib.request.Request(
            f"{self.serveur}{chemin}",
            data=urllib.parse.urlencode(donnees).encode(),
            headers={"Referer": f"{self.serveur}{chemin}"},
        )
        try:
            return self.ouvreur.open(requete, timeout=60)
        except urllib.error.HTTPError as exc:
            return exc


class _SansRedirection(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_un_autre_agent_enregistre_pendant_l_import_de_5_mo(
    base_propre, django_db_blocker, serveur, demo_password, tmp_path, settings
):
    """Pendant que le worker contrôle puis enregistre un fichier de 5 Mo (les ~1 645 communes PVD), un agent
    départemental crée des actions par le vrai serveur web : chaque enregistrement réussit (302) en moins de
    ENREGISTREMENT_MAX_S, avant, pendant et après l'écriture de l'import."""
    from communes.imports import TAILLE_MAX

    settings.MEDIA_ROOT = tmp_path / "media"
    broker_vider()
    journal = tmp_path / "worker.log"
    worker = worker_lancer(
        journal,
        nom=f"import5mo-{tmp_path.name}",
        env=process_env(CONN_MAX_AGE="0", MEDIA_ROOT=str(settings.MEDIA_ROOT)),
    )
    agent = Agent(serveur, "demo-departement", demo_password)
    try:
        with django_db_blocker.unblock():
            from communes.models import Action, ChefDeProjet
            from comptes.models import User
            from territoires.models import Commune

            contenu, communes = fichier_national(taille=TAILLE_MAX - 1024)
            assert len(contenu) > 4.9 * 1024 * 1024
            admin = User.objects.get(username="demo-admin")
            # Le worker prêt (simulation d'une ligne) avant de mesurer.
            _attendre(
                _deposer(admin, b"code_insee\n35012\n", "chauffe.csv", appliquer=False).pk, worker, journal
            )
            enregistrements = []  # (état et étape du job au début de l'enregistrement, statut HTTP, durée)
            arret = threading.Event()
            suivi = {"etat": "queued", "etape": ""}

            def enregistrer_sans_arret():
                # Un autre agent, dans son propre fil : rien ne l'attend, il enregistre en continu.
                while not arret.is_set():
                    etat, etape = suivi["etat"], suivi["etape"]
                    debut = time.monotonic()
                    reponse = agent.envoyer(
                        f"/communes/{DEPARTEMENT}/actions/nouvelle/",
                        {
                            "titre": f"Action pendant l'import {len(enregistrements)}",
                            "theme": "commerce",
                            "maitre_ouvrage": "Commune",
                            "statut": "en_maturation",
                        },
                    )
                    enregistrements.append((etat, etape, reponse.status, time.monotonic() - debut))

            def noter(job):
                suivi.update(etat=job.etat, etape=job.etape)

            fil = threading.Thread(target=enregistrer_sans_arret, daemon=True)
            fil.start()
            try:
                job = _deposer(admin, contenu, "national.csv", appliquer=True)
                job = _attendre(job.pk, worker, journal, pendant=noter)
                time.sleep(0.5)  # encore un enregistrement après la fin
            finally:
                arret.set()
                fil.join(60)
            assert job.etat == "done" and job.applique, (job.erreur, job.erreurs[:5])
            assert len(job.rapport["communes"]) == communes
            pvd = Commune.objects.pvd().filter(territoire__isnull=False)
            territoires = pvd.values("territoire").distinct().count()
            chefs = ChefDeProjet.objects.filter(statut="a_recruter", territoire__communes__in=pvd)
            assert chefs.values("territoire").distinct().count() == territoires
            durees = [d for *_, d in enregistrements]
            assert enregistrements and all(statut == 302 for _, _, statut, _ in enregistrements), (
                enregistrements
            )
            assert max(durees) < ENREGISTREMENT_MAX_S, enregistrements
            pendant_le_job = [e for e in enregistrements if e[0] == "running"]
            assert pendant_le_job, enregistrements
            assert Action.objects.filter(titre__startswith="Action pendant l'import").count() == len(
                enregistrements
            )
            pendant_l_ecriture = [e for e in enregistrements if e[1] == "Enregistrement"]
            print(
                f"\nImport 5 Mo : {communes} communes, contrôle {job.rapport['duree_controle_s']} s, "
                f"écriture (verrou) {job.rapport['duree_ecriture_s']} s ; {len(enregistrements)} "
                f"enregistrements d'un autre agent, dont {len(pendant_le_job)} pendant le job "
                f"({len(pendant_l_ecriture)} commencés pendant l'écriture), le plus long "
                f"{max(durees):.2f} s"
            )
    finally:
        arreter(worker)
