"""Scénario de charge (locust) : des agents connectés consultent listes, tableaux de bord et fiches,
cherchent une commune, modifient la leur, exportent leur liste, contrôlent un fichier d'import (job du
worker) et demandent des PDF de leur note de synthèse. Lancé par bench/lancer_charge.py (make charge).

Deux agents ne modifient jamais la même commune : chacun a la sienne (CHARGE_AFFECTATIONS, écrit par
bench/lancer_charge.py) ; le test ne mesure donc pas des conflits d'édition dus au hasard.

La mesure porte sur des agents déjà connectés : chacun se connecte et ouvre ses pages, puis attend les
autres ; quand le dernier est prêt, les temps de connexion sont écrits à part (CHARGE_CONNEXIONS), les
statistiques remises à zéro, et le test dure encore CHARGE_DUREE secondes. Chaque agent commence par un temps
de lecture (1 à 5 s), comme entre deux actions."""

import itertools
import json
import os
import random
import re
import time

import gevent
from gevent.event import Event
from locust import HttpUser, between, events, task

COMPTES = itertools.count()
MOT_DE_PASSE = "Charge-PVD-2026!"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d*)"')
LIENS_COMMUNES = re.compile(r'href="/communes/([0-9AB]{5})/"')
LIEN_CAMPAGNE = re.compile(r'href="(/syntheses/campagnes/\d+/)"')
LIEN_NOTE = re.compile(r'href="(/syntheses/notes/\d+/)"')
GENERATION = re.compile(r'data-generation-url="([^"]+)"')
IMPORT = re.compile(r"/communes/import/(\d+)/")
RECHERCHES = ["saint", "chatillon", "sur-mer", "mont", "ville", "bourg", "35", "29", "val", "pont"]
AFFECTATIONS = json.loads(open(os.environ["CHARGE_AFFECTATIONS"], encoding="utf-8").read())


PRETS = itertools.count(1)
TOUS_PRETS = Event()


def tous_prets(environment):
    """Le dernier agent est connecté : temps de connexion mis de côté, compteurs à zéro, fin programmée."""
    connexions = {
        nom: {
            "nombre": entree.num_requests,
            "erreurs": entree.num_failures,
            "p50": entree.get_response_time_percentile(0.5),
            "p95": entree.get_response_time_percentile(0.95),
            "p99": entree.get_response_time_percentile(0.99),
        }
        for (nom, _methode), entree in environment.stats.entries.items()
        if nom.startswith("connexion")
    }
    with open(os.environ["CHARGE_CONNEXIONS"], "w", encoding="utf-8") as f:
        json.dump(connexions, f, ensure_ascii=False)
    environment.stats.reset_all()
    gevent.spawn_later(int(os.environ.get("CHARGE_DUREE", "60")), environment.runner.quit)
    TOUS_PRETS.set()


@events.test_start.add_listener
def _depart(environment, **kwargs):
    environment.agents_attendus = environment.parsed_options.num_users


class Agent(HttpUser):
    # Un agent lit la page avant d'agir : 1 à 5 s entre deux actions.
    wait_time = between(1, 5)

    def on_start(self):
        self.numero = next(COMPTES)
        self.username = f"charge-{self.numero:02d}"
        page = self.client.get("/connexion/", name="connexion : formulaire")
        jeton = CSRF.search(page.text).group(1)
        # La connexion vérifie le mot de passe (Argon2, coûteux à dessein) : comptée à part.
        reponse = self.client.post(
            "/connexion/",
            {"csrfmiddlewaretoken": jeton, "username": self.username, "password": MOT_DE_PASSE},
            headers={"Referer": self.host + "/connexion/"},
            name="connexion : mot de passe (Argon2)",
            allow_redirects=False,
        )
        reponse.raise_for_status()
        # L'accueil mène au tableau de bord du territoire de l'agent (la liste de ses communes pour un agent
        # départemental).
        self.tableau = self.client.get("/", name="accueil").url.removeprefix(self.host)
        self.nom_tableau = {
            "/regions/": "tableau de bord national",
            "/communes/": "liste des communes",
        }.get(self.tableau, "tableau de bord régional")
        liste = self.client.get("/communes/", name="liste des communes")
        self.communes = LIENS_COMMUNES.findall(liste.text) or []
        fiche = (
            self.client.get(f"/communes/{self.communes[0]}/", name="fiche commune") if self.communes else None
        )
        self.departemental = fiche is not None and "Nouvelle action" in fiche.text
        self.commune = AFFECTATIONS.get(self.username)  # la seule commune que cet agent modifie
        self.note = None
        if self.numero % 5 == 3:  # agents régionaux : leur note de synthèse
            campagne = LIEN_CAMPAGNE.search(self.client.get("/syntheses/", name="notes de synthèse").text)
            if campagne:
                note = LIEN_NOTE.search(self.client.get(campagne.group(1), name="notes de synthèse").text)
                self.note = note.group(1) if note else None
        if next(PRETS) == self.environment.agents_attendus:
            tous_prets(self.environment)
        TOUS_PRETS.wait()
        # Chacun lit la page qu'il vient d'ouvrir avant d'agir, comme entre deux actions : sans ce temps, les
        # 50 agents libérés ensemble enverraient leur première requête dans la même milliseconde.
        gevent.sleep(self.wait_time())

    @task(4)
    def liste(self):
        self.client.get(f"/communes/?page={random.randint(1, 3)}", name="liste des communes")

    @task(3)
    def tableau_de_bord(self):
        self.client.get(self.tableau, name=self.nom_tableau)

    @task(3)
    def fiche(self):
        if self.communes:
            self.client.get(f"/communes/{random.choice(self.communes)}/", name="fiche commune")

    @task(2)
    def recherche(self):
        self.client.get(f"/recherche/?q={random.choice(RECHERCHES)}", name="recherche")

    @task(1)
    def export(self):
        if self.departemental:
            self.client.get("/communes/?export=csv", name="export CSV de sa liste")

    @task(1)
    def importer(self):
        """Contrôle (simulation) d'un fichier d'import de sa commune : job du worker, suivi par l'état JSON."""
        if not (self.departemental and self.commune):
            return
        page = self.client.get("/communes/import/", name="import : formulaire")
        jeton = CSRF.search(page.text).group(1)
        contenu = f"code_insee;statut_chef_projet\n{self.commune};en_poste\n".encode()
        with self.client.post(
            "/communes/import/",
            data={"csrfmiddlewaretoken": jeton},
            files={"fichier": ("situations.csv", contenu, "text/csv")},
            headers={"Referer": self.host + "/communes/import/"},
            name="import : dépôt",
            allow_redirects=False,
            catch_response=True,
        ) as reponse:
            job = IMPORT.search(reponse.headers.get("Location", ""))
            if reponse.status_code != 302 or not job:
                reponse.failure(f"dépôt refusé ({reponse.status_code})")
                return
            reponse.success()
        limite = time.monotonic() + 60
        while time.monotonic() < limite:
            etat = self.client.get(
                f"/communes/import/{job.group(1)}/etat.json", name="import : état (JSON)"
            ).json()
            if etat["termine"]:
                break
            gevent.sleep(1)

    @task(2)
    def modifier(self):
        if not (self.departemental and self.commune):
            return
        url = f"/communes/{self.commune}/chef-de-projet/"
        formulaire = self.client.get(url, name="modification : formulaire")
        jeton = CSRF.search(formulaire.text).group(1)
        version = VERSION.search(formulaire.text)
        statut = random.choice(["a_recruter", "vacant"])
        with self.client.post(
            url,
            {"csrfmiddlewaretoken": jeton, "statut": statut, "version": version.group(1) if version else ""},
            headers={"Referer": self.host + url},
            name="modification : enregistrement",
            allow_redirects=False,
            catch_response=True,
        ) as reponse:
            if reponse.status_code == 302:
                reponse.success()
            else:
                reponse.failure(f"enregistrement refusé ({reponse.status_code})")

    @task(1)
    def pdf(self):
        """La région demande le PDF de sa note, suit la progression puis le télécharge."""
        if not self.note:
            return
        page = self.client.get(self.note, name="note de synthèse")
        jeton = CSRF.search(page.text).group(1)
        with self.client.post(
            f"{self.note}pdf/generer/",
            {"csrfmiddlewaretoken": jeton},
            headers={"Referer": self.host + self.note},
            name="pdf : demande",
            allow_redirects=False,
            catch_response=True,
        ) as reponse:
            if reponse.status_code != 302:
                reponse.failure(f"demande refusée ({reponse.status_code})")
                return
            reponse.success()
        etat_url = GENERATION.search(self.client.get(self.note, name="note de synthèse").text)
        if not etat_url:
            return
        limite = time.monotonic() + 60
        while time.monotonic() < limite:
            etat = self.client.get(etat_url.group(1), name="pdf : état (JSON)").json()
            if etat["termine"]:
                break
            gevent.sleep(1)
        if etat["telechargement"]:
            self.client.get(etat["telechargement"], name="pdf : téléchargement")
